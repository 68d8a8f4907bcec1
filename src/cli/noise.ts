// `npm run noise`: measures why SGD's per-step loss jumps (src/noise/measure.ts) and prints the
// tables; --json writes the report, --doc renders docs/sgd-noise.md and its plot from it.
import { denseSpec } from '../model/spec.ts';
import { Command } from 'commander';
import { limitSplit } from '../data/batches.ts';
import { addDataOptions, loadDataOptions, type RawDataOptions } from './data-options.ts';
import { requestGpu } from '../gpu/context.ts';
import { MATMUL_VARIANTS, type MatmulVariant } from '../gpu/kernels/matmul.ts';
import { initNetwork, MNIST_MLP_SIZES, networkFor } from '../reference/mlp.ts';
import { NOTEBOOK_RECIPE } from '../train/config.ts';
import { capacityFor, createCpuNoiseBackend, createGpuNoiseBackend, measureNoise, type NoiseBackend, type NoiseOptions } from '../noise/measure.ts';
import { KernelChooser } from '../gpu/kernel-choice.ts';
import { configureProgram, fail, runIfMain, parseChoice, parseInteger, parseNumber, runCommand, type CliIo } from './common.ts';
import { NOISE_DOC, NOISE_SVG, noiseTables, renderNoiseDoc, renderNoiseSvg, type NoiseReport } from '../docs/noise-doc.ts';
import { textTable } from '../docs/tables.ts';
import { writeFileAtomic } from '../node/files.ts';
import { checkDistinct, checkOutputFile } from './paths.ts';
import { readInit } from './train.ts';

function buildProgram(io: CliIo): Command {
  return addDataOptions(configureProgram(new Command('noise'), io))
    .description("Measure why SGD's training loss jumps: the mini-batch gradient's noise against the full gradient at fixed weights, and the per-step loss's jumps when training at each batch size.")
    .option('--limit-train <n>', 'training samples: the full gradient and every batch come from the first n', '60000')
    .option('--batch-sizes <list>', 'batch sizes, comma-separated', '8,32,128,512')
    .option('--samples <k>', 'random batches per batch size for the gradient noise, >= 2', '40')
    .option('--steps <s>', 'training steps from the fixed weights at each batch size', '200')
    .option('--full-steps <s>', 'steps of full-batch gradient descent (default: --steps)')
    .option('--window <w>', 'odd width of the centred moving average of the per-step loss', '9')
    // 600: past the plateau where the sigmoid network's loss sits near 2.3 (with the notebook's
    // recipe on all of MNIST: 2.29 at step 200, 1.45 at 400, 0.64 at 600), where the jumps show.
    .option('--warmup-steps <n>', "steps of the notebook's recipe (batch 32, lr 0.5) from the starting weights to the fixed weights", '600')
    .option('--init <file>', 'starting weights (.safetensors); default: initialised from --seed')
    .option('--lr <x>', 'learning rate of the measured training runs, > 0', String(NOTEBOOK_RECIPE.lr))
    .option('--seed <n>', 'seed of weight init, shuffling and batch draws', String(NOTEBOOK_RECIPE.seed))
    .option('--hidden <list>', 'hidden layer widths, comma-separated', MNIST_MLP_SIZES.slice(1, -1).join(','))
    .option('--device <d>', 'gpu (WebGPU through Dawn) | cpu (the TypeScript reference; small sizes only)', 'gpu')
    .option('--matmul <v>', `force a matmul variant: ${MATMUL_VARIANTS.join(' | ')} (default: timed per adapter)`)
    .option('--json <file>', 'write the report as JSON')
    .option('--doc', `render ${NOISE_DOC} and ${NOISE_SVG} from this run`);
}

interface RawOptions extends RawDataOptions {
  limitTrain: string;
  batchSizes: string;
  samples: string;
  steps: string;
  fullSteps?: string;
  window: string;
  warmupSteps: string;
  init?: string;
  lr: string;
  seed: string;
  hidden: string;
  device: string;
  matmul?: string;
  json?: string;
  doc?: boolean;
}

const intList = (option: string, raw: string) => raw.split(',').map((s) => parseInteger(option, s.trim(), 1));

/** The command line as typed, for the page's "Measured with" block. */
function commandLine(argv: string[]): string {
  const quoted = argv.map((a) => (/^[\w.,/=:+-]+$/.test(a) ? a : JSON.stringify(a)));
  return ['npm run noise', ...(quoted.length ? ['--', ...quoted] : [])].join(' ');
}

async function run(program: Command, argv: string[], io: CliIo): Promise<number> {
  program.parse(argv, { from: 'user' });
  const o = program.opts<RawOptions>();
  const limit = parseInteger('--limit-train', o.limitTrain, 1);
  const steps = parseInteger('--steps', o.steps, 1);
  const opts: Omit<NoiseOptions, 'trainCount' | 'chunk'> = {
    batchSizes: intList('--batch-sizes', o.batchSizes),
    samples: parseInteger('--samples', o.samples, 2),
    steps,
    fullSteps: o.fullSteps === undefined ? steps : parseInteger('--full-steps', o.fullSteps, 1),
    window: parseInteger('--window', o.window, 1),
    warmupSteps: parseInteger('--warmup-steps', o.warmupSteps, 0),
    lr: parseNumber('--lr', o.lr, 0, false),
    seed: parseInteger('--seed', o.seed, 0, 0xffffffff),
    onProgress: io.err,
  };
  const hidden = intList('--hidden', o.hidden);
  const device = parseChoice('--device', o.device, ['gpu', 'cpu'] as const);
  const matmul = o.matmul === undefined ? undefined : parseChoice<MatmulVariant>('--matmul', o.matmul, MATMUL_VARIANTS);
  if (opts.window % 2 === 0) fail(`--window must be odd, got ${opts.window}`);
  for (const [name, n] of [['--steps', opts.steps], ['--full-steps', opts.fullSteps]] as const) {
    if (n < opts.window) fail(`${name} must be at least --window (${opts.window}), got ${n}`);
  }
  if (new Set(opts.batchSizes).size !== opts.batchSizes.length) fail(`--batch-sizes has a repeated size: ${o.batchSizes}`);
  if (o.json) await checkOutputFile('--json', o.json);
  if (o.doc) for (const doc of [NOISE_DOC, NOISE_SVG]) await checkOutputFile('--doc', doc);
  checkDistinct([['--json', o.json], ...(o.doc ? [['--doc', NOISE_DOC], ['--doc', NOISE_SVG]] as [string, string][] : [])]);

  const { data } = await loadDataOptions(o);
  if (limit > data.train.count) fail(`--limit-train must be at most ${data.train.count}, got ${limit}`);
  const tooLarge = opts.batchSizes.find((B) => B > limit);
  if (tooLarge !== undefined) fail(`--batch-sizes: ${tooLarge} is more than the ${limit} training samples`);
  const train = limitSplit(data.train, limit);
  const layers = networkFor(data, { model: denseSpec(hidden, ['sigmoid']), loss: 'nll' });
  const init = o.init ? await readInit(o.init, layers) : initNetwork(layers, opts.seed);
  // Rows per gradient evaluation of the full gradient: large enough to amortise a submit.
  const options: NoiseOptions = { ...opts, trainCount: limit, chunk: Math.min(limit, Math.max(512, ...opts.batchSizes)) };
  io.out(`data: ${data.source}, the first ${limit} training samples; network ${init.sizes.join('-')}`);

  let backend: NoiseBackend;
  if (device === 'gpu') {
    const ctx = await requestGpu();
    try {
      backend = createGpuNoiseBackend(ctx, await KernelChooser.create(ctx, { force: matmul }), train, init, capacityFor(options));
    } catch (e) {
      ctx.destroy();
      throw e;
    }
  } else {
    backend = createCpuNoiseBackend(train, init);
  }
  let report: NoiseReport;
  try {
    report = { command: commandLine(argv), start: o.init ?? `seed ${opts.seed}`, ...(await measureNoise(backend, options)) };
  } finally {
    backend.destroy();
  }
  io.out(`device: ${report.device}; ${report.seconds} s`);
  for (const t of noiseTables(report)) io.out(`\n${textTable(t)}`);
  if (o.json) {
    await writeFileAtomic(o.json, `${JSON.stringify(report, null, 1)}\n`, '--json');
    io.out(`wrote ${o.json}`);
  }
  if (o.doc) {
    await writeFileAtomic(NOISE_DOC, renderNoiseDoc(report));
    await writeFileAtomic(NOISE_SVG, await renderNoiseSvg(report));
    io.out(`wrote ${NOISE_DOC} and ${NOISE_SVG}`);
  }
  return 0;
}

export function runNoiseCli(argv: string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
  return runCommand(program, io, () => run(program, argv, io));
}

await runIfMain(import.meta.url, runNoiseCli);
