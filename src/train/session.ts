// One training run from start to report, identical in Node and in the browser: validates the
// configuration against the data, builds the GPU or CPU trainer, runs the epochs and returns
// the report that `--json` writes and the final weights.
import { limitSplit } from '../data/batches.ts';
import { featureType, mlpSizesFor, type DataSet, type Split } from '../data/dataset.ts';
import { requestGpu, type AdapterSummary, type GpuContext, type GpuOptions } from '../gpu/context.ts';
import type { MatmulVariant } from '../gpu/kernels/matmul.ts';
import { initMlp, type Mlp } from '../reference/mlp.ts';
import type { TrainState } from './checkpoint.ts';
import { dataExtent, validateConfig, type TrainConfig } from './config.ts';
import { CpuTrainer } from './cpu-trainer.ts';
import { GpuTrainer } from './gpu-trainer.ts';
import { checkGpuBuffers, gpuBufferNeeds } from './memory.ts';
import { runTraining, type EpochRecord, type TrainEvents, type Trainer, type TrainProgress } from './trainer.ts';
import { KernelChooser, type KernelSummary } from '../gpu/kernel-choice.ts';

export type Device = 'gpu' | 'cpu';

export interface SessionOptions {
  config: Partial<TrainConfig>;
  device: Device;
  data: DataSet;
  /** Starting weights; default: initMlp with the config's seed. */
  init?: Mlp | null;
  matmul?: MatmulVariant;
  events?: TrainEvents;
  /** Called once the trainer exists, before the first step (e.g. to print the adapter). */
  onReady?: (info: { adapter: AdapterSummary | null; kernels: KernelSummary | null; config: TrainConfig }) => void;
  shouldStop?: () => boolean;
  /** A checkpoint to continue from (its config, weights, velocities and progress); `config`
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
}

export async function runSession(opts: SessionOptions): Promise<SessionResult> {
  const { data, resume } = opts;
  const config = validateConfig(resume?.config ?? opts.config, dataExtent(data));
  const train: Split = config.limitTrain ? limitSplit(data.train, config.limitTrain) : data.train;
  const test: Split = config.limitTest ? limitSplit(data.test, config.limitTest) : data.test;
  const sizes = mlpSizesFor(data, config.hidden);
  const t0 = performance.now();
  let ctx: GpuContext | null = null;
  let trainer: Trainer;
  let kernels: KernelSummary | null = null;
  // A shared context outlives the run: free only what this run allocated on it.
  let cleanUp = () => {};
  const startWeights = () => {
    const init = resume?.weights ?? opts.init ?? initMlp(sizes, config.seed);
    if (init.sizes.join(',') !== sizes.join(',')) {
      throw new Error(`the starting weights are ${init.sizes.join('-')}, the configured network is ${sizes.join('-')} (check --hidden)`);
    }
    return init;
  };
  const velocities = resume?.velocities ?? null;
  if (opts.device === 'gpu') {
    const gpuCtx = opts.ctx ?? (await requestGpu(opts.gpu));
    ctx = gpuCtx;
    cleanUp = opts.ctx ? opts.ctx.trackNewBuffers() : () => gpuCtx.destroy();
    try {
      // Before the weights exist on the host: a network too large for the adapter is refused
      // without allocating it anywhere.
      checkGpuBuffers(config, gpuBufferNeeds(config, sizes, train.count, test.count, false, featureType(train)), gpuCtx.device.limits);
      // A resumed run keeps the kernels it trained with: another variant rounds differently.
      const chooser = await KernelChooser.create(gpuCtx, { force: opts.matmul, pinned: resume?.kernels ?? undefined });
      const gpu = await GpuTrainer.create(gpuCtx, { config, train, test, init: startWeights(), velocities, kernels: chooser });
      kernels = gpu.kernels.summary();
      trainer = gpu;
    } catch (e) {
      cleanUp();
      throw e;
    }
  } else {
    trainer = new CpuTrainer(config, train, test, startWeights(), velocities);
  }
  const stateAt = async (progress: TrainProgress): Promise<TrainState> => ({
    config,
    weights: await trainer.weights(),
    velocities: await trainer.optimizerState(),
    progress,
    data: { source: data.source, train: data.train.count, test: data.test.count },
    kernels: kernels && { ...kernels.matmul, ...kernels.biasGrad },
  });
  try {
    const afterSetup = ctx?.liveBytes ?? 0;
    opts.onReady?.({ adapter: trainer.adapter, kernels, config });
    opts.onWeightsReader?.(() => trainer.weights());
    const { onCheckpoint } = opts;
    const summary = await runTraining(
      trainer,
      config,
      {
        trainCount: train.count,
        classes: sizes[sizes.length - 1],
        shouldStop: opts.shouldStop,
        from: resume?.progress,
        endEpoch: opts.stopAfterEpochs,
        onCheckpoint: onCheckpoint && (async (p) => onCheckpoint(await stateAt(p))),
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
      data: { source: data.source, train: train.count, test: test.count, classes: data.classNames },
      stepLosses: summary.stepLosses,
      epochs: summary.epochs,
      samplesPerSec: trainSeconds > 0 ? (summary.epochs.length * train.count) / trainSeconds : 0,
      totalSeconds,
      gpuBytes: ctx ? { afterSetup, atEnd: ctx.liveBytes } : null,
      diverged: summary.diverged?.message ?? null,
      stopped: summary.stopped,
    };
    return { report, weights: state.weights, state };
  } finally {
    cleanUp();
  }
}
