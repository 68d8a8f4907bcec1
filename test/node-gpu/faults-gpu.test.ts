// Fault injection on the GPU paths (test/unit/faults.test.ts has the CPU ones): a network too
// large for the adapter, a second Ctrl-C, an interrupted benchmark, and Ctrl-C reaching the
// headless page of the browser runtime, whose checkpoint then resumes the run.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runTrainCli } from '../../src/cli/train.ts';
import { decodeCheckpoint } from '../../src/train/checkpoint.ts';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'faults-gpu-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A command as `npm run <cli>` starts it; `waitFor` watches stdout and stderr together. */
function start(cli: 'train' | 'bench', args: string[]) {
  const child = spawn('node', ['--import', 'tsx', '--import', './src/node/raw-loader.mjs', `src/cli/${cli}.ts`, ...args],
    { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const signal = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, sig) => resolve(sig)));
  const waitFor = (pattern: RegExp) => new Promise<void>((resolve, reject) => {
    const check = () => pattern.test(text) && resolve();
    child.stdout.on('data', check);
    child.stderr.on('data', check);
    check();
    void exit.then(() => reject(new Error(`exited before ${pattern}:\n${text}`)));
  });
  child.stdout.on('data', (d) => (text += d));
  child.stderr.on('data', (d) => (text += d));
  return { child, exit, signal, waitFor, text: () => text };
}

describe('GPU runs: faults', () => {
  it('--hidden 1000000: refused up front naming the model (was: 3.5 GB of host memory, then an internal buffer name, exit 1)', async () => {
    const err: string[] = [];
    const code = await runTrainCli(['--runtime', 'node', '--hidden', '1000000', '--epochs', '1', '--limit-train', '64', '--limit-test', '64'],
      { out: () => {}, err: (l) => err.push(l) });
    expect(code).toBe(2);
    expect(err).toHaveLength(1);
    // The adapter's buffer limit on most adapters (SwiftShader: 1 GiB); the host's memory where the
    // buffer would fit.
    expect(err[0]).toMatch(/^error: --model dense:1000000:sigmoid needs (a GPU buffer of 3\.14 GB \(fc1\.weight, 1000000 x 784 f32\), over this adapter's max\w+ of|about [\d.]+ GB of host memory)/);
    expect(err[0]).toContain('choose a smaller --model');
  });

  it('a second Ctrl-C quits at once, without saving', async () => {
    const ckpt = join(dir, 'never.safetensors');
    // Read back every 200 steps, seconds apart on a CPU adapter: both signals land inside the
    // second interval. (The log line comes right after the first read-back; a signal at that very
    // moment would stop the run before the second could arrive.)
    const p = start('train', ['--runtime', 'node', '--matmul', 'vec4', '--checkpoint', ckpt, '--log-interval', '200', '--readback-every', '200']);
    await p.waitFor(/Train Epoch: 1 \[0\//);
    await new Promise((resolve) => setTimeout(resolve, 500));
    p.child.kill('SIGINT');
    // The second signal after the first was heard (signals sent back to back merge into one).
    await p.waitFor(/SIGINT: stopping at the next read-back/);
    p.child.kill('SIGINT');
    // Ended by the signal itself, as a process without handlers would be (a shell reports 130).
    expect(await p.signal).toBe('SIGINT');
    expect(p.text()).toContain('SIGINT again: quitting at once, without saving');
    expect(p.text()).not.toContain('checkpoint written');
    expect(existsSync(ckpt)).toBe(false);
  }, 120_000);

  it('Ctrl-C during a benchmark writes the sections done, marked as partial', async () => {
    const out = join(dir, 'bench');
    const p = start('bench', ['--runtime', 'node', '--quick', '--sections', 'ceiling,toy', '--toy-widths', '2', '--out', out]);
    await p.waitFor(/ceiling: validating/);
    p.child.kill('SIGINT');
    expect(await p.exit).toBe(130);
    const files = readdirSync(out).sort();
    expect(files).toHaveLength(2);
    expect(files[0]).toMatch(/-quick-partial\.json$/);
    const result = JSON.parse(readFileSync(join(out, files[0]), 'utf8'));
    expect(result.interrupted).toEqual({ skippedSections: ['toy'] });
    expect(result.ceiling.peakGflops).toBeGreaterThan(0);
    expect(result.toy).toBeNull();
    expect(readFileSync(join(out, files[1]), 'utf8')).toContain('**Interrupted: partial results.** Sections not run: toy.');
    expect(p.text()).toContain('interrupted: partial results, marked as such; sections not run: toy');
  }, 120_000);

  it('browser runtime: SIGHUP (a closed terminal) reaches the headless page, which stops at a read-back; --resume finishes the run (was: exit at once, nothing saved)', async () => {
    const ckpt = join(dir, 'browser.safetensors');
    const json = join(dir, 'browser.json');
    const run = ['--matmul', 'vec4', '--epochs', '1', '--limit-train', '3200', '--limit-test', '64', '--readback-every', '5', '--log-interval', '5'];
    const p = start('train', [...run, '--checkpoint', ckpt, '--json', json]);
    await p.waitFor(/Train Epoch: 1 \[160\//);
    p.child.kill('SIGHUP');
    expect(await p.exit).toBe(130);
    expect(p.text()).not.toMatch(/Assertion|Check failed/);
    const state = decodeCheckpoint(new Uint8Array(readFileSync(ckpt)), ckpt);
    expect(state.progress.step).toBeGreaterThan(5);
    expect(state.progress.step).toBeLessThan(100);
    const interrupted = JSON.parse(readFileSync(json, 'utf8'));
    expect(interrupted.interrupted.signal).toBe('SIGHUP');
    expect(interrupted.stepLosses).toHaveLength(state.progress.step);

    const resumed = start('train', ['--resume', ckpt, '--json', json]);
    expect(await resumed.exit).toBe(0);
    const report = JSON.parse(readFileSync(json, 'utf8'));
    expect(report.interrupted).toBeNull();
    expect(report.stepLosses).toHaveLength(100);
    expect(report.stepLosses.slice(0, state.progress.step)).toEqual(interrupted.stepLosses);
    expect(report.epochs).toHaveLength(1);
  }, 300_000);

  it('a kernel-choice cache naming an unknown variant or a malformed problem: ignored, the run trains, the file is rewritten (was: every GPU run crashed)', async () => {
    const cacheDir = join(dir, 'kernel-cache');
    const file = join(cacheDir, 'kernel-choices.json');
    const args = ['--runtime', 'node', '--hidden', '16', '--epochs', '1', '--limit-train', '64', '--limit-test', '64', '--no-progress'];
    const saved = process.env.WEBGPU_TRAINER_CACHE_DIR;
    process.env.WEBGPU_TRAINER_CACHE_DIR = cacheDir;
    try {
      // Child processes: this one remembers its choices in memory and would not read the file again.
      expect(await start('train', args).exit).toBe(0);
      // Every choice of that run renamed to a variant no version has, beside entries of no known form.
      const all = JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, string>>;
      const [key] = Object.keys(all);
      const problems = Object.keys(all[key]);
      expect(problems.length).toBeGreaterThan(0);
      writeFileSync(file, JSON.stringify({ [key]: { ...Object.fromEntries(problems.map((p) => [p, 'turbo'])), 'not a problem': 'vec4', 'bias 32x16': 42 } }));
      const second = start('train', args);
      expect(await second.exit, second.text()).toBe(0);
      const rewritten = (JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, string>>)[key];
      expect(Object.keys(rewritten).sort()).toEqual([...problems].sort());
      expect(Object.values(rewritten)).not.toContain('turbo');
    } finally {
      if (saved === undefined) delete process.env.WEBGPU_TRAINER_CACHE_DIR;
      else process.env.WEBGPU_TRAINER_CACHE_DIR = saved;
    }
  }, 300_000);
});
