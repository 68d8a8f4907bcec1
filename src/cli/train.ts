// `npm run train`: the main job. Trains an MLP (default: the notebook's recipe on the embedded
// MNIST; --data for another IDX set or CSV files) with the WebGPU trainer in headless
// Chrome/Chromium (default) or in Node through Dawn (--runtime node), or on the CPU reference
// (--device cpu).
import { availableHostMemory } from '../gpu/node-gpu.ts';
import { Command } from 'commander';
import { classCount, classMapping, contentHash, describeData, untrainedNote } from '../data/dataset.ts';
import { networkFor, sampleShape, type Mlp } from '../reference/mlp.ts';
import type { ResolvedLayer } from '../model/spec.ts';
import { checkFits, decodeCheckpoint, encodeCheckpoint, type TrainState } from '../train/checkpoint.ts';
import {
  ConfigError, configLine, dataExtent, NOTEBOOK_RECIPE, recipeFor, validateConfig, type TrainConfig,
} from '../train/config.ts';
import { decodeSafetensors, encodeModelFile, SafetensorsError } from '../train/safetensors.ts';
import { runSession, type SessionResult } from '../train/session.ts';
import { DIVERGENCE_FACTOR, testedEpoch } from '../train/trainer.ts';
import { checkHostMemory } from '../train/memory.ts';
import { chanceAccuracy, classCounts, nearChanceNote } from '../train/plateau.ts';
import {
  configureProgram,
  fail,
  runIfMain,
  parseChoice,
  parseInteger,
  usage,
  type CliIo,
} from './common.ts';
import { NoSpaceError, writeFileAtomic } from '../node/files.ts';
import { INTERRUPTED, runInterruptible, type Interrupt } from './interrupt.ts';
import { loadDataOptions } from './data-options.ts';
import { checkDistinct, checkOutputFile, readInput } from './paths.ts';
import { createReporter } from './reporter.ts';
import { addModelOptions, modelFrom, type RawModelOptions } from './model-options.ts';
import { addOptimizerOptions, optimizerFrom, recipeDefault, type RawOptimizerOptions } from './optimizer-options.ts';
import { LOSSES } from '../model/losses.ts';
import { addTrainerOptions, parseTrainerOptions, type RawTrainerOptions } from './trainer-options.ts';

const R = NOTEBOOK_RECIPE;

function buildProgram(io: CliIo): Command {
  return addOptimizerOptions(addModelOptions(addTrainerOptions(configureProgram(new Command('train'), io))))
    .description("Train a network with WebGPU: by default the notebook's recipe on MNIST (784-512-256-10, SGD lr 0.5, batch 32, 10 " +
      'epochs); --model cnn trains the small CNN with its own recipe (the options\' defaults ' +
      'say where it differs), and any option given replaces the recipe\'s; --data for another IDX set (Fashion-MNIST, ...) or your own CSV files. The input width and the classes come from the data.')
    .option('--epochs <n>', `epochs, integer >= 1 (${recipeDefault((c) => c.epochs)})`)
    .option('--batch <n>', 'batch size, integer in [1, training samples]', String(R.batchSize))
    .option('--loss <kind>', `${LOSSES.join(' | ')} (nll: log-softmax + cross-entropy; squared: sigmoid outputs, squared error)`, R.loss)
    .option('--seed <n>', 'seed of weight init and shuffling, integer in [0, 4294967295]', String(R.seed))
    .option('--no-shuffle', 'keep the training set in file order')
    .option('--log-interval <n>', 'a Train Epoch line every n batches', String(R.logInterval))
    .option('--readback-every <n>', 'steps per GPU submit between loss read-backs', String(R.readbackEvery))
    .option('--no-divergence-stop', `train on when a read-back interval's mean loss explodes past ${DIVERGENCE_FACTOR} x ln(classes) while staying finite (NaN and Inf still stop the run)`)
    .option('--init <file>', 'start from these weights (.safetensors, PyTorch names fc1.weight ...)')
    .option('--save <file>', 'write the final weights (.safetensors)')
    .option('--json <file>', 'write a JSON report (config, adapter, per-step loss, per-epoch results)')
    .option('--checkpoint <file>', 'write a checkpoint (.safetensors: weights, momentum, progress, config) after every epoch and on Ctrl-C')
    .option('--resume <file>', 'continue the run saved in this checkpoint, exactly (its configuration; checkpoints go back to it)')
    .option('--no-progress', 'no progress bar');
}

interface RawOptions extends RawTrainerOptions, RawModelOptions, RawOptimizerOptions {
  epochs?: string;
  batch: string;
  loss: string;
  seed: string;
  shuffle: boolean;
  logInterval: string;
  readbackEvery: string;
  divergenceStop: boolean;
  init?: string;
  save?: string;
  json?: string;
  checkpoint?: string;
  resume?: string;
  progress: boolean;
}

/** Options that a checkpoint fixes (its configuration and data subset): refused beside --resume. */
const FIXED_BY_CHECKPOINT = ['epochs', 'batch', 'optimizer', 'lr', 'momentum', 'nesterov', 'weightDecay', 'beta1', 'beta2', 'eps', 'lrSchedule', 'augmentShift', 'model', 'hidden',
  'activation', 'loss', 'seed', 'shuffle', 'limitTrain', 'limitTest', 'init'];
/** What may change on --resume: none of them changes a step's numbers. */
const CHANGEABLE_ON_RESUME = ['logInterval', 'readbackEvery', 'divergenceStop'] as const;
/** Kept from the interrupted command line in the resume command it prints (the checkpoint holds
 * the rest). */
const KEPT_FOR_RESUME = ['data', 'testData', 'labelColumn', 'device', 'runtime', 'matmul', 'save', 'json', 'progress'];

function configFrom(o: RawOptions): Partial<TrainConfig> {
  const recipe = recipeFor(o.model);
  return {
    epochs: o.epochs === undefined ? recipe.epochs : parseInteger('--epochs', o.epochs, 1),
    batchSize: parseInteger('--batch', o.batch, 1),
    ...optimizerFrom(o, recipe),
    model: modelFrom(o),
    loss: parseChoice('--loss', o.loss, LOSSES),
    seed: parseInteger('--seed', o.seed, 0, 0xffffffff),
    shuffle: o.shuffle,
    logInterval: parseInteger('--log-interval', o.logInterval, 1),
    readbackEvery: parseInteger('--readback-every', o.readbackEvery, 1),
    divergenceStop: o.divergenceStop,
  };
}

export async function readInit(file: string, layers: readonly ResolvedLayer[]): Promise<Mlp> {
  const bytes = await readInput('--init', file);
  try {
    return decodeSafetensors(bytes, layers, file);
  } catch (e) {
    if (e instanceof SafetensorsError) fail(`--init ${e.message}`);
    throw e;
  }
}

/** What this process may still allocate: the host's available memory, within a cgroup limit. */
async function readCheckpoint(file: string): Promise<TrainState> {
  const bytes = await readInput('--resume', file);
  try {
    return decodeCheckpoint(bytes, file);
  } catch (e) {
    if (e instanceof SafetensorsError) fail(`--resume ${e.message}`);
    throw e;
  }
}

const fromCli = (program: Command, key: string) => program.getOptionValueSource(key) === 'cli';

/** The command that continues an interrupted run: the options that do not fix the run, as given. */
function resumeCommand(program: Command, checkpoint: string): string {
  const quote = (v: string) => (/^[\w.,/=:+-]+$/.test(v) ? v : JSON.stringify(v));
  const kept = program.options.filter((opt) => KEPT_FOR_RESUME.includes(opt.attributeName()) && fromCli(program, opt.attributeName()))
    .map((opt) => (opt.required || opt.optional ? `${opt.long} ${quote(String(program.getOptionValue(opt.attributeName())))}` : opt.long));
  return ['npm run train -- --resume', quote(checkpoint), ...kept].join(' ');
}

async function run(program: Command, argv: string[], io: CliIo, interrupt: Interrupt): Promise<number> {
  program.parse(argv, { from: 'user' });
  const o = program.opts<RawOptions>();
  const trainer = parseTrainerOptions(o);
  const { device, runtime, matmul } = trainer;
  const parsed = usage(() => configFrom(o));
  let resume: TrainState | null = null;
  // Checks that need no data first, so a typo fails before the data is read.
  let config: TrainConfig;
  if (o.resume) {
    const fixed = program.options.find((opt) => FIXED_BY_CHECKPOINT.includes(opt.attributeName()) && fromCli(program, opt.attributeName()));
    if (fixed) {
      fail(`${fixed.long} cannot be given with --resume: the run continues with the configuration saved in ${o.resume} ` +
        `(only ${CHANGEABLE_ON_RESUME.map((k) => program.options.find((opt) => opt.attributeName() === k)!.long).join(', ')} may change)`);
    }
    resume = await readCheckpoint(o.resume);
    const changed = Object.fromEntries(CHANGEABLE_ON_RESUME.filter((k) => fromCli(program, k)).map((k) => [k, parsed[k]]));
    config = usage(() => validateConfig({ ...resume!.config, ...changed }));
  } else {
    config = usage(() => validateConfig({ ...parsed, limitTrain: trainer.limitTrain, limitTest: trainer.limitTest }));
  }
  // Written after every epoch and on interruption; a resumed run goes on updating its file.
  const checkpoint = o.checkpoint ?? o.resume;
  checkDistinct([['--save', o.save], ['--json', o.json], ['--checkpoint', checkpoint]]);
  if (o.save) await checkOutputFile('--save', o.save);
  if (o.json) await checkOutputFile('--json', o.json);
  if (checkpoint) await checkOutputFile(o.checkpoint ? '--checkpoint' : '--resume', checkpoint);
  const { data, format, served } = await loadDataOptions(o);
  config = usage(() => validateConfig(config, dataExtent(data)));
  const layers = usage(() => networkFor(data, config));
  if (resume) {
    try {
      checkFits(resume, { source: data.source, train: data.train.count, test: data.test.count, inputShape: sampleShape(data.train), hash: contentHash(data) }, o.resume!);
    } catch (e) {
      if (e instanceof SafetensorsError) fail(`--resume ${e.message}`);
      throw e;
    }
  }
  usage(() => checkHostMemory(config, layers, device, availableHostMemory()));
  const init = o.init ? await readInit(o.init, layers) : null;
  io.out(`data: ${data.source}: ${describeData(data)}` +
    (config.limitTrain || config.limitTest ? `; using ${config.limitTrain ?? data.train.count} training / ${config.limitTest ?? data.test.count} test samples` : ''));
  const mapping = classMapping(data);
  if (mapping) io.out(`classes: ${mapping}`);
  const untrained = untrainedNote(data);
  if (untrained) io.out(untrained);
  io.out(configLine(config));
  if (resume) {
    const { epoch, step } = resume.progress;
    io.out(`resuming ${o.resume}: ${epoch === config.epochs ? 'the run is complete' : `epoch ${epoch + 1}, step ${step}`}`);
  }
  // A full disk stops no run: what could not be written is kept in the temporary directory, said
  // where, and the run (or the remaining writes) goes on; the command then exits 1.
  const noSpace: string[] = [];
  const write = async (option: string, path: string, data: string | Uint8Array, done?: string): Promise<void> => {
    try {
      await writeFileAtomic(path, data, option);
      if (done) io.out(done);
    } catch (e) {
      if (!(e instanceof NoSpaceError)) throw e;
      io.err(`error: ${e.message}`);
      noSpace.push(option);
    }
  };
  const saveCheckpoint = checkpoint ? (state: TrainState) => write('--checkpoint', checkpoint, encodeCheckpoint(state)) : undefined;
  const reporter = createReporter(io, o.progress && process.stdout.isTTY ? { stream: process.stdout, epochs: config.epochs } : null);
  interrupt.tellWith(reporter.notice);
  let result: SessionResult;
  try {
    result = device === 'gpu' && runtime === 'browser'
      // Loaded only here: a Node-runtime run needs neither Vite nor Playwright.
      ? await (await import('../headless/browser-runtime.ts')).runInBrowser(
        { config, data: { format, served }, dataSource: data.source, init, resume, matmul, onCheckpoint: saveCheckpoint, onStop: interrupt.onSignal }, reporter)
      : await runSession({ config, device, data, init, resume, matmul, events: reporter, onReady: reporter.ready,
        shouldStop: () => interrupt.signal !== null, onCheckpoint: saveCheckpoint });
  } catch (e) {
    // A network too large for the adapter's buffers, found once the adapter is known.
    if (e instanceof ConfigError) fail(e.message);
    throw e;
  } finally {
    reporter.close();
  }
  const { report, weights, state } = result;
  if (report.stopped && interrupt.signal) {
    const path = checkpoint ?? `train-interrupted-${new Date().toISOString().replace(/[:.]/g, '-')}.safetensors`;
    await write(checkpoint ? '--checkpoint' : 'the interrupted run\'s checkpoint', path, encodeCheckpoint(state));
    const command = resumeCommand(program, path);
    const { epoch, step } = state.progress;
    io.out(`interrupted (${interrupt.signal}) at epoch ${epoch + 1}, step ${step}: checkpoint written to ${path}`);
    if (o.json) {
      await write('--json', o.json, `${JSON.stringify({ ...report, interrupted: { signal: interrupt.signal, checkpoint: path, resume: command } }, null, 1)}\n`,
        `wrote the report so far to ${o.json}, marked as interrupted`);
    }
    if (o.save) io.out(`${o.save} not written: the run has not finished (the resumed run writes it)`);
    io.out(`resume with: ${command}`);
    return INTERRUPTED;
  }
  const last = report.epochs.length ? testedEpoch(report.epochs[report.epochs.length - 1]) : null;
  if (last) {
    io.out(`done: ${report.epochs.length} epochs, final test accuracy ${last.testAccuracy.toFixed(2)}%, ` +
      `${report.samplesPerSec.toFixed(0)} training samples/s, ${report.totalSeconds.toFixed(1)} s in all`);
    const tested = data.test.labels.subarray(0, config.limitTest ?? data.test.count);
    const note = nearChanceNote({
      steps: report.stepLosses.length, testAccuracy: last.testAccuracy, model: config.model, optimizer: config.optimizer, chance: chanceAccuracy(classCounts(tested, classCount(data))),
      data: o.data === undefined ? 'mnist' : data.train.image ? 'images' : 'features',
    }, 'cli');
    if (note) io.out(`note: ${note}`);
  }
  if (o.save) {
    await write('--save', o.save, encodeModelFile(weights, config, report.data.classes ?? null, { epochs: String(report.epochs.length) }),
      `saved weights to ${o.save}${report.diverged ? ' (the last weights with a finite loss)' : ''}`);
  }
  if (o.json) await write('--json', o.json, `${JSON.stringify({ ...report, interrupted: null }, null, 1)}\n`, `wrote report to ${o.json}`);
  if (checkpoint && !report.diverged && !noSpace.includes('--checkpoint')) io.out(`checkpoint of the last epoch in ${checkpoint}`);
  return report.diverged || noSpace.length > 0 ? 1 : 0;
}

export function runTrainCli(argv: string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
  return runInterruptible(program, io, 'at the next read-back', (interrupt) => run(program, argv, io, interrupt));
}

await runIfMain(import.meta.url, runTrainCli);
