// `npm run train`: the main job. Trains the MNIST MLP (default: the notebook's recipe on the
// embedded MNIST) with the WebGPU trainer in headless Chrome/Chromium (default) or in Node
// through Dawn (--runtime node), or on the CPU reference (--device cpu).
import { readFile, writeFile } from 'node:fs/promises';
import { Command } from 'commander';
import { loadMnist } from '../data/mnist-node.ts';
import type { Mlp } from '../reference/mlp.ts';
import { ConfigError, LR_SCHEDULES, MAX_AUGMENT_SHIFT, NOTEBOOK_RECIPE, validateConfig, type TrainConfig } from '../train/config.ts';
import { decodeSafetensors, encodeSafetensors, SafetensorsError } from '../train/safetensors.ts';
import { plateauNote } from '../train/plateau.ts';
import { runSession, type TrainReport } from '../train/session.ts';
import {
  configureProgram,
  fail,
  runIfMain,
  parseChoice,
  parseInteger,
  parseNumber,
  runCommand,
  type CliIo,
} from './common.ts';
import { createReporter } from './reporter.ts';
import { addTrainerOptions, parseTrainerOptions, type RawTrainerOptions } from './trainer-options.ts';

const R = NOTEBOOK_RECIPE;

function buildProgram(io: CliIo): Command {
  return addTrainerOptions(configureProgram(new Command('train'), io))
    .description("Train the notebook's MNIST MLP with WebGPU (default: its recipe, 784-512-256-10, SGD lr 0.5, batch 32, 10 epochs).")
    .option('--epochs <n>', 'epochs, integer >= 1', String(R.epochs))
    .option('--batch <n>', 'batch size, integer in [1, training samples]', String(R.batchSize))
    .option('--lr <x>', 'learning rate, > 0', String(R.lr))
    .option('--momentum <x>', 'SGD momentum, in [0, 1)', String(R.momentum))
    .option('--nesterov', 'Nesterov momentum (needs --momentum > 0)')
    .option('--weight-decay <x>', 'L2 weight decay, >= 0', String(R.weightDecay))
    .option('--lr-schedule <s>', `${LR_SCHEDULES.join(' | ')} (per epoch; step: lr/10 after 1/2 and 3/4 of the epochs)`, R.lrSchedule)
    .option('--augment-shift <n>', `augmentation: shift each training image by up to n pixels (0 to ${MAX_AUGMENT_SHIFT}; 0: none)`, String(R.augmentShift))
    .option('--hidden <list>', 'hidden layer widths, comma-separated', R.hidden.join(','))
    .option('--seed <n>', 'seed of weight init and shuffling, integer in [0, 4294967295]', String(R.seed))
    .option('--no-shuffle', 'keep the training set in file order')
    .option('--log-interval <n>', 'a Train Epoch line every n batches', String(R.logInterval))
    .option('--readback-every <n>', 'steps per GPU submit between loss read-backs', String(R.readbackEvery))
    .option('--init <file>', 'start from these weights (.safetensors, PyTorch names fc1.weight ...)')
    .option('--save <file>', 'write the final weights (.safetensors)')
    .option('--json <file>', 'write a JSON report (config, adapter, per-step loss, per-epoch results)')
    .option('--no-progress', 'no progress bar');
}

interface RawOptions extends RawTrainerOptions {
  epochs: string;
  batch: string;
  lr: string;
  momentum: string;
  nesterov?: boolean;
  weightDecay: string;
  lrSchedule: string;
  augmentShift: string;
  hidden: string;
  seed: string;
  shuffle: boolean;
  logInterval: string;
  readbackEvery: string;
  init?: string;
  save?: string;
  json?: string;
  progress: boolean;
}

function configFrom(o: RawOptions): Partial<TrainConfig> {
  const hidden = o.hidden.split(',').map((h) => parseInteger('--hidden', h.trim(), 1));
  return {
    epochs: parseInteger('--epochs', o.epochs, 1),
    batchSize: parseInteger('--batch', o.batch, 1),
    lr: parseNumber('--lr', o.lr, 0, false),
    momentum: parseNumber('--momentum', o.momentum, 0, true, 1, false),
    nesterov: !!o.nesterov,
    weightDecay: parseNumber('--weight-decay', o.weightDecay, 0, true),
    lrSchedule: parseChoice('--lr-schedule', o.lrSchedule, LR_SCHEDULES),
    augmentShift: parseInteger('--augment-shift', o.augmentShift, 0, MAX_AUGMENT_SHIFT),
    hidden,
    seed: parseInteger('--seed', o.seed, 0, 0xffffffff),
    shuffle: o.shuffle,
    logInterval: parseInteger('--log-interval', o.logInterval, 1),
    readbackEvery: parseInteger('--readback-every', o.readbackEvery, 1),
  };
}

export async function readInit(file: string, sizes: number[]): Promise<Mlp> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(file));
  } catch (e) {
    fail(`--init cannot read ${JSON.stringify(file)}: ${(e as Error).message}`);
  }
  try {
    return decodeSafetensors(bytes, sizes, file);
  } catch (e) {
    if (e instanceof SafetensorsError) fail(`--init ${e.message}`);
    throw e;
  }
}

async function run(program: Command, argv: string[], io: CliIo): Promise<number> {
  program.parse(argv, { from: 'user' });
  const o = program.opts<RawOptions>();
  const trainer = parseTrainerOptions(o);
  const { device, runtime, matmul } = trainer;
  const partial = { ...configFrom(o), limitTrain: trainer.limitTrain, limitTest: trainer.limitTest };
  let config: TrainConfig;
  try {
    // Checks that need no data first, so a typo fails before MNIST is read.
    config = validateConfig(partial);
  } catch (e) {
    if (e instanceof ConfigError) fail(e.message);
    throw e;
  }
  const data = await loadMnist(o.data).catch((e: Error) => fail(`--data ${e.message}`));
  try {
    config = validateConfig(partial, { trainCount: data.train.count, testCount: data.test.count });
  } catch (e) {
    if (e instanceof ConfigError) fail(e.message);
    throw e;
  }
  const sizes = [data.train.rows * data.train.cols, ...config.hidden, 10];
  const init = o.init ? await readInit(o.init, sizes) : null;
  io.out(`data: ${data.source}, ${config.limitTrain ?? data.train.count} training / ${config.limitTest ?? data.test.count} test images`);
  io.out(`config: ${JSON.stringify({ ...config, hidden: config.hidden.join(',') })}`);
  const reporter = createReporter(io, o.progress && process.stdout.isTTY ? process.stdout : null);
  let result: { report: TrainReport; weights: Mlp };
  try {
    result = device === 'gpu' && runtime === 'browser'
      // Loaded only here: a Node-runtime run needs neither Vite nor Playwright.
      ? await (await import('../headless/browser-runtime.ts')).runInBrowser({ config, dataDir: o.data, init, matmul }, reporter)
      : await runSession({ config, device, data, init, matmul, events: reporter, onReady: reporter.ready });
  } finally {
    reporter.close();
  }
  const { report, weights } = result;
  const last = report.epochs[report.epochs.length - 1];
  if (last) {
    io.out(`done: ${report.epochs.length} epochs, final test accuracy ${last.testAccuracy.toFixed(2)}%, ` +
      `${report.samplesPerSec.toFixed(0)} training samples/s, ${report.totalSeconds.toFixed(1)} s in all`);
    const note = plateauNote(report.stepLosses.length, last.testAccuracy, true);
    if (note) io.out(`note: ${note}`);
  }
  if (o.save) {
    await writeFile(o.save, encodeSafetensors(weights, { epochs: String(report.epochs.length) }));
    io.out(`saved weights to ${o.save}${report.diverged ? ' (the last weights with a finite loss)' : ''}`);
  }
  if (o.json) {
    await writeFile(o.json, `${JSON.stringify(report, null, 1)}\n`);
    io.out(`wrote report to ${o.json}`);
  }
  return report.diverged ? 1 : 0;
}

export function runTrainCli(argv: string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
  return runCommand(program, io, () => run(program, argv, io));
}

await runIfMain(import.meta.url, runTrainCli);
