// `npm run toy -- --device gpu` as a process: the toy network through the WebGPU kernels (Dawn),
// against the CPU run of the same command.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runToyCli } from '../../src/cli/toy.ts';
import { captureCli } from '../support/cli.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

const cli = captureCli(runToyCli);

type Spawned = { code: number; stdout: string; stderr: string };
const execResult = (resolve: (r: Spawned) => void) => (error: { code?: unknown } | null, stdout: string, stderr: string) =>
  resolve({ code: error ? Number(error.code) : 0, stdout, stderr });

// As `npm run toy` runs it: through the launcher, which loads tsx and the `?raw` loader for the
// WGSL and filters Dawn's known stderr lines.
describe('npm run toy -- --device gpu as a process', () => {
  const spawn = (args: string[], env: NodeJS.ProcessEnv = process.env) =>
    new Promise<Spawned>((resolve) => {
      execFile('node', ['src/node/launch.mjs', 'src/cli/toy.ts', ...args],
        { cwd: repoRoot, env }, execResult(resolve));
    });

  it("prints the CPU run's epoch lines, then the network, and exits 0", async () => {
    const cpu = await cli();
    const { code, stdout, stderr } = await spawn(['--device', 'gpu']);
    expect(code).toBe(0);
    // Dawn's harmless start-up lines (this machine prints them without the launcher) are gone.
    expect(stderr).not.toContain('XDG_RUNTIME_DIR');
    expect(stderr).not.toContain('shaderUniform');
    const all = stdout.trimEnd().split('\n');
    // First the adapter, as `train` prints it (and its warning on a CPU fallback such as SwiftShader).
    expect(all[0]).toMatch(/^adapter: .+ \(node(, CPU fallback)?\)$/);
    const lines = all.slice(all[0].endsWith('CPU fallback)') ? 2 : 1);
    if (all[0].endsWith('CPU fallback)')) expect(all[1]).toMatch(/^warning: this is a CPU fallback adapter/);
    expect(lines.slice(0, 20)).toEqual(cpu.out.slice(0, 20));
    // float32 weights print with other digits; the shape of the listing is the same.
    expect(lines.slice(20).map((l) => l.replace(/=.*/, ''))).toEqual(cpu.out.slice(20).map((l) => l.replace(/=.*/, '')));
  });

  it('--json keeps stdout one JSON object and names the adapter on stderr', async () => {
    const { code, stdout, stderr } = await spawn(['--device', 'gpu', '--json', '--epochs', '2']);
    expect(code).toBe(0);
    expect(Object.keys(JSON.parse(stdout) as object)).toEqual(['errors', 'network', 'dispatchesPerRow']);
    expect(stderr).toMatch(/^adapter: .+ \(node/m);
  });

  it('without an adapter, exits 1 with one line saying so', async () => {
    // Dawn honours a user's VK_ICD_FILENAMES, so a missing file means no Vulkan driver at all.
    const { code, stdout, stderr } = await spawn(['--device', 'gpu'], { ...process.env, VK_ICD_FILENAMES: join(tmpdir(), 'no-such-icd.json') });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    // Dawn writes its own warnings to stderr too; ours is the one line starting with the option.
    const ours = stderr.split('\n').filter((l) => l.includes('--device gpu'));
    expect(ours).toHaveLength(1);
    expect(ours[0]).toMatch(/^error: --device gpu: .*no WebGPU adapter/);
  });
});
