// The npm scripts' launcher (src/node/launch.mjs): Dawn's known stderr lines dropped by exact
// pattern and nothing else, exit codes kept, and signals as if the command ran alone: a Ctrl-C
// (the whole process group signalled) reaches the command once, a signal sent to the launcher alone
// is forwarded, and a command ended by a signal ends the launcher by the same signal.
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { createDawnNoiseFilter } from '../../src/node/dawn-noise.mjs';

const XDG = 'error: XDG_RUNTIME_DIR is invalid or not set in the environment.';
const VULKAN = [
  'Warning: Vulkan shaderUniform*ArrayDynamicIndexing required.',
  ' - While initializing adapter (backend=BackendType::Vulkan)',
  '    at InitializeImpl (/home/runner/work/node-webgpu/node-webgpu/third_party/dawn/src/dawn/native/vulkan/PhysicalDeviceVk.cpp:257)',
  '',
];

function filtered(...chunks: string[]): string {
  let out = '';
  const filter = createDawnNoiseFilter((t) => (out += t));
  chunks.forEach((c) => filter.write(c));
  filter.end();
  return out;
}

describe('the Dawn noise filter', () => {
  it('drops the known lines and keeps everything else in order', () => {
    const text = [XDG, 'first', ...VULKAN, XDG, 'second', ''].join('\n');
    expect(filtered(text)).toBe('first\nsecond\n');
  });

  it('works on lines split across chunks, and keeps an unfinished last line', () => {
    const text = [XDG, ...VULKAN, 'kept'].join('\n');
    const chunks = text.match(/.{1,7}/gs) ?? [];
    expect(filtered(...chunks)).toBe('kept');
  });

  it('keeps lines that only look alike', () => {
    const lookalikes = [
      `${XDG} (again)`,
      'error: XDG_RUNTIME_DIR is invalid',
      'Warning: Vulkan shaderInt64 required.',
      ' - While initializing adapter (backend=BackendType::Vulkan)',
    ];
    expect(filtered(lookalikes.map((l) => `${l}\n`).join(''))).toBe(lookalikes.map((l) => `${l}\n`).join(''));
  });

  it('shows a Vulkan block that goes on differently, whole', () => {
    const other = [VULKAN[0], VULKAN[1], '    at Elsewhere (/tmp/x.cpp:1)', 'next', ''].join('\n');
    expect(filtered(other)).toBe(other);
    // Cut short by the end of the stream: shown too.
    expect(filtered(`${VULKAN[0]}\n${VULKAN[1]}\n`)).toBe(`${VULKAN[0]}\n${VULKAN[1]}\n`);
  });
});

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts the fixture through the launcher in a process group of its own, as a shell starts a
 * foreground job; `during` gets the launcher's pid once the command has printed "ready". */
function launch(args: string[], during: (launcherPid: number) => void = () => {}): Promise<Ended> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['src/node/launch.mjs', 'test/unit/fixtures/launched.ts', ...args], { detached: true });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => {
      const first = !stdout.includes('ready');
      stdout += d.toString();
      if (first && stdout.includes('ready')) during(p.pid!);
    });
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

describe('src/node/launch.mjs', () => {
  it("filters the command's stderr and keeps its exit code", async () => {
    const r = await launch(['exit', '3']);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe('warning: a line of our own\n');
    expect(r.stdout).toMatch(/^ready \d+\n$/);
  });

  it('a Ctrl-C (the process group signalled) reaches the command once', async () => {
    const r = await launch(['handle', '2500'], (pid) => process.kill(-pid, 'SIGINT'));
    expect(r.stdout).toMatch(/SIGINT 1\n$/);
    expect(r.code).toBe(0);
  });

  it('a signal sent to the launcher alone is forwarded, once', async () => {
    const r = await launch(['handle', '4000'], (pid) => process.kill(pid, 'SIGINT'));
    expect(r.stdout).toMatch(/SIGINT 1\n$/);
    expect(r.code).toBe(0);
  });

  it('a command without a handler ends by the signal, and so does the launcher', async () => {
    const group = await launch(['wait', '5000'], (pid) => process.kill(-pid, 'SIGINT'));
    expect(group).toMatchObject({ code: null, signal: 'SIGINT' });
    const direct = await launch(['wait', '5000'], (pid) => process.kill(pid, 'SIGTERM'));
    expect(direct).toMatchObject({ code: null, signal: 'SIGTERM' });
  });
});
