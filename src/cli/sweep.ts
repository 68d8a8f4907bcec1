// `npm run sweep`: the notebook's tuning homework. Trains a grid and/or list of optimizer
// settings of the notebook's 784-512-256-10 network through the same trainer as `npm run train`,
// resumably (results.json is rewritten after every run, and a finished run is never repeated),
// optionally with successive halving, and writes results.md and accuracy.svg beside it.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Command } from 'commander';
import type { MnistData } from '../data/mnist.ts';
import { loadMnist } from '../data/mnist-node.ts';
import { requestGpu, type GpuContext } from '../gpu/context.ts';
import type { MatmulVariant } from '../gpu/kernels/matmul.ts';
import { expandPoints, parseGrid, parseList, planRuns, pointOf, SWEEP_KEYS, SweepSpecError, type PlannedRun, type SweepPoint } from '../sweep/plan.ts';
import { emptyResults, runSweep, type HalvingOptions, type SweepResults, type SweepRunner } from '../sweep/run.ts';
import { runSession, type Device } from '../train/session.ts';
import type { EpochResult } from '../train/trainer.ts';
import { configureProgram, fail, runIfMain, parseInteger, runCommand, type CliIo } from './common.ts';
import { createReporter, type Reporter } from './reporter.ts';
import { README_SWEEPS, renderAccuracySvg, renderReadmeResults, renderSweepMarkdown, replaceReadmeResults, sweepTable } from '../docs/sweep-report.ts';
import { summarise } from '../sweep/summary.ts';
import { textTable } from '../docs/tables.ts';
import { addTrainerOptions, parseTrainerOptions, type RawTrainerOptions } from './trainer-options.ts';

function buildProgram(io: CliIo): Command {
  return addTrainerOptions(configureProgram(new Command('sweep'), io))
    .description("Tune the notebook's 784-512-256-10 network: train every configuration of a grid and/or list, resumably, " +
      'and write results.json, results.md and accuracy.svg.')
    .option('--grid <key=values>', `an axis of the grid, e.g. lr=0.5,1,2 (repeatable; keys: ${SWEEP_KEYS.join(', ')})`, (v: string, a: string[]) => [...a, v], [] as string[])
    .option('--list <file>', 'a JSON array of configurations, e.g. [{"lr": 2, "schedule": "cosine", "epochs": 20}], crossed with --grid')
    .option('--from <dir>', "another sweep's folder: take its best finished configurations (see --top) instead of --list, and reuse their runs")
    .option('--top <n>', 'with --from: how many of its best finished configurations, e.g. to verify them with --grid seed=1,2,3', '1')
    .option('--halving', 'successive halving: train all a few epochs, keep the best 1/eta, repeat until the survivors finish')
    .option('--eta <n>', 'halving factor, integer >= 2', '3')
    .option('--min-epochs <n>', 'epochs of the first halving rung at least, integer >= 1', '1')
    .option('--out <dir>', 'results folder; an existing results.json there is resumed', 'sweeps/latest')
    .option('--dry-run', 'print the planned runs and what the results already hold, train nothing')
    .option('--readme', "rewrite README.md's results table from sweeps/notebook and sweeps/tuned, train nothing")
    .option('--report-only', "rewrite results.md and accuracy.svg from --out's results.json, train nothing");
}

interface RawOptions extends RawTrainerOptions {
  grid: string[];
  list?: string;
  from?: string;
  top: string;
  halving?: boolean;
  eta: string;
  minEpochs: string;
  out: string;
  dryRun?: boolean;
  reportOnly?: boolean;
  readme?: boolean;
}

async function readResults(file: string, halving: HalvingOptions | null): Promise<SweepResults> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return emptyResults(halving);
  }
  let parsed: SweepResults;
  try {
    parsed = JSON.parse(text) as SweepResults;
  } catch (e) {
    fail(`--out: ${file} is not valid JSON (${(e as Error).message}); move it away or choose another --out`);
  }
  if (parsed?.version !== 1 || !Array.isArray(parsed.runs)) {
    fail(`--out: ${file} is not a results file of this sweep version; move it away or choose another --out`);
  }
  return parsed;
}

/** Written to a temporary file and renamed, so an interrupted sweep never leaves half a file. */
async function writeAtomically(file: string, text: string): Promise<void> {
  await writeFile(`${file}.tmp`, text);
  await rename(`${file}.tmp`, file);
}

async function writeOutputs(dir: string, results: SweepResults): Promise<void> {
  await writeAtomically(join(dir, 'results.json'), `${JSON.stringify(results, null, 1)}\n`);
  await writeAtomically(join(dir, 'results.md'), renderSweepMarkdown(results));
  if (results.runs.length) await writeAtomically(join(dir, 'accuracy.svg'), await renderAccuracySvg(results));
}

/** The `top` best finished configurations of the sweep in `dir`, as list entries, with that
 * sweep's runs of them (a run with the same key is the same training: it need not run again). */
async function bestOf(dir: string, top: number): Promise<{ points: SweepPoint[]; source: SweepResults }> {
  const source = await readResults(join(dir, 'results.json'), null);
  const best = summarise(source).filter((s) => s.complete && s.diverged === 0).slice(0, top);
  if (!best.length) fail(`--from: ${join(dir, 'results.json')} holds no finished configuration without divergence`);
  return { points: best.map((b) => pointOf(source.runs.find((r) => r.group === b.group)!.config)), source };
}

const epochLine = (e: Omit<EpochResult, 'predictions'>, of: number) =>
  `    epoch ${e.epoch}/${of}: lr ${+e.lr.toPrecision(4)}, train loss ${e.trainLoss.toFixed(4)}, test accuracy ${e.testAccuracy.toFixed(2)}%, ${e.trainSeconds.toFixed(1)} s`;

/** Runs `body` with a runner for the chosen device and runtime, set up once for the sweep. */
async function withRunner<T>(o: { device: Device; runtime: 'browser' | 'node'; data: MnistData; dataDir?: string; matmul?: MatmulVariant },
  io: CliIo, body: (runner: SweepRunner) => Promise<T>): Promise<T> {
  // The adapter once, with the train command's warning when it is a CPU fallback.
  const reporter = createReporter(io, null);
  if (o.device === 'gpu' && o.runtime === 'browser') {
    const { withBrowserTrainer } = await import('../headless/browser-runtime.ts');
    let told = false;
    return withBrowserTrainer(o.dataDir, (train) => body({
      run: async (r: PlannedRun, epochs: number) => (await train({ config: r.config, initBase64: null, matmul: o.matmul, stopAfterEpochs: epochs },
        (kind, payload) => {
          if (kind === 'epoch') io.out(epochLine(payload as EpochResult, r.config.epochs));
          else if (kind === 'ready' && !told) {
            told = true;
            reporter.ready(payload as Parameters<Reporter['ready']>[0]);
          }
        })).report,
    }));
  }
  // One context for the whole sweep: its pipelines compile once.
  const ctx: GpuContext | undefined = o.device === 'gpu' ? await requestGpu() : undefined;
  reporter.ready({ adapter: ctx?.adapter ?? null, kernels: null });
  try {
    return await body({
      run: async (r, epochs) => (await runSession({
        config: r.config, device: o.device, data: o.data, ctx, matmul: o.matmul, stopAfterEpochs: epochs,
        events: { onEpoch: (e) => io.out(epochLine(e, r.config.epochs)) },
      })).report,
    });
  } finally {
    ctx?.destroy();
  }
}

async function run(program: Command, argv: string[], io: CliIo): Promise<number> {
  program.parse(argv, { from: 'user' });
  const o = program.opts<RawOptions>();
  const { device, runtime, matmul, limitTrain, limitTest } = parseTrainerOptions(o);
  const halving = o.halving ? { eta: parseInteger('--eta', o.eta, 2, 100), minEpochs: parseInteger('--min-epochs', o.minEpochs, 1) } : null;
  const base = { limitTrain, limitTest };
  if (o.readme) {
    const [notebook, tuned] = await Promise.all([README_SWEEPS.notebook, README_SWEEPS.tuned].map((d) => readResults(join(d, 'results.json'), null)));
    const readme = await readFile('README.md', 'utf8');
    await writeFile('README.md', replaceReadmeResults(readme, renderReadmeResults(notebook, tuned)));
    io.out(`rewrote the results table of README.md from ${README_SWEEPS.notebook} and ${README_SWEEPS.tuned}`);
    return 0;
  }
  if (o.reportOnly) {
    const file = join(o.out, 'results.json');
    const results = await readResults(file, null);
    if (!results.runs.length) fail(`--report-only: no runs in ${file}`);
    await writeOutputs(o.out, results);
    io.out(`${textTable(sweepTable(results))}\nwrote ${join(o.out, 'results.md')} and accuracy.svg from ${file}`);
    return 0;
  }
  if (!o.list && !o.from && o.grid.length === 0) {
    fail('nothing to sweep: give --grid key=values (e.g. --grid lr=0.5,1,2), --list FILE.json or --from DIR');
  }
  if (o.list && o.from) fail('--list and --from both give the configurations: choose one');
  const file = join(o.out, 'results.json');
  const previous = await readResults(file, halving);
  let plan: PlannedRun[];
  let data: MnistData;
  try {
    const from = o.from ? await bestOf(o.from, parseInteger('--top', o.top, 1)) : null;
    const list = from?.points ?? (o.list ? parseList(await readFile(o.list, 'utf8').catch((e: Error) => fail(`--list cannot read ${JSON.stringify(o.list)}: ${e.message}`)), o.list) : null);
    const points = expandPoints(list, parseGrid(o.grid));
    planRuns(points, base); // settings checked before MNIST is read
    data = await loadMnist(o.data).catch((e: Error) => fail(`--data ${e.message}`));
    plan = planRuns(points, base, { trainCount: data.train.count, testCount: data.test.count });
    const keys = new Set(plan.map((r) => r.key));
    const reused = from?.source.runs.filter((r) => keys.has(r.key) && !previous.runs.some((x) => x.key === r.key)) ?? [];
    if (reused.length) {
      previous.runs.push(...reused);
      const own = previous.commands.filter((c) => !from!.source.commands.includes(c));
      previous.commands = [...from!.source.commands, ...own];
      io.out(`reusing ${reused.length} finished runs of ${o.from}`);
    }
  } catch (e) {
    if (e instanceof SweepSpecError) fail(e.message);
    throw e;
  }
  const groups = new Set(plan.map((r) => r.group)).size;
  io.out(`sweep: ${plan.length} runs (${groups} configurations x seeds)${halving ? `, successive halving with eta ${halving.eta}` : ''}; ` +
    `results in ${o.out} (${previous.runs.length} runs there already)`);
  if (o.dryRun) {
    const held = new Map(previous.runs.map((r) => [r.key, r.epochsRun]));
    for (const r of plan) io.out(`  ${r.key}${held.has(r.key) ? `  (results hold ${held.get(r.key)} epochs)` : ''}`);
    return 0;
  }
  await mkdir(o.out, { recursive: true });
  previous.commands = [...(previous.commands ?? []), `npm run sweep -- ${argv.join(' ')}`];
  const results = await withRunner({ device, runtime, data, dataDir: o.data, matmul }, io,
    (runner) => runSweep(plan, runner, previous, halving, { log: (l) => io.out(l), persist: (r) => writeOutputs(o.out, r) }));
  await writeOutputs(o.out, results);
  io.out(`\n${textTable(sweepTable(results))}`);
  io.out(`wrote ${join(o.out, 'results.json')}, results.md and accuracy.svg`);
  return 0;
}

export function runSweepCli(argv: string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
  return runCommand(program, io, () => run(program, argv, io));
}

await runIfMain(import.meta.url, runSweepCli);
