// `npm run toy`: trains the notebook's toy back-propagation network on the CPU reference (float64)
// or with the MNIST MLP's WebGPU training step through Dawn (--device gpu, float32), and prints
// what the notebook printed, so the two can be diffed line by line. Every bad option or input file
// ends in one stderr line naming the option and what it accepts, and exit code 2.
import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
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
import {
  NOTEBOOK_DATASET,
  countOutputs,
  formatEpochLine,
  formatNetwork,
  trainNetwork,
  type ToyNetwork,
} from '../reference/toy.ts';
import { ConfigError } from '../train/config.ts';
import { readProblem } from './paths.ts';
import {
  TOY_NOTEBOOK_SETTINGS as NB,
  checkHiddenAgrees,
  defaultToyNetwork,
  validateToyDataset,
  validateToyNetwork,
  validateToySettings,
} from '../train/toy-config.ts';

const DEVICES = ['cpu', 'gpu'] as const;

async function readJson(option: string, path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    fail(`${option} ${readProblem(path, e)}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    fail(`${option} ${JSON.stringify(path)} is not valid JSON: ${(e as Error).message}`);
  }
}

function buildProgram(io: CliIo): Command {
  return configureProgram(new Command('toy'), io)
    .description("Train the notebook's toy back-propagation network (CPU reference in float64, or WebGPU in float32).")
    .option('--data <file>', 'JSON array of rows [x1, ..., xn, label] (default: the notebook dataset)')
    .option('--init <file>', 'JSON initial network [[{"weights": [...]}, ...], [...]]')
    .option('--lr <number>', 'learning rate, finite > 0', String(NB.lr))
    .option('--epochs <n>', 'number of epochs, integer >= 1', String(NB.epochs))
    .option('--hidden <n>', 'hidden neurons, integer >= 1', String(NB.hidden))
    .option(
      '--seed <n>',
      'mulberry32 seed for the initial weights; given explicitly it also replaces the ' +
        "notebook's weights of a 2-2-2 network",
      String(NB.seed),
    )
    .option('--device <device>', 'cpu | gpu (the WebGPU training step, through Dawn)', 'cpu')
    .option('--json', 'print {"errors": [...], "network": [...]} instead of text');
}

interface ToyOptions {
  data?: string;
  init?: string;
  lr: string;
  epochs: string;
  hidden: string;
  seed: string;
  device: string;
  json?: boolean;
}

async function run(program: Command, argv: string[], io: CliIo): Promise<number> {
  program.parse(argv, { from: 'user' });
  const opts = program.opts<ToyOptions>();

  const device = parseChoice('--device', opts.device, DEVICES);
  const lr = parseNumber('--lr', opts.lr, 0, false);
  const epochs = parseInteger('--epochs', opts.epochs, 1);
  const hidden = parseInteger('--hidden', opts.hidden, 1);
  const seed = parseInteger('--seed', opts.seed, 0, 0xffffffff);

  let network: ToyNetwork;
  let dataset = NOTEBOOK_DATASET;
  try {
    validateToySettings({ lr, epochs, hidden, seed });
    if (opts.data !== undefined) dataset = validateToyDataset(await readJson('--data', opts.data));
    if (opts.init !== undefined) {
      network = validateToyNetwork(await readJson('--init', opts.init), dataset[0].length - 1, countOutputs(dataset));
      if (program.getOptionValueSource('hidden') === 'cli') checkHiddenAgrees(network, hidden);
    } else {
      network = defaultToyNetwork(dataset, hidden, seed, program.getOptionValueSource('seed') === 'cli');
    }
  } catch (e) {
    if (e instanceof ConfigError) fail(e.message);
    throw e;
  }
  const nOutputs = countOutputs(dataset);

  const onEpoch = opts.json ? undefined : (epoch: number, error: number) => io.out(formatEpochLine(epoch, lr, error));
  let result: { errors: number[]; network: ToyNetwork };
  if (device === 'cpu') {
    result = { errors: trainNetwork(network, dataset, lr, epochs, nOutputs, onEpoch), network };
  } else {
    // Loaded only here: the CPU path needs neither Dawn's native addon nor the `?raw` WGSL loader.
    const { requestGpu } = await import('../gpu/context.ts');
    const { GpuDeviceError, GpuUnavailableError } = await import('../gpu/errors.ts');
    const { trainToyOnGpu } = await import('../train/toy-gpu.ts');
    const { createReporter } = await import('./reporter.ts');
    try {
      const ctx = await requestGpu();
      // The adapter as `train` prints it; with --json on stderr, so stdout stays one object.
      createReporter(opts.json ? { out: io.err, err: io.err } : io, null).ready({ adapter: ctx.adapter, kernels: null });
      try {
        result = await trainToyOnGpu(ctx, network, dataset, lr, epochs, onEpoch);
      } finally {
        ctx.destroy();
      }
    } catch (e) {
      if (!(e instanceof GpuUnavailableError || e instanceof GpuDeviceError)) throw e;
      // Exit 1, not the usage errors' 2: the command line was right, this machine's WebGPU failed.
      io.err(`error: --device gpu: ${e.message.replace(/\s*\n\s*/g, ' ')}`);
      return 1;
    }
  }
  io.out(opts.json ? JSON.stringify(result) : formatNetwork(result.network));
  return 0;
}

/** Runs the CLI on user arguments (no node/script prefix); resolves to the process exit code. */
export function runToyCli(argv: string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
  return runCommand(program, io, () => run(program, argv, io));
}

await runIfMain(import.meta.url, runToyCli);
