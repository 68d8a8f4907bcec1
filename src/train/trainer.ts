// The shape every trainer has (the WebGPU one and the CPU reference), and the epoch loop they
// share: same seed, same batches, same log lines, whatever computes the steps.
import { epochOrder } from '../data/batches.ts';
import type { AdapterSummary } from '../gpu/context.ts';
import type { OptimizerState } from '../model/optimizers.ts';
import type { Mlp, MlpEvaluation } from '../reference/mlp.ts';
import { lrAt, type TrainConfig } from './config.ts';
import { formatEpochSummary, formatTrainLine } from './log-lines.ts';

export interface EpochPlan {
  /** 0-based. */
  epoch: number;
  /** Sample indices of the whole epoch, batch after batch. */
  order: Uint32Array;
  lr: number;
  /** The first step to take (default 0; a resumed epoch starts where its checkpoint stopped). */
  startStep?: number;
}

/** Losses and correct counts of consecutive steps, as read back from the trainer. */
export interface ChunkReport {
  firstStep: number;
  losses: Float32Array;
  correct: Uint32Array;
  /** Samples in these steps (the last batch of an epoch may be short). */
  samples: number;
}

/** The notebook's evaluate(): Test Loss in its convention, accuracy, and every prediction (for
 * the confusion matrix); with `outputs` asked for, also every sample's output-layer values. The
 * CPU reference defines the shape; the GPU fills the same fields. */
export type Evaluation = MlpEvaluation;

export interface Trainer {
  readonly device: 'gpu' | 'cpu';
  readonly adapter: AdapterSummary | null;
  /** Runs one epoch from plan.startStep; calls onChunk after every read-back (a chunk may end
   * early at a non-finite loss). When onChunk throws DivergenceError, the parameters are restored
   * to where they stood before that chunk and the error is rethrown. */
  runEpoch(plan: EpochPlan, onChunk: (c: ChunkReport) => void | Promise<void>, shouldStop: () => boolean): Promise<boolean>;
  /** The test split's evaluation; null for a trainer made without one (a library fit without
   * validation data). */
  evaluate(): Promise<Evaluation | null>;
  weights(): Promise<Mlp>;
  /** The optimizer's state and step count, for checkpoints. */
  optimizerState(): Promise<OptimizerState>;
}

/** A read-back interval whose mean loss exceeds this many times ln(classes) has diverged. A
 * uniform guess scores ln(10) = 2.3 on MNIST; the bound, 230, is a mean probability of e^-230 on
 * the right class. Measured on 3,200 MNIST images (CPU reference, batch 32, intervals of 50 steps):
 * lr 4 and 10 peak at single batches of 27.7 and 67.6 with interval means of at most 3.95 and
 * train on; lr 100 sits at 3,000 and lr 1e6 at 5e7, finite and useless. */
export const DIVERGENCE_FACTOR = 100;

export class DivergenceError extends Error {
  override name = 'DivergenceError';
  constructor(
    readonly epoch: number,
    readonly step: number,
    readonly loss: number,
    lr: number,
    bound?: { classes: number; steps: number },
  ) {
    const what = bound
      ? `the mean loss of steps ${step}-${step + bound.steps - 1} of epoch ${epoch + 1} reached ${loss}, over ` +
        `${(DIVERGENCE_FACTOR * Math.log(bound.classes)).toFixed(0)} (${DIVERGENCE_FACTOR} x ln ${bound.classes} classes; a uniform guess scores ` +
        `${Math.log(bound.classes).toFixed(2)})`
      : `the loss became ${loss} at epoch ${epoch + 1}, step ${step}`;
    super(`training diverged: ${what}. The weights were restored to the last read-back before it. ` +
      `Try a smaller --lr than ${lr}${bound ? ' (or --no-divergence-stop to train on)' : ''}.`);
  }
}

/** Throws DivergenceError when a chunk's losses show divergence: a NaN or Inf step, or (with
 * config.divergenceStop) a finite mean above DIVERGENCE_FACTOR x ln(classes). */
function checkDivergence(c: ChunkReport, epoch: number, lr: number, config: TrainConfig, classes: number): void {
  const bad = c.losses.findIndex((l) => !Number.isFinite(l));
  if (bad >= 0) throw new DivergenceError(epoch, c.firstStep + bad, c.losses[bad], lr);
  if (!config.divergenceStop) return;
  const mean = c.losses.reduce((a, b) => a + b, 0) / c.losses.length;
  if (mean > DIVERGENCE_FACTOR * Math.log(classes)) {
    throw new DivergenceError(epoch, c.firstStep, Number(mean.toPrecision(4)), lr, { classes, steps: c.losses.length });
  }
}

export interface EpochResult {
  /** 1-based, as the notebook prints it. */
  epoch: number;
  lr: number;
  trainLoss: number;
  trainAccuracy: number;
  trainSeconds: number;
  samplesPerSec: number;
  /** The test split's results; null when the run has none (a library fit without validation
   * data). The CLIs, the sweep and the dashboard always have one. */
  testLoss: number | null;
  meanTestLoss: number | null;
  testAccuracy: number | null;
  predictions: Uint8Array | null;
}

export interface Progress {
  epoch: number;
  stepInEpoch: number;
  stepsPerEpoch: number;
  samplesPerSec: number;
  lastLoss: number;
}

/** The loop awaits onProgress and onEpoch: a handler that returns a promise holds training there
 * (the dashboard pauses that way, and reads the weights while no step is in flight). */
export interface TrainEvents {
  onLog?(line: string): void;
  onProgress?(p: Progress): void | Promise<void>;
  onStepLosses?(firstGlobalStep: number, losses: Float32Array): void;
  onEpoch?(r: EpochResult): void | Promise<void>;
}

export type EpochRecord = Omit<EpochResult, 'predictions'>;

/** The test numbers of an epoch that was evaluated. */
export interface TestNumbers {
  testLoss: number;
  meanTestLoss: number;
  testAccuracy: number;
}

/** The epoch with its test numbers, for callers whose runs always have a test split (the CLIs,
 * the sweep, the dashboard); throws for an epoch of a run without one. */
export function testedEpoch<E extends EpochRecord>(e: E): E & TestNumbers {
  const { testLoss, meanTestLoss, testAccuracy } = e;
  if (testLoss === null || meanTestLoss === null || testAccuracy === null) {
    throw new Error(`epoch ${e.epoch} has no test results: its run had no test split`);
  }
  return { ...e, testLoss, meanTestLoss, testAccuracy };
}

/** Where a run stands, enough to continue it exactly (with the weights and the optimizer state):
 * what a checkpoint holds besides tensors. */
export interface TrainProgress {
  /** The epoch in progress (0-based); config.epochs once the run is complete. */
  epoch: number;
  /** Steps of that epoch already taken. */
  step: number;
  /** Correct training predictions in those steps (for the epoch's train accuracy). */
  epochCorrect: number;
  /** Every step's batch loss since the start of the run, in order. */
  stepLosses: number[];
  epochs: EpochRecord[];
}

export const startOfRun = (): TrainProgress => ({ epoch: 0, step: 0, epochCorrect: 0, stepLosses: [], epochs: [] });

export interface TrainSummary extends TrainProgress {
  diverged: DivergenceError | null;
  stopped: boolean;
}

export interface RunOptions {
  trainCount: number;
  /** Output width of the network, for the divergence bound; default MNIST's 10 digits. */
  classes?: number;
  /** Where to start (a checkpoint's progress); default: the beginning. */
  from?: TrainProgress;
  /** Stop after this many epochs (default: config.epochs). The lr schedule still spans
   * config.epochs: a sweep's early rung sees exactly the first epochs of the full run. */
  endEpoch?: number;
  shouldStop?: () => boolean;
  /** Called after every completed epoch, once onEpoch has returned, with the progress to save. */
  onCheckpoint?: (p: TrainProgress) => void | Promise<void>;
  /** Hands over, before the first step, a reader of the progress so far (a copy): read from an
   * awaited onProgress, it is the progress of the trainer's state then, to save mid-epoch. */
  onProgressReader?: (read: () => TrainProgress) => void;
}

export async function runTraining(
  trainer: Trainer,
  config: TrainConfig,
  opts: RunOptions,
  events: TrainEvents = {},
): Promise<TrainSummary> {
  const { trainCount, classes = 10, shouldStop = () => false } = opts;
  const endEpoch = Math.min(opts.endEpoch ?? config.epochs, config.epochs);
  const stepsPerEpoch = Math.ceil(trainCount / config.batchSize);
  const from = opts.from ?? startOfRun();
  const summary: TrainSummary = { ...from, stepLosses: [...from.stepLosses], epochs: [...from.epochs], diverged: null, stopped: false };
  opts.onProgressReader?.(() => {
    const { epoch, step, epochCorrect, stepLosses, epochs } = summary;
    return { epoch, step, epochCorrect, stepLosses: [...stepLosses], epochs: [...epochs] };
  });
  for (; summary.epoch < endEpoch; summary.epoch++, summary.step = 0, summary.epochCorrect = 0) {
    const { epoch } = summary;
    const lr = lrAt(config, epoch);
    const order = epochOrder(trainCount, config.seed, epoch, config.shuffle);
    // Summed in step order from the epoch's first loss, so a resumed epoch adds up exactly as an
    // uninterrupted one.
    let lossSum = summary.stepLosses.slice(summary.stepLosses.length - summary.step).reduce((a, b) => a + b, 0);
    let samples = 0;
    const t0 = performance.now();
    const onChunk = (c: ChunkReport) => {
      checkDivergence(c, epoch, lr, config, classes);
      samples += c.samples;
      for (let i = 0; i < c.losses.length; i++) {
        const step = c.firstStep + i;
        lossSum += c.losses[i];
        summary.epochCorrect += c.correct[i];
        summary.stepLosses.push(c.losses[i]);
        if (step % config.logInterval === 0) {
          events.onLog?.(formatTrainLine(epoch + 1, step, config.batchSize, trainCount, stepsPerEpoch, c.losses[i]));
        }
      }
      summary.step = c.firstStep + c.losses.length;
      events.onStepLosses?.(epoch * stepsPerEpoch + c.firstStep, c.losses);
      const seconds = (performance.now() - t0) / 1000;
      return events.onProgress?.({
        epoch: epoch + 1,
        stepInEpoch: summary.step,
        stepsPerEpoch,
        samplesPerSec: samples / seconds,
        lastLoss: c.losses[c.losses.length - 1],
      });
    };
    let finished: boolean;
    try {
      finished = await trainer.runEpoch({ epoch, order, lr, startStep: summary.step }, onChunk, shouldStop);
    } catch (err) {
      if (!(err instanceof DivergenceError)) throw err;
      summary.diverged = err;
      events.onLog?.(err.message);
      return summary;
    }
    if (!finished) {
      summary.stopped = true;
      return summary;
    }
    const trainSeconds = (performance.now() - t0) / 1000;
    const ev = await trainer.evaluate();
    const result: EpochResult = {
      epoch: epoch + 1,
      lr,
      trainLoss: lossSum / stepsPerEpoch,
      trainAccuracy: (summary.epochCorrect / trainCount) * 100,
      trainSeconds,
      samplesPerSec: trainCount / trainSeconds,
      testLoss: ev?.testLoss ?? null,
      meanTestLoss: ev?.meanLoss ?? null,
      testAccuracy: ev?.accuracy ?? null,
      predictions: ev?.predictions ?? null,
    };
    const { predictions: _p, ...record } = result;
    summary.epochs.push(record);
    if (ev) events.onLog?.(formatEpochSummary(result.epoch, ev.testLoss, ev.accuracy));
    await events.onEpoch?.(result);
    await opts.onCheckpoint?.({ epoch: epoch + 1, step: 0, epochCorrect: 0, stepLosses: summary.stepLosses, epochs: summary.epochs });
  }
  return summary;
}
