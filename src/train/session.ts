// One training run from start to report, identical in Node and in the browser: validates the
// configuration against the data, builds the GPU or CPU trainer, runs the epochs and returns
// the report that `--json` writes and the final weights.
import { limitSplit } from '../data/batches.ts';
import { classCount, contentHash, featureType, type DataSet, type Split } from '../data/dataset.ts';
import { requestGpu, type AdapterSummary, type GpuContext, type GpuOptions } from '../gpu/context.ts';
import type { MatmulVariant } from '../gpu/kernels/matmul.ts';
import type { OptimizerState } from '../model/optimizers.ts';
import { initNetwork, resolveWeights, sampleShape, specFits, type Mlp } from '../reference/mlp.ts';
import { describeNetwork, elementCount, formatModel, resolveNetwork, type ResolvedLayer } from '../model/spec.ts';
import type { TrainState } from './checkpoint.ts';
import { dataExtent, validateConfig, type TrainConfig } from './config.ts';
import { CpuTrainer } from './cpu-trainer.ts';
import { GpuTrainer } from './gpu-trainer.ts';
import { checkGpuBuffers, gpuBufferNeeds } from './memory.ts';
import { runTraining, type DivergenceError, type EpochRecord, type Evaluation, type TrainEvents, type Trainer, type TrainProgress } from './trainer.ts';
import { KernelChooser, type KernelSummary } from '../gpu/kernel-choice.ts';

export type Device = 'gpu' | 'cpu';

/** What a run trains and evaluates on: a DataSet, or (a library fit without validation data)
 * one without a test split. */
export type SessionData = Omit<DataSet, 'test'> & { test: Split | null };

export interface SessionOptions {
  config: Partial<TrainConfig>;
  device: Device;
  data: SessionData;
  /** Starting weights; default: initMlp with the config's seed. Given weights (or a checkpoint's)
   * keep their output width, which may exceed the classes present in the data. */
  init?: Mlp | null;
  /** The output layer's width when no weights are given (a library trainer's `layers` may name
   * more classes than its data holds); default: the data's classes. */
  classes?: number;
  matmul?: MatmulVariant;
  events?: TrainEvents;
  /** Called once the trainer exists, before the first step (e.g. to print the adapter). */
  onReady?: (info: { adapter: AdapterSummary | null; kernels: KernelSummary | null; config: TrainConfig }) => void;
  shouldStop?: () => boolean;
  /** A checkpoint to continue from (its config, weights, optimizer state and progress); `config`
   * and `init` are then ignored. */
  resume?: TrainState | null;
  /** Called after every completed epoch with the state to checkpoint. */
  onCheckpoint?: (state: TrainState) => void | Promise<void>;
  /** Passed to requestGpu, e.g. onFatal to hear of a lost device at once. */
  gpu?: GpuOptions;
  /** A GPU context to reuse (its compiled pipelines too); the caller keeps ownership. Default:
   * a fresh one, destroyed at the end. */
  ctx?: GpuContext;
  /** Train only the first N epochs of the configured schedule (sweeps stop poor runs early). */
  stopAfterEpochs?: number;
  /** Hands over a reader of the trainer's current weights; call it only from an awaited event
   * handler (onProgress, onEpoch), when no step is in flight. */
  onWeightsReader?: (read: () => Promise<Mlp>) => void;
  /** Hands over a reader of the whole state to checkpoint (weights, optimizer state, progress) as
   * of the last read-back; the same rule as onWeightsReader. */
  onStateReader?: (read: () => Promise<TrainState>) => void;
}

export interface TrainReport {
  config: TrainConfig;
  device: Device;
  adapter: AdapterSummary | null;
  kernels: KernelSummary | null;
  /** classes: each class's name by index, when the data named them (a CSV's labels). */
  data: { source: string; train: number; test: number; classes: string[] | null };
  /** Train loss of every step (the batch mean), in order, since the start of the run (a resumed
   * run includes its checkpoint's). */
  stepLosses: number[];
  epochs: EpochRecord[];
  samplesPerSec: number;
  totalSeconds: number;
  /** GPU buffer bytes after set-up and at the end: equal when nothing is allocated per step. */
  gpuBytes: { afterSetup: number; atEnd: number } | null;
  diverged: string | null;
  stopped: boolean;
}

export interface SessionResult {
  report: TrainReport;
  weights: Mlp;
  /** Where the run ended: a stopped run continues from here. */
  state: TrainState;
  /** Why the run stopped early, when its loss diverged (report.diverged is its message); absent
   * from a run in a headless page, which sends only the message. */
  divergence?: DivergenceError | null;
}

interface OpenOptions {
  config: TrainConfig;
  device: Device;
  train: Split | null;
  test: Split | null;
  layers: readonly ResolvedLayer[];
  /** Made only once the adapter's limits have passed: a network too large for them is refused
   * before it is allocated anywhere. */
  weights: () => Mlp;
  optimizer?: OptimizerState | null;
  matmul?: MatmulVariant;
  /** A checkpoint's kernel variants, to round as the run it continues did. */
  pinned?: Record<string, string> | null;
  gpu?: GpuOptions;
  ctx?: GpuContext;
  keepOutputs?: boolean;
}

interface OpenTrainer {
  trainer: Trainer;
  ctx: GpuContext | null;
  kernels: KernelSummary | null;
  /** Frees what the trainer allocated (a shared context keeps its pipelines). */
  close: () => void;
}

/** The one place a trainer is made, for a run and for an evaluation: on the GPU, the adapter's
 * limits checked before anything is allocated, and the kernel variants chosen; or the CPU
 * reference. */
async function openTrainer(o: OpenOptions): Promise<OpenTrainer> {
  const { config, train, test, weights, optimizer = null } = o;
  if (o.device === 'cpu') {
    return { trainer: new CpuTrainer(config, train, test, weights(), optimizer, o.keepOutputs), ctx: null, kernels: null, close: () => {} };
  }
  const ctx = o.ctx ?? (await requestGpu(o.gpu));
  // A shared context outlives the run: free only what this run allocated on it.
  const close = o.ctx ? o.ctx.trackNewBuffers() : () => ctx.destroy();
  try {
    // Every trainer has a split: a run its training one, an evaluation its test one.
    const sampleType = featureType((train ?? test)!);
    checkGpuBuffers(config, gpuBufferNeeds(config, o.layers, train?.count ?? 0, test?.count ?? 0, false, sampleType), ctx.device.limits);
    // A resumed run keeps the kernels it trained with: another variant rounds differently.
    const chooser = await KernelChooser.create(ctx, { force: o.matmul, pinned: o.pinned ?? undefined });
    const gpu = await GpuTrainer.create(ctx, { config, train, test, init: weights(), optimizer, kernels: chooser, keepOutputs: o.keepOutputs });
    return { trainer: gpu, ctx, kernels: gpu.kernels.summary(), close };
  } catch (e) {
    close();
    throw e;
  }
}

/** The layers a run trains: the configured model on the data's samples, out to the data's classes
 * (or `classes`, or the given weights' output width, which may be wider); given weights must be
 * its tensors. */
function sessionNetwork(data: SessionData, config: TrainConfig, given: Mlp | null, classes?: number): ResolvedLayer[] {
  const dataClasses = classCount(data);
  const out = given?.sizes[given.sizes.length - 1] ?? classes ?? dataClasses;
  const layers = resolveNetwork(config.model, sampleShape(data.train), out, config.loss);
  const made = `this data (${sampleShape(data.train).join('x')} samples, ${dataClasses} classes) and --model ${formatModel(config.model)} make ${describeNetwork(layers)}`;
  if (out < dataClasses) throw new Error(`the network gives ${out} classes, but ${made} (check --model)`);
  // Dense weights read any sample as its row; convolutions need the image's shape.
  const fitsInput = given && (given.inputShape.length === 1 ? given.sizes[0] === data.train.width : given.inputShape.join() === sampleShape(data.train).join());
  if (given && (!fitsInput || !specFits(given, config))) {
    throw new Error(`the network is ${given.inputShape.join('x')}: ${given.sizes.join('-')}, but ${made} (check --model)`);
  }
  return layers;
}

export async function runSession(opts: SessionOptions): Promise<SessionResult> {
  const { data, resume } = opts;
  const config = validateConfig(resume?.config ?? opts.config, dataExtent(data));
  const train: Split = config.limitTrain ? limitSplit(data.train, config.limitTrain) : data.train;
  const test = data.test && config.limitTest ? limitSplit(data.test, config.limitTest) : data.test;
  const given = resume?.weights ?? opts.init ?? null;
  const layers = sessionNetwork(data, config, given, opts.classes);
  const classes = elementCount(layers[layers.length - 1].outShape);
  const t0 = performance.now();
  const { trainer, ctx, kernels, close } = await openTrainer({
    config, device: opts.device, train, test, layers, weights: () => given ?? initNetwork(layers, config.seed), optimizer: resume?.optimizer, matmul: opts.matmul, pinned: resume?.kernels, gpu: opts.gpu, ctx: opts.ctx,
  });
  const hash = contentHash(data);
  const stateAt = async (progress: TrainProgress): Promise<TrainState> => ({
    config,
    weights: await trainer.weights(),
    optimizer: await trainer.optimizerState(),
    progress,
    data: { source: data.source, train: data.train.count, test: data.test?.count ?? 0, hash, classes: data.classNames },
    kernels: kernels && { ...kernels.matmul, ...kernels.biasGrad, ...kernels.conv2d },
  });
  try {
    const afterSetup = ctx?.liveBytes ?? 0;
    opts.onReady?.({ adapter: trainer.adapter, kernels, config });
    opts.onWeightsReader?.(() => trainer.weights());
    let progressNow: (() => TrainProgress) | null = null;
    opts.onStateReader?.(() => stateAt(progressNow!()));
    const { onCheckpoint } = opts;
    const summary = await runTraining(
      trainer,
      config,
      {
        trainCount: train.count,
        classes,
        shouldStop: opts.shouldStop,
        from: resume?.progress,
        endEpoch: opts.stopAfterEpochs,
        onCheckpoint: onCheckpoint && (async (p) => onCheckpoint(await stateAt(p))),
        onProgressReader: (read) => (progressNow = read),
      },
      opts.events,
    );
    const { epoch, step, epochCorrect, stepLosses, epochs } = summary;
    const state = await stateAt({ epoch, step, epochCorrect, stepLosses, epochs });
    const totalSeconds = (performance.now() - t0) / 1000;
    const trainSeconds = summary.epochs.reduce((a, e) => a + e.trainSeconds, 0);
    const report: TrainReport = {
      config,
      device: opts.device,
      adapter: trainer.adapter,
      kernels,
      data: { source: data.source, train: train.count, test: test?.count ?? 0, classes: data.classNames },
      stepLosses: summary.stepLosses,
      epochs: summary.epochs,
      samplesPerSec: trainSeconds > 0 ? (summary.epochs.length * train.count) / trainSeconds : 0,
      totalSeconds,
      gpuBytes: ctx ? { afterSetup, atEnd: ctx.liveBytes } : null,
      diverged: summary.diverged?.message ?? null,
      stopped: summary.stopped,
    };
    return { report, weights: state.weights, state, divergence: summary.diverged };
  } finally {
    close();
  }
}

export interface EvaluateOptions {
  config: TrainConfig;
  device: Device;
  weights: Mlp;
  split: Split;
  /** Also return every sample's output-layer values. */
  keepOutputs?: boolean;
  matmul?: MatmulVariant;
  pinned?: Record<string, string> | null;
  ctx?: GpuContext;
}

/** The notebook's evaluate() of these weights on one split, by the same trainer a run uses. */
export async function evaluateSession(opts: EvaluateOptions): Promise<Evaluation> {
  const { weights } = opts;
  const { trainer, close } = await openTrainer({ ...opts, train: null, test: opts.split, layers: resolveWeights(weights, opts.config), weights: () => weights });
  try {
    return (await trainer.evaluate())!;
  } finally {
    close();
  }
}
