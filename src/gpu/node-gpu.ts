// What src/gpu needs from Node: Dawn (npm webgpu), and the file that caches kernel choices. Kept
// apart from context.ts and kernel-cache.ts (reached through '#node-gpu', package.json "imports")
// so browser bundles never see the native addon or node:fs.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { freemem, homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { GpuUnavailableError } from './errors.ts';
import { parseKernelCacheFile, withChoices, type KernelCache } from './kernel-cache.ts';

const swiftShaderIcd = '/usr/lib/chromium/vk_swiftshader_icd.json';

// One Dawn instance for the whole process, created on first use and never released: each instance
// costs ~5 MB of native memory that garbage collection does not give back (measured: RSS grew by
// 175 MB over 35 create/fit/dispose cycles of a library trainer when every context made its own),
// and Dawn tears an instance down with all its devices when its GPU object is collected (a crash,
// not an error), so a shared one must stay referenced anyway. Contexts share it; each has its own
// adapter and device, destroyed with the context.
let instance: { gpu: GPU; icd: string | undefined } | null = null;

async function dawn(): Promise<typeof import('webgpu')> {
  try {
    return await import('webgpu');
  } catch (err) {
    throw new DawnMissingError((err as Error).message);
  }
}

class DawnMissingError extends Error {}

/** Gives the process a private XDG_RUNTIME_DIR (mode 0700, as the XDG spec asks, removed at exit)
 * when it has none, as under SSH, in containers and in CI. The Vulkan loader loads Mesa's
 * device-select layer whenever Dawn starts, and the Wayland library it opens prints "error:
 * XDG_RUNTIME_DIR is invalid or not set in the environment." (several times) without one;
 * measured with Debian's Mesa and SwiftShader, the same runs also print Dawn's "Warning: Vulkan
 * shaderUniform*ArrayDynamicIndexing required." block, and both go once the directory exists. */
function ensureRuntimeDir(): void {
  if (process.env.XDG_RUNTIME_DIR) return;
  const dir = mkdtempSync(join(tmpdir(), 'webgpu-trainer-runtime-'));
  process.env.XDG_RUNTIME_DIR = dir;
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
}

/** The process's instance for the Vulkan driver VK_ICD_FILENAMES names now. */
async function sharedInstance(): Promise<GPU> {
  const webgpu = await dawn();
  if (!instance || instance.icd !== process.env.VK_ICD_FILENAMES) {
    ensureRuntimeDir();
    Object.assign(globalThis, webgpu.globals);
    instance = { gpu: webgpu.create([]), icd: process.env.VK_ICD_FILENAMES };
  }
  return instance.gpu;
}

/** An adapter from Dawn: the system's Vulkan driver first; when it offers none (a machine
 * without a GPU, where Mesa's lavapipe does not work with Dawn), the SwiftShader that Debian's
 * chromium ships, so Node and Chrome run the same software adapter. A user's VK_ICD_FILENAMES
 * is always respected. */
export async function requestNodeAdapter(options: GPURequestAdapterOptions, help: string): Promise<GPUAdapter | null> {
  try {
    let adapter = await (await sharedInstance()).requestAdapter(options);
    if (!adapter && !process.env.VK_ICD_FILENAMES && existsSync(swiftShaderIcd)) {
      process.env.VK_ICD_FILENAMES = swiftShaderIcd;
      adapter = await (await sharedInstance()).requestAdapter(options);
    }
    return adapter;
  } catch (err) {
    if (err instanceof DawnMissingError) throw new GpuUnavailableError(`Could not load Dawn (npm webgpu): ${err.message}. ${help}`);
    throw err;
  }
}

/** Gives Node a `navigator.gpu` (Node 20 has no navigator) for libraries that look for WebGPU
 * there, such as TensorFlow.js's WebGPU backend when it is imported: the process's instance, so
 * after requestNodeAdapter it sees the same Vulkan driver (VK_ICD_FILENAMES). */
export async function exposeNavigatorGpu(): Promise<void> {
  const nav = (globalThis as { navigator?: { gpu?: GPU } }).navigator;
  if (nav?.gpu) return;
  const gpu = await sharedInstance();
  if (nav) Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
}

// The kernel-choice cache in Node (kernel-cache.ts): one JSON file, $WEBGPU_TRAINER_CACHE_DIR (or
// $XDG_CACHE_HOME/webgpu-mnist-trainer, or ~/.cache/webgpu-mnist-trainer)/kernel-choices.json,
// replaced atomically. WEBGPU_TRAINER_CACHE_DIR=off turns it off. A file that cannot be read or
// parsed counts as empty: losing it costs one trial per shape, never a run.
export function nodeKernelCache(): KernelCache | null {
  const env = process.env.WEBGPU_TRAINER_CACHE_DIR;
  if (env === 'off') return null;
  const dir = env || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'webgpu-mnist-trainer');
  const file = join(dir, 'kernel-choices.json');
  const readAll = async (): Promise<Record<string, unknown>> => parseKernelCacheFile(await readFile(file, 'utf8').catch(() => ''));
  return {
    where: file,
    load: async (key) => (await readAll())[key] ?? {},
    async save(key, choices) {
      const all = withChoices(await readAll(), key, choices);
      await mkdir(dir, { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      await writeFile(tmp, `${JSON.stringify(all, null, 2)}\n`);
      await rename(tmp, file);
    },
  };
}

/** What this process may still allocate: the host's available memory, within a cgroup limit. */
export function availableHostMemory(): number {
  // constrainedMemory() is 0 or undefined without a limit, and may be a huge sentinel.
  const limit = process.constrainedMemory?.() || Infinity;
  return Math.min(freemem(), limit - process.memoryUsage.rss());
}
