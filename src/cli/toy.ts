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
import { createRng } from '../data/prng.ts';
import {
  NOTEBOOK_DATASET,
  NOTEBOOK_INITIAL_NETWORK,
  cloneNetwork,
  countOutputs,
  formatEpochLine,
  formatNetwork,
  initializeNetwork,
  trainNetwork,
  type ToyNetwork,
  type ToyRow,
} from '../reference/toy.ts';

const DEVICES = ['cpu', 'gpu'] as const;

async function readJson(option: string, path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    fail(`${option} cannot read ${JSON.stringify(path)}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    fail(`${option} ${JSON.stringify(path)} is not valid JSON: ${(e as Error).message}`);
  }
}

const ROW_SHAPE = 'rows [x1, ..., xn, label] of equal length >= 2';

function validateDataset(value: unknown): ToyRow[] {
  if (!Array.isArray(value) || value.length === 0) {
    fail(`--data must hold a non-empty JSON array of ${ROW_SHAPE}`);
  }
  const width = Array.isArray(value[0]) ? value[0].length : 0;
  value.forEach((row: unknown, i) => {
    if (!Array.isArray(row) || row.length < 2 || row.length !== width) {
      const got = Array.isArray(row) ? `${row.length} values` : JSON.stringify(row);
      fail(`--data row ${i} has ${got}, expected ${ROW_SHAPE} (row 0 has ${width})`);
    }
    row.forEach((x: unknown, j) => {
      if (typeof x !== 'number' || !Number.isFinite(x)) {
        fail(`--data row ${i} value ${j} is ${JSON.stringify(x)}, expected a finite number`);
      }
    });
    const label: number = row[row.length - 1];
    if (!Number.isInteger(label) || label < 0) {
      fail(`--data row ${i} label is ${label}, expected an integer >= 0`);
    }
  });
  const rows = value as ToyRow[];
  // The notebook counts outputs as distinct labels and uses each label as the one-hot index.
  const nOutputs = countOutputs(rows);
  const label = rows.map((row) => row[row.length - 1]).find((l) => l >= nOutputs);
  if (label !== undefined) {
    fail(
      `--data labels must be 0..k-1 for k distinct labels (each label is an output index), ` +
        `got label ${label} with ${nOutputs} distinct labels`,
    );
  }
  return rows;
}

function validateNetwork(value: unknown, nInputs: number, nOutputs: number): ToyNetwork {
  const shape = `[[{"weights": [...]}, ...], [{"weights": [...]}, ...]] (hidden layer, output layer)`;
  if (!Array.isArray(value) || value.length !== 2) fail(`--init must hold ${shape}`);
  const [hidden, output] = value as unknown[];
  const checkLayer = (layer: unknown, name: string, count: number | null, fanIn: number): void => {
    if (!Array.isArray(layer) || layer.length === 0) {
      fail(`--init ${name} layer must be a non-empty array of {"weights": [...]}`);
    }
    if (count !== null && layer.length !== count) {
      fail(`--init ${name} layer has ${layer.length} neurons, the data has ${count} distinct labels`);
    }
    layer.forEach((neuron: unknown, j) => {
      const weights: unknown = (neuron as { weights?: unknown } | null)?.weights;
      if (
        !Array.isArray(weights) ||
        weights.length !== fanIn + 1 ||
        !weights.every((w) => typeof w === 'number' && Number.isFinite(w))
      ) {
        fail(
          `--init ${name} neuron ${j} needs "weights": ${fanIn + 1} finite numbers ` +
            `(${fanIn} inputs + bias), got ${JSON.stringify(weights)}`,
        );
      }
    });
  };
  checkLayer(hidden, 'hidden', null, nInputs);
  checkLayer(output, 'output', nOutputs, (hidden as unknown[]).length);
  // Only the weights: outputs and deltas in the file (e.g. a saved final network) are stale.
  return (value as { weights: number[] }[][]).map((layer) =>
    layer.map((neuron) => ({ weights: [...neuron.weights] })),
  );
}

function buildProgram(io: CliIo): Command {
  return configureProgram(new Command('toy'), io)
    .description("Train the notebook's toy back-propagation network (CPU reference in float64, or WebGPU in float32).")
    .option('--data <file>', 'JSON array of rows [x1, ..., xn, label] (default: the notebook dataset)')
    .option('--init <file>', 'JSON initial network [[{"weights": [...]}, ...], [...]]')
    .option('--lr <number>', 'learning rate, finite > 0', '0.4')
    .option('--epochs <n>', 'number of epochs, integer >= 1', '20')
    .option('--hidden <n>', 'hidden neurons, integer >= 1', '2')
    .option(
      '--seed <n>',
      'mulberry32 seed for the initial weights; given explicitly it also replaces the ' +
        "notebook's weights of a 2-2-2 network",
      '1',
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

  const dataset =
    opts.data === undefined ? NOTEBOOK_DATASET : validateDataset(await readJson('--data', opts.data));
  const nInputs = dataset[0].length - 1;
  const nOutputs = countOutputs(dataset);

  let network: ToyNetwork;
  if (opts.init !== undefined) {
    network = validateNetwork(await readJson('--init', opts.init), nInputs, nOutputs);
    if (program.getOptionValueSource('hidden') === 'cli' && network[0].length !== hidden) {
      fail(`--hidden ${hidden} disagrees with --init, whose hidden layer has ${network[0].length}`);
    }
  } else if (
    // The notebook's weights are what CPython's seed(1) draws for any 2-2-2 network; an explicit
    // --seed asks for this project's generator instead.
    nInputs === 2 &&
    nOutputs === 2 &&
    hidden === 2 &&
    program.getOptionValueSource('seed') !== 'cli'
  ) {
    network = cloneNetwork(NOTEBOOK_INITIAL_NETWORK);
  } else {
    network = initializeNetwork(nInputs, hidden, nOutputs, createRng(seed));
  }

  const onEpoch = opts.json ? undefined : (epoch: number, error: number) => io.out(formatEpochLine(epoch, lr, error));
  let result: { errors: number[]; network: ToyNetwork };
  if (device === 'cpu') {
    result = { errors: trainNetwork(network, dataset, lr, epochs, nOutputs, onEpoch), network };
  } else {
    // Loaded only here: the CPU path needs neither Dawn's native addon nor the `?raw` WGSL loader.
    const { requestGpu } = await import('../gpu/context.ts');
    const { GpuDeviceError, GpuUnavailableError } = await import('../gpu/errors.ts');
    const { trainToyOnGpu } = await import('../train/toy-gpu.ts');
    try {
      const ctx = await requestGpu();
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
