// @ts-check
// The lines Dawn and the Vulkan stack print on stderr when the Node commands start WebGPU on a
// machine without a display or with a Vulkan device Dawn cannot use, none of which means
// anything went wrong here (the run goes on, on the adapter it prints):
// - libwayland-client, loaded by Mesa's Vulkan device-select layer, when no Wayland session is set;
// - Dawn turning down a Vulkan device (e.g. Mesa's lavapipe) that lacks a feature it needs, with
//   the context line and the source location of its own CI build (/home/runner/...).
// Only these exact lines are dropped; any other line, including other Dawn warnings, goes through.

const XDG = 'error: XDG_RUNTIME_DIR is invalid or not set in the environment.';
const VULKAN_HEAD = 'Warning: Vulkan shaderUniform*ArrayDynamicIndexing required.';
/** What follows VULKAN_HEAD in the block, in order; the block ends with an empty line. */
const VULKAN_TAIL = [
  /^ - While initializing adapter \(backend=BackendType::Vulkan\)$/,
  /^ {4}at InitializeImpl \(\/home\/runner\/\S+\/PhysicalDeviceVk\.cpp:\d+\)$/,
  /^$/,
];

/**
 * A line filter for a child's stderr: feed it chunks with `write`, call `end` when the stream
 * ends; what is not known noise reaches `out` with its line breaks as they were.
 * @param {(text: string) => void} out
 * @returns {{ write: (chunk: string) => void, end: () => void }}
 */
export function createDawnNoiseFilter(out) {
  let partial = '';
  /** Lines of a Vulkan block seen so far: held until the block is complete or turns out not to be one. */
  let held = /** @type {string[]} */ ([]);
  const release = () => {
    if (held.length) out(held.map((l) => `${l}\n`).join(''));
    held = [];
  };
  /** @param {string} line without its '\n' */
  const take = (line) => {
    // A '\r\n' line end is kept on the line, so compare without it.
    const bare = line.endsWith('\r') ? line.slice(0, -1) : line;
    if (held.length) {
      if (VULKAN_TAIL[held.length - 1].test(bare)) {
        held.push(line);
        if (held.length === VULKAN_TAIL.length + 1) held = [];
        return;
      }
      release();
    }
    if (bare === XDG) return;
    if (bare === VULKAN_HEAD) {
      held = [line];
      return;
    }
    out(`${line}\n`);
  };
  return {
    write(chunk) {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      lines.forEach(take);
    },
    end() {
      release();
      if (partial) out(partial);
      partial = '';
    },
  };
}
