// `npm run sweep`: the notebook's tuning homework. Trains a grid and/or list of optimizer
// settings of the notebook's 784-512-256-10 network through the same trainer as `npm run train`,
// resumably (results.json is rewritten after every run, and a finished run is never repeated),
// optionally with successive halving, and writes results.md and accuracy.svg beside it.
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Command } from 'commander';
import type { LoadedData } from '../data/mnist-node.ts';
import { dataExtent } from '../train/config.ts';
import { loadDataOptions } from './data-options.ts';
import { requestGpu, type GpuContext } from '../gpu/context.ts';
import type { MatmulVariant } from '../gpu/kernels/matmul.ts';
import { expandPoints, parseGrid, parseList, planRuns, pointOf, SWEEP_KEYS, SweepSpecError, type PlannedRun, type SweepPoint } from '../sweep/plan.ts';
import { emptyResults, mergeResults, parseResults, runSweep, SweepResultsError, type HalvingOptions, type SweepResults, type SweepRunner } from '../sweep/run.ts';
import { decodeCheckpoint, encodeCheckpoint, type TrainState } from '../train/checkpoint.ts';
import { runSession, type Device, type SessionResult, type TrainReport } from '../train/session.ts';
import { testedEpoch, type EpochRecord } from '../train/trainer.ts';
import { configureProgram, fail, runIfMain, parseInteger, type CliIo } from './common.ts';
import { createReporter, type Reporter } from './reporter.ts';
import { README_SWEEPS, renderAccuracySvg, renderReadmeResults, renderSweepMarkdown, replaceReadmeResults, sweepTable } from '../docs/sweep-report.ts';
import { summarise } from '../sweep/summary.ts';
import { textTable } from '../docs/tables.ts';
import { base64ToBytes, bytesToBase64 } from '../headless/headless-protocol.ts';
import { readRegularFile, withFileLock, writeFileAtomic } from '../node/files.ts';
import { INTERRUPTED, runInterruptible, type Interrupt } from './interrupt.ts';
import { checkOutputDir, readProblem } from './paths.ts';
import { addTrainerOptions, parseTrainerOptions, type RawTrainerOptions } from './trainer-options.ts';

function buildProgram(io: CliIo): Command {
  return addTrainerOptions(configureProgram(new Command('sweep'), io))
    .description("Tune the notebook's 784-512-256-10 network: train every configuration of a grid and/or list, resumably, " +
      'and write results.json, results.md and accuracy.svg.')
    .option('--grid <key=values>', `an axis of the grid, e.g. lr=0.5,1,2 or 'model=mlp;dense:128:relu' (model values are separated by ;) (repeatable; keys: ${SWEEP_KEYS.join(', ')})`, (v: string, a: string[]) => [...a, v], [] as string[])
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

/** A results file's content; when there is none, empty results (a new --out), or where
 * `ifMissing` is given a usage error saying the file does not exist, then `ifMissing`. A file that
 * cannot be read, or is not valid results, is refused, naming `option`, the file and the entry at
 * fault. */
async function readResults(file: string, halving: HalvingOptions | null, option: string, ifMissing?: string): Promise<SweepResults> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
    if (missing && ifMissing === undefined) return emptyResults(halving);
    return fail(missing ? `${option}: ${file} does not exist; ${ifMissing}` : `${option}: cannot read ${file}: ${(e as Error).message}`);
  }
  try {
    return parseResults(text, file);
  } catch (e) {
    if (!(e instanceof SweepResultsError)) throw e;
    return fail(`${option}: ${e.message}, or move the file away or choose another ${option}`);
  }
}

/** Writes results.json, results.md and accuracy.svg of the union of `mine` and what the folder
 * holds, under a lock: two sweeps writing one folder lose none of each other's runs. */
async function persist(dir: string, mine: SweepResults): Promise<SweepResults> {
  const file = join(dir, 'results.json');
  return withFileLock(join(dir, '.results.json.lock'), async () => {
    const merged = mergeResults(await readResults(file, mine.halving, '--out'), mine);
    await writeFileAtomic(file, `${JSON.stringify(merged, null, 1)}\n`, '--out');
    await writeFileAtomic(join(dir, 'results.md'), renderSweepMarkdown(merged), '--out');
    if (merged.runs.length) await writeFileAtomic(join(dir, 'accuracy.svg'), await renderAccuracySvg(merged), '--out');
    return merged;
  });
}

/** The `top` best finished configurations of the sweep in `dir`, as list entries, with that
 * sweep's runs of them (a run with the same key is the same training: it need not run again). */
async function bestOf(dir: string, top: number): Promise<{ points: SweepPoint[]; source: SweepResults }> {
  const source = await readResults(join(dir, 'results.json'), null, '--from', '--from takes the --out folder of an earlier sweep');
  const best = summarise(source).filter((s) => s.complete && s.diverged === 0).slice(0, top);
  if (!best.length) fail(`--from: ${join(dir, 'results.json')} holds no finished configuration without divergence`);
  return { points: best.map((b) => pointOf(source.runs.find((r) => r.group === b.group)!.config)), source };
}

const epochLine = (e: EpochRecord, of: number) =>
  `    epoch ${e.epoch}/${of}: lr ${+e.lr.toPrecision(4)}, train loss ${e.trainLoss.toFixed(4)}, test accuracy ${testedEpoch(e).testAccuracy.toFixed(2)}%, ${e.trainSeconds.toFixed(1)} s`;

/** One checkpoint per run in `out`/checkpoints, written after every epoch and when the sweep is
 * interrupted, removed once the run is done: the next call continues the run from it. */
function runCheckpoints(out: string, io: CliIo) {
  const path = (r: PlannedRun) => join(out, 'checkpoints', `${r.key.replace(/[^\w.=-]+/g, '_')}.safetensors`);
  return {
    path,
    async load(r: PlannedRun): Promise<TrainState | null> {
      const bytes = await readRegularFile(path(r)).catch(() => null);
      if (!bytes) return null;
      try {
        const state = decodeCheckpoint(bytes, path(r));
        if (JSON.stringify(state.config) !== JSON.stringify(r.config)) throw new Error('it holds another configuration');
        io.out(`    continuing from ${path(r)} (epoch ${state.progress.epoch + 1}, step ${state.progress.step})`);
        return state;
      } catch (e) {
        io.out(`    ${path(r)} cannot continue this run (${(e as Error).message}); training it from the start`);
        return null;
      }
    },
    async save(r: PlannedRun, state: TrainState): Promise<void> {
      await mkdir(join(out, 'checkpoints'), { recursive: true });
      await writeFileAtomic(path(r), encodeCheckpoint(state), '--out');
    },
    remove: (r: PlannedRun) => rm(path(r), { force: true }),
  };
}

interface RunnerOptions {
  device: Device;
  runtime: 'browser' | 'node';
  data: LoadedData;
  matmul?: MatmulVariant;
  out: string;
  interrupt: Interrupt;
}

/** Runs `body` with a runner for the chosen device and runtime, set up once for the sweep. The
 * runner continues a run from its checkpoint and leaves one when interrupted; `stopped` tells
 * which run that was. */
async function withRunner<T>(o: RunnerOptions, io: CliIo, body: (runner: SweepRunner) => Promise<T>): Promise<{ value: T; stopped: { run: PlannedRun; state: TrainState } | null }> {
  // The adapter once, with the train command's warning when it is a CPU fallback.
  const reporter = createReporter(io, null);
  const checkpoints = runCheckpoints(o.out, io);
  let stopped: { run: PlannedRun; state: TrainState } | null = null;
  const finish = async (r: PlannedRun, result: SessionResult): Promise<TrainReport> => {
    if (result.report.stopped) {
      await checkpoints.save(r, result.state);
      stopped = { run: r, state: result.state };
    } else {
      await checkpoints.remove(r);
    }
    return result.report;
  };
  if (o.device === 'gpu' && o.runtime === 'browser') {
    const { withBrowserTrainer } = await import('../headless/browser-runtime.ts');
    let told = false;
    const value = await withBrowserTrainer(o.data, (train, stop) => {
      o.interrupt.onSignal(stop);
      return body({
        run: async (r: PlannedRun, epochs: number) => {
          const resume = await checkpoints.load(r);
          const req = { config: r.config, dataSource: o.data.data.source, dataFormat: o.data.format, initBase64: null, resumeBase64: resume && bytesToBase64(encodeCheckpoint(resume)), matmul: o.matmul,
            stopAfterEpochs: epochs, checkpoints: true };
          return finish(r, await train(req, (kind, payload) => {
            if (kind === 'epoch') io.out(epochLine(payload as EpochRecord, r.config.epochs));
            else if (kind === 'checkpoint') return checkpoints.save(r, decodeCheckpoint(base64ToBytes(payload as string), checkpoints.path(r)));
            else if (kind === 'ready' && !told) {
              told = true;
              reporter.ready(payload as Parameters<Reporter['ready']>[0]);
            }
          }));
        },
      });
    });
    return { value, stopped };
  }
  // One context for the whole sweep: its pipelines compile once.
  const ctx: GpuContext | undefined = o.device === 'gpu' ? await requestGpu() : undefined;
  reporter.ready({ adapter: ctx?.adapter ?? null, kernels: null });
  try {
    const value = await body({
      run: async (r, epochs) => finish(r, await runSession({
        config: r.config, device: o.device, data: o.data.data, ctx, matmul: o.matmul, stopAfterEpochs: epochs,
        resume: await checkpoints.load(r),
        shouldStop: () => o.interrupt.signal !== null,
        onCheckpoint: (state) => checkpoints.save(r, state),
        events: { onEpoch: (e) => io.out(epochLine(e, r.config.epochs)) },
      })),
    });
    return { value, stopped };
  } finally {
    ctx?.destroy();
  }
}

async function run(program: Command, argv: string[], io: CliIo, interrupt: Interrupt): Promise<number> {
  program.parse(argv, { from: 'user' });
  const o = program.opts<RawOptions>();
  const { device, runtime, matmul, limitTrain, limitTest } = parseTrainerOptions(o);
  const halving = o.halving ? { eta: parseInteger('--eta', o.eta, 2, 100), minEpochs: parseInteger('--min-epochs', o.minEpochs, 1) } : null;
  const base = { limitTrain, limitTest };
  if (o.readme) {
    const [notebook, tuned] = await Promise.all([README_SWEEPS.notebook, README_SWEEPS.tuned].map((d) => readResults(join(d, 'results.json'), null, '--readme', `--readme reads ${README_SWEEPS.notebook} and ${README_SWEEPS.tuned}`)));
    const readme = await readFile('README.md', 'utf8');
    await writeFileAtomic('README.md', replaceReadmeResults(readme, renderReadmeResults(notebook, tuned)));
    io.out(`rewrote the results table of README.md from ${README_SWEEPS.notebook} and ${README_SWEEPS.tuned}`);
    return 0;
  }
  if (o.reportOnly) {
    const file = join(o.out, 'results.json');
    const results = await readResults(file, null, '--out', '--report-only rewrites the report of the sweep in --out: give its folder');
    if (!results.runs.length) fail(`--report-only: no runs in ${file}`);
    await checkOutputDir('--out', o.out);
    await persist(o.out, results);
    io.out(`${textTable(sweepTable(results))}\nwrote ${join(o.out, 'results.md')} and accuracy.svg from ${file}`);
    return 0;
  }
  if (!o.list && !o.from && o.grid.length === 0) {
    fail('nothing to sweep: give --grid key=values (e.g. --grid lr=0.5,1,2), --list FILE.json or --from DIR');
  }
  if (o.list && o.from) fail('--list and --from both give the configurations: choose one');
  if (!o.dryRun) await checkOutputDir('--out', o.out);
  const file = join(o.out, 'results.json');
  const previous = await readResults(file, halving, '--out');
  let plan: PlannedRun[];
  let data: LoadedData;
  try {
    const from = o.from ? await bestOf(o.from, parseInteger('--top', o.top, 1)) : null;
    const list = from?.points ?? (o.list ? parseList(await readFile(o.list, 'utf8').catch((e: unknown) => fail(`--list ${readProblem(o.list!, e)}`)), o.list) : null);
    const points = expandPoints(list, parseGrid(o.grid));
    planRuns(points, base); // settings checked before the data is read
    data = await loadDataOptions(o);
    plan = planRuns(points, base, dataExtent(data.data));
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
  const { value, stopped } = await withRunner({ device, runtime, data, matmul, out: o.out, interrupt }, io,
    (runner) => runSweep(plan, runner, previous, halving,
      { log: (l) => io.out(l), persist: async (r) => void (await persist(o.out, r)), shouldStop: () => interrupt.signal !== null }));
  const results = await persist(o.out, value);
  io.out(`\n${textTable(sweepTable(results))}`);
  io.out(`wrote ${file}, results.md and accuracy.svg`);
  if (!interrupt.signal) return 0;
  const where = stopped ? `; ${stopped.run.label} seed=${stopped.run.config.seed} stopped at epoch ${stopped.state.progress.epoch + 1}, ` +
    `step ${stopped.state.progress.step}, its checkpoint is ${runCheckpoints(o.out, io).path(stopped.run)}` : '';
  io.out(`interrupted (${interrupt.signal}): ${results.runs.length} runs kept in ${file}${where}. Run the same command again to continue.`);
  return INTERRUPTED;
}

export function runSweepCli(argv: string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
  return runInterruptible(program, io, 'the current run at its next read-back', (interrupt) => run(program, argv, io, interrupt));
}

await runIfMain(import.meta.url, runSweepCli);
