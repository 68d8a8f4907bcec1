// Fault injection, done for real: a kill -9 landing in the middle of a save, Ctrl-C and SIGTERM
// mid-epoch then --resume, a second Ctrl-C, an interrupted sweep, two sweeps into one folder, the
// bad inputs that used to get through, and a malformed URL at the dashboard's servers. Commands
// that take signals run as processes, as `npm run` starts them; the rest run in-process. The CPU
// reference and small subsets keep it to about a minute (the GPU cases: test/node-gpu/faults-gpu).
import { spawn, spawnSync, execFileSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createServer, preview } from 'vite';
import { runBenchCli } from '../../src/cli/bench.ts';
import { runSweepCli } from '../../src/cli/sweep.ts';
import { runTrainCli } from '../../src/cli/train.ts';
import { mnistAssets } from '../../src/headless/mnist-assets.ts';
import { initMlp, MNIST_MLP_SIZES, resolveMlp } from '../../src/reference/mlp.ts';
import { decodeCheckpoint } from '../../src/train/checkpoint.ts';
import { decodeSafetensors, encodeSafetensors } from '../../src/train/safetensors.ts';
import type { SweepResults } from '../../src/sweep/run.ts';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'faults-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A command as `npm run <cli>` starts it, its output collected line by line. */
function start(cli: 'train' | 'sweep', args: string[]) {
  const child: ChildProcess = spawn('node', ['--import', 'tsx', '--import', './src/node/raw-loader.mjs', `src/cli/${cli}.ts`, ...args],
    { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  const check = () => {
    for (const w of [...waiters]) {
      if (!w.pattern.test(out)) continue;
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  };
  child.stdout!.on('data', (d) => ((out += d), check()));
  child.stderr!.on('data', (d) => (err += d));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    exit,
    out: () => out,
    err: () => err,
    /** Resolves when stdout matches `pattern`; rejects if the process ends first. */
    waitFor: (pattern: RegExp) => new Promise<void>((resolve, reject) => {
      waiters.push({ pattern, resolve });
      check();
      void exit.then(() => reject(new Error(`exited before ${pattern}:\n${out}\n${err}`)));
    }),
  };
}

async function train(...argv: string[]) {
  const out: string[] = [], err: string[] = [];
  const code = await runTrainCli(argv, { out: (s) => out.push(...s.split('\n')), err: (s) => err.push(s) });
  return { code, out, err };
}

async function sweep(...argv: string[]) {
  const out: string[] = [], err: string[] = [];
  const code = await runSweepCli(argv, { out: (s) => out.push(...s.split('\n')), err: (s) => err.push(s) });
  return { code, out, err };
}

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const json = (file: string) => JSON.parse(readFileSync(file, 'utf8'));

describe('kill -9 during a save', () => {
  it('leaves the existing weights file intact, the kill landing mid-write', async () => {
    const target = join(dir, 'weights.safetensors');
    writeFileSync(target, encodeSafetensors(initMlp([784, 16, 10], 1)));
    const good = sha(target);
    // An 80 MB file (784-4096-4096-10) takes long enough to write that the kill lands inside it.
    const args = ['--device', 'cpu', '--epochs', '1', '--limit-train', '1', '--batch', '1', '--limit-test', '1', '--hidden', '4096,4096', '--save', target];
    let midWrite = 0;
    for (let attempt = 0; attempt < 8 && !midWrite; attempt++) {
      const p = start('train', args);
      // The writer's temporary file appearing beside the target: kill at that moment.
      const watcher = watch(dir, (_, name) => {
        if (name?.startsWith(`.${basename(target)}.`) && name.endsWith('.tmp')) p.child.kill('SIGKILL');
      });
      await p.exit;
      watcher.close();
      const leftovers = readdirSync(dir).filter((f) => f.startsWith(`.${basename(target)}.`) && f.endsWith('.tmp'));
      if (leftovers.length) midWrite++;
      // Killed mid-write or not, the target is the old file or (had the rename happened) a whole new one.
      if (sha(target) !== good) expect(decodeSafetensors(new Uint8Array(readFileSync(target)), resolveMlp([784, 4096, 4096, 10])).sizes).toHaveLength(4);
      else expect(sha(target)).toBe(good);
    }
    expect(midWrite).toBe(1);
    expect(sha(target)).toBe(good);
    // The next save to that file clears the dead writer's temporary file (was: left forever).
    const leftovers = () => readdirSync(dir).filter((f) => f.startsWith(`.${basename(target)}.`));
    expect(leftovers().length).toBeGreaterThan(0);
    expect((await train('--device', 'cpu', '--epochs', '1', '--limit-train', '32', '--limit-test', '32', '--hidden', '16', '--save', target)).code).toBe(0);
    expect(leftovers()).toEqual([]);
  }, 120_000);
});

describe('Ctrl-C, SIGTERM and SIGHUP', () => {
  // 80 steps an epoch, read back every 2: a signal lands mid-epoch (and the stop waits at most 2 steps).
  const RUN = ['--device', 'cpu', '--epochs', '2', '--limit-train', '1280', '--batch', '16', '--limit-test', '64', '--hidden', '64',
    '--readback-every', '2', '--log-interval', '2', '--lr', '0.05', '--momentum', '0.9', '--augment-shift', '1'];

  it.each(['SIGINT', 'SIGTERM', 'SIGHUP'] as const)('%s mid-epoch writes a checkpoint and the report marked as interrupted, exits 130; --resume equals the uninterrupted run', async (signal) => {
    const sub = join(dir, signal);
    mkdirSync(sub);
    const full = await train(...RUN, '--json', join(sub, 'full.json'), '--save', join(sub, 'full.safetensors'));
    expect(full.code).toBe(0);

    const ckpt = join(sub, 'run.ckpt.safetensors');
    const p = start('train', [...RUN, '--checkpoint', ckpt, '--json', join(sub, 'run.json'), '--save', join(sub, 'run.safetensors')]);
    await p.waitFor(/Train Epoch: 1 \[32\//);
    p.child.kill(signal);
    expect(await p.exit).toBe(130);
    expect(p.err()).toContain(`${signal}: stopping at the next read-back`);
    const state = decodeCheckpoint(new Uint8Array(readFileSync(ckpt)), ckpt);
    expect(state.progress.epoch).toBe(0);
    expect(state.progress.step).toBeGreaterThan(2);
    expect(p.out()).toContain(`interrupted (${signal}) at epoch 1, step ${state.progress.step}: checkpoint written to ${ckpt}`);
    const resume = `npm run train -- --resume ${ckpt} --device cpu --save ${join(sub, 'run.safetensors')} --json ${join(sub, 'run.json')}`;
    expect(p.out()).toContain(`resume with: ${resume}`);
    expect(json(join(sub, 'run.json')).interrupted).toEqual({ signal, checkpoint: ckpt, resume });
    expect(existsSync(join(sub, 'run.safetensors'))).toBe(false);

    // The printed command, as a user would paste it.
    const resumed = start('train', resume.split(' ').slice(4));
    expect(await resumed.exit).toBe(0);
    expect(resumed.out()).toContain(`resuming ${ckpt}: epoch 1, step ${state.progress.step}`);
    const a = json(join(sub, 'full.json'));
    const b = json(join(sub, 'run.json'));
    expect(b.interrupted).toBeNull();
    expect(b.stepLosses).toEqual(a.stepLosses);
    const withoutTimes = (r: { epochs: Record<string, number>[] }) => r.epochs.map(({ trainSeconds: _t, samplesPerSec: _s, ...e }) => e);
    expect(withoutTimes(b)).toEqual(withoutTimes(a));
    expect(sha(join(sub, 'run.safetensors'))).toBe(sha(join(sub, 'full.safetensors')));
  }, 120_000);

  it('an interrupted sweep keeps its results, and the next call continues the run from its checkpoint', async () => {
    // 100 steps a run, read back every 50; two runs.
    const grid = ['--device', 'cpu', '--limit-train', '200', '--limit-test', '32', '--grid', 'batch=2', '--grid', 'lr=0.5,1', '--grid', 'epochs=1'];
    const reference = await sweep(...grid, '--out', join(dir, 'sweep-ref'));
    expect(reference.code).toBe(0);
    const out = join(dir, 'sweep-int');
    const p = start('sweep', [...grid, '--out', out]);
    await p.waitFor(/\[1\/2\] .*: training/);
    await new Promise((r) => setTimeout(r, 200));
    p.child.kill('SIGINT');
    expect(await p.exit).toBe(130);
    expect(p.out()).toMatch(/interrupted \(SIGINT\): \d runs kept in .*results\.json.*Run the same command again to continue\./);
    const kept = json(join(out, 'results.json')) as SweepResults;
    const checkpoints = readdirSync(join(out, 'checkpoints'));
    // Stopped inside run 1 (a checkpoint), or, had run 1 ended first, before run 2.
    expect(kept.runs.length + checkpoints.length).toBeGreaterThanOrEqual(1);
    const again = start('sweep', [...grid, '--out', out]);
    expect(await again.exit).toBe(0);
    if (checkpoints.length) expect(again.out()).toContain(`continuing from ${join(out, 'checkpoints', checkpoints[0])}`);
    expect(readdirSync(join(out, 'checkpoints'))).toEqual([]);
    const results = json(join(out, 'results.json')) as SweepResults;
    const ref = json(join(dir, 'sweep-ref', 'results.json')) as SweepResults;
    const numbers = (r: SweepResults) => r.runs.map(({ key, testAccuracy, testLoss, trainLoss }) => ({ key, testAccuracy, testLoss, trainLoss }));
    expect(numbers(results)).toEqual(numbers(ref));
  }, 180_000);
});

describe('two sweeps into one folder', () => {
  it('lose none of each other\'s runs', async () => {
    const out = join(dir, 'shared');
    const common = ['--device', 'cpu', '--limit-train', '64', '--limit-test', '32', '--grid', 'epochs=1', '--out', out];
    const a = start('sweep', [...common, '--grid', 'lr=0.1,0.2,0.3']);
    const b = start('sweep', [...common, '--grid', 'lr=0.4,0.5,0.6']);
    expect(await a.exit).toBe(0);
    expect(await b.exit).toBe(0);
    const results = json(join(out, 'results.json')) as SweepResults;
    expect(results.runs.map((r) => r.config.lr).sort()).toEqual([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]);
    expect(results.commands).toHaveLength(2);
    // No lock or temporary file left behind; each run's checkpoint removed once it was recorded.
    expect(readdirSync(out).sort()).toEqual(['accuracy.svg', 'checkpoints', 'results.json', 'results.md']);
    expect(readdirSync(join(out, 'checkpoints'))).toEqual([]);
  }, 120_000);
});

describe('bad input, refused before any work with one line naming the option (exit 2)', () => {
  const SMALL = ['--device', 'cpu', '--epochs', '1', '--limit-train', '64', '--limit-test', '64', '--hidden', '16'];
  const fifo = join(dir, 'a.fifo');
  execFileSync('mkfifo', [fifo]);
  const folder = (name: string, trainCols: number, replace?: (path: string) => void) => {
    const d = join(dir, name);
    mkdirSync(d);
    const idx = (dims: number[], fill: (i: number) => number) => {
      const head = Buffer.alloc(4 + 4 * dims.length);
      head[2] = 8;
      head[3] = dims.length;
      dims.forEach((v, i) => head.writeUInt32BE(v, 4 + 4 * i));
      return Buffer.concat([head, Buffer.from(Array.from({ length: dims.reduce((x, y) => x * y, 1) }, (_, i) => fill(i)))]);
    };
    writeFileSync(join(d, 'train-images-idx3-ubyte'), idx([64, 28, trainCols], (i) => i % 256));
    writeFileSync(join(d, 'train-labels-idx1-ubyte'), idx([64], (i) => i % 10));
    writeFileSync(join(d, 't10k-images-idx3-ubyte'), idx([64, 28, 28], (i) => i % 256));
    writeFileSync(join(d, 't10k-labels-idx1-ubyte'), idx([64], (i) => i % 10));
    replace?.(join(d, 't10k-labels-idx1-ubyte'));
    return d;
  };
  const misaligned = folder('misaligned', 29);
  const withFifo = folder('with-fifo', 28, (p) => (rmSync(p), execFileSync('mkfifo', [p])));
  const withDir = folder('with-dir', 28, (p) => (rmSync(p), mkdirSync(p)));
  const overlapping = join(dir, 'overlap.safetensors');
  {
    // fc2.bias pointed into fc2.weight's bytes.
    const bytes = encodeSafetensors(initMlp([784, 16, 10], 1));
    const len = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + len)));
    header['fc2.bias'].data_offsets = [header['fc2.weight'].data_offsets[0], header['fc2.weight'].data_offsets[0] + 40];
    bytes.set(new TextEncoder().encode(JSON.stringify(header).padEnd(len)), 8);
    writeFileSync(overlapping, bytes);
  }
  const weights = join(dir, 'plain-weights.safetensors');
  writeFileSync(weights, encodeSafetensors(initMlp(MNIST_MLP_SIZES, 1)));
  const aFile = join(dir, 'a-file');
  // Every row's label "yes", in both files: nothing to learn, and a run reported 100%.
  const oneClass = ['one-class-train.csv', 'one-class-test.csv'].map((name, f) => {
    writeFileSync(join(dir, name), `x,label\n${Array.from({ length: 80 }, (_, i) => `${i + f},yes`).join('\n')}\n`);
    return join(dir, name);
  });
  writeFileSync(aFile, 'x');
  const badTest = join(dir, 'bad-test.csv');
  writeFileSync(badTest, 'x,label\n1,yes\nhigh,no\n');

  it.each([
    ['--save into a missing folder', ['--save', join(dir, 'missing', 'w.safetensors')], [`--save "${join(dir, 'missing', 'w.safetensors')}": the directory "${join(dir, 'missing')}" does not exist (create it first)`]],
    ['--save onto a directory', ['--save', dir], [`--save "${dir}" is a directory; give a file name inside it`]],
    ['--json where no file can be created', ['--json', '/proc/report.json'], ['--json "/proc/report.json": cannot create files in "/proc"']],
    ['--json inside a file', ['--json', join(aFile, 'r.json')], [`"${aFile}" is a regular file, not a directory`]],
    ['--save X --json X', ['--save', join(dir, 'same'), '--json', join(dir, 'same')], [`--json "${join(dir, 'same')}" is also the --save file`]],
    ['--checkpoint X --save X', ['--save', join(dir, 'same'), '--checkpoint', join(dir, 'same')], [`--checkpoint "${join(dir, 'same')}" is also the --save file`]],
    ['--save onto a FIFO', ['--save', fifo], [`--save "${fifo}" is a FIFO (named pipe); give a regular file to write`]],
    ['28x29 training images, 28x28 test images (CPU)', ['--data', misaligned], [`--data ${join(misaligned, 't10k-images-idx3-ubyte')}: holds 28x28 images, but the training data`, 'holds 28x29 images']],
    ['28x29 training images, 28x28 test images (GPU)', ['--data', misaligned, '--device', 'gpu', '--runtime', 'node'], ['holds 28x28 images, but the training data', 'holds 28x29 images']],
    ['a FIFO among the IDX files', ['--data', withFifo], [`--data ${join(withFifo, 't10k-labels-idx1-ubyte')} is a FIFO (named pipe), not a regular file`]],
    ['a directory in place of an IDX file', ['--data', withDir], [`--data ${join(withDir, 't10k-labels-idx1-ubyte')} is a directory, not a regular file`]],
    ['a FIFO as --init', ['--init', fifo], [`--init ${fifo} is a FIFO (named pipe), not a regular file`]],
    ['a device as --init', ['--init', '/dev/zero'], ['--init /dev/zero is a character device, not a regular file']],
    ['overlapping tensors in --init', ['--init', overlapping], [`--init ${overlapping}: tensor fc2.weight has data_offsets [50240,50880], ` +
      'overlapping fc2.bias, which ends at 50280; tensors must not share bytes']],
    ['a CSV whose rows are all of one class', ['--data', oneClass[0], '--test-data', oneClass[1], '--label-column', 'label'],
      [`${oneClass[0]}: column "label" holds one class only, "yes", in every row of the data; a classifier needs samples of at least two classes`]],
    // The test file's problems name --test-data, the option that gave it.
    ['a CSV test file with a text feature', ['--data', oneClass[0], '--test-data', badTest], [`--test-data ${badTest}: row 2 (line 3), column "x": "high" is not a number`]],
    ['a missing CSV test file', ['--data', oneClass[0], '--test-data', join(dir, 'nope.csv')], [`--test-data ${join(dir, 'nope.csv')}: the file does not exist`]],
    ['--hidden 3000000 on the CPU', ['--hidden', '3000000'], ['--model dense:3000000:sigmoid needs about', 'GB of host memory on the CPU reference', 'choose a smaller --model']],
  ])('train: %s', async (_, args, pieces) => {
    const { code, out, err } = await train(...SMALL, ...args);
    expect(err).toHaveLength(1);
    for (const piece of pieces) expect(err[0]).toContain(piece);
    expect(err[0]).toMatch(/^error: /);
    expect(code).toBe(2);
    expect(out.filter((l) => l.startsWith('Train Epoch'))).toEqual([]);
  });

  it.each([
    ['weights, not a checkpoint', ['--resume', weights], [`--resume ${weights}: holds weights, not a checkpoint`, 'start from it with --init']],
    ['--lr beside it', ['--resume', weights, '--lr', '2'], [`--lr cannot be given with --resume: the run continues with the configuration saved in ${weights}`,
      '(only --log-interval, --readback-every, --no-divergence-stop may change)']],
    ['a FIFO', ['--resume', fifo], [`--resume ${fifo} is a FIFO (named pipe), not a regular file`]],
    ['a missing file', ['--resume', join(dir, 'nope.ckpt')], [`--resume "${join(dir, 'nope.ckpt')}" does not exist`]],
  ])('train --resume: %s', async (_, args, pieces) => {
    const { code, out, err } = await train('--device', 'cpu', ...args);
    expect(err).toHaveLength(1);
    for (const piece of pieces) expect(err[0]).toContain(piece);
    expect(code).toBe(2);
    expect(out).toEqual([]);
  });

  it('sweep: a hand-edited results.json, named with the entry at fault', async () => {
    const out = join(dir, 'edited');
    const args = ['--device', 'cpu', '--limit-train', '32', '--limit-test', '32', '--grid', 'epochs=1', '--out', out];
    expect((await sweep(...args)).code).toBe(0);
    const results = json(join(out, 'results.json'));
    results.runs[0].testAccuracy = 'high';
    writeFileSync(join(out, 'results.json'), JSON.stringify(results));
    for (const extra of [[], ['--report-only']]) {
      const r = await sweep(...args, ...extra);
      expect(r.code).toBe(2);
      expect(r.err).toEqual([`error: --out: ${join(out, 'results.json')}: runs[0].testAccuracy must be a list of 1 numbers, one per epoch run; ` +
        'fix the entry, or move the file away or choose another --out']);
    }
    const r = await sweep('--device', 'cpu', '--from', out, '--grid', 'seed=2', '--out', join(dir, 'never'));
    expect(r.err[0]).toContain(`error: --from: ${join(out, 'results.json')}: runs[0].testAccuracy`);
  }, 60_000);

  it('sweep and bench: --out onto a file', async () => {
    const s = await sweep('--device', 'cpu', '--grid', 'lr=1', '--out', aFile);
    expect([s.code, s.err]).toEqual([2, [`error: --out "${aFile}": "${aFile}" is a regular file, not a directory`]]);
    const err: string[] = [];
    expect(await runBenchCli(['--runtime', 'node', '--out', aFile], { out: () => {}, err: (l) => err.push(l) })).toBe(2);
    expect(err).toEqual([`error: --out "${aFile}": "${aFile}" is a regular file, not a directory`]);
  });
});

describe('a full disk', () => {
  // A 64 KiB file system (tmpfs: CI and the developers' machines run as root) holding an old
  // report: the weights of a 784-64-10 network (200 KB) cannot fit. Was: "ENOSPC: no space left on
  // device, write", naming neither option nor path, and the trained weights gone.
  it('train --save / --json: names the option and the path, keeps the data in the temporary directory, old files intact, exit 1', async () => {
    const full = join(dir, 'full');
    const kept = join(dir, 'kept');
    mkdirSync(full);
    mkdirSync(kept);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', full]);
    const savedTmp = process.env.TMPDIR;
    process.env.TMPDIR = kept;
    try {
      const [save, report] = [join(full, 'w.safetensors'), join(full, 'report.json')];
      writeFileSync(save, 'old weights');
      const r = await train('--device', 'cpu', '--epochs', '1', '--limit-train', '64', '--limit-test', '64', '--hidden', '64', '--save', save, '--json', report);
      expect(r.code).toBe(1);
      const keptIn = join(kept, readdirSync(kept).find((f) => f.startsWith('w.safetensors.'))!);
      expect(r.err).toEqual([`error: --save ${save}: no space left on its device (ENOSPC); the file there is unchanged. ` +
        `What was to be written is kept in ${keptIn}: free some space, then move it there (mv "${keptIn}" "${save}").`]);
      // The old file as it was, the trained weights whole in the temporary directory, the report (it fitted) written.
      expect(readFileSync(save, 'utf8')).toBe('old weights');
      expect(decodeSafetensors(readFileSync(keptIn), resolveMlp([784, 64, 10])).layers[0].params[0].data).toHaveLength(784 * 64);
      expect(json(report).epochs).toHaveLength(1);
    } finally {
      if (savedTmp === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = savedTmp;
      execFileSync('umount', [full]);
    }
  });
});

describe('output to a closed pipe', () => {
  // As a user pipes a command into head: the reader goes after three lines. Was: an EPIPE stack
  // trace at the next line, exit 1, and nothing saved.
  it.each([
    ['train', ['--device', 'cpu', '--epochs', '2', '--limit-train', '640', '--limit-test', '64', '--hidden', '16', '--log-interval', '1', '--no-progress']],
    ['toy', ['--epochs', '200']],
  ])('npm run %s | head -3: quiet, exit 0, and what it was asked to save is saved', (cli, args) => {
    const save = join(dir, `piped-${cli}.safetensors`);
    const quoted = [...args, ...(cli === 'train' ? ['--save', save] : [])].map((a) => `'${a}'`).join(' ');
    const r = spawnSync('bash', ['-c', `set -o pipefail; node src/node/launch.mjs src/cli/${cli}.ts ${quoted} | head -3`], { cwd: repo, encoding: 'utf8' });
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(3);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    if (cli === 'train') expect(decodeSafetensors(readFileSync(save), resolveMlp([784, 16, 10]), save).layers).toHaveLength(2);
  }, 120_000);
});

describe("the dashboard's servers", () => {
  it.each(['dev', 'preview'] as const)('%s server: a malformed URL (/mnist/%%) gets a plain 400, no stack trace', async (kind) => {
    const config = { configFile: false as const, root: repo, logLevel: 'silent' as const, plugins: [mnistAssets()] };
    const server = kind === 'dev'
      ? await (await createServer({ ...config, server: { host: '127.0.0.1', port: 0, hmr: false, watch: null } })).listen()
      : await preview({ ...config, preview: { host: '127.0.0.1', port: 0 }, build: { outDir: dir } });
    try {
      const base = server.resolvedUrls!.local[0];
      const bad = await fetch(`${base}mnist/%`);
      const body = await bad.text();
      expect(bad.status).toBe(400);
      expect(bad.headers.get('content-type')).toBe('text/plain');
      expect(body).toBe('400 Bad Request: malformed URL escape\n');
      // The plugin still serves the files.
      expect((await fetch(`${base}mnist/t10k-labels-idx1-ubyte`)).status).toBe(200);
    } finally {
      await server.close();
    }
  });
});
