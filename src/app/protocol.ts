// Every message between the dashboard page and its training worker, in one place. Weights travel
// as Mlp (typed arrays, transferred, not copied); everything else is plain structured-clone data.
import type { AdapterSummary } from '../gpu/context.ts';
import type { Mlp } from '../reference/mlp.ts';
import type { NetworkSpec } from '../model/spec.ts';
import type { StepComparison } from '../train/compare.ts';
import type { TrainConfig } from '../train/config.ts';
import type { GradientNoiseRow } from '../noise/measure.ts';
import type { ReadonlyToyNetwork, ToyNetwork, ToyRow } from '../reference/toy.ts';
import type { PlannedRun } from '../sweep/plan.ts';
import type { SweepResults } from '../sweep/run.ts';
import type { Device } from '../train/session.ts';
import type { ToyPosition } from '../train/toy-gpu.ts';
import type { EpochRecord, TestNumbers } from '../train/trainer.ts';
import type { KernelSummary } from '../gpu/kernel-choice.ts';

export interface TrainRequest {
  config: TrainConfig;
  device: Device;
  /** Starting weights (a loaded file); null: initMlp with the config's seed. */
  init: Mlp | null;
}

/** A batch-size noise measurement (src/noise/measure.ts) at the current weights: those of the run in
 * progress, else `weights`. */
export interface NoiseRequest {
  /** G is the gradient over the first `images` training images; every batch is drawn from them. */
  images: number;
  batchSizes: number[];
  /** Random batches per batch size. */
  samples: number;
  seed: number;
  weights: { mlp: Mlp; label: string } | null;
}

export interface NoiseResult {
  /** Which weights were measured, e.g. "epoch 1, step 40". */
  weights: string;
  images: number;
  samples: number;
  fullLoss: number;
  fullGradNormSq: number;
  rows: GradientNoiseRow[];
  seconds: number;
}

/** The Part 1 tab's toy network on the GPU (ToyGpuTrainer), one request at a time. */
export type ToyRequest =
  | { op: 'start'; network: ReadonlyToyNetwork; dataset: readonly ToyRow[]; lr: number }
  /** One row: its error, and the network after it with the row's outputs and deltas. */
  | { op: 'step' }
  /** The rest of the current epoch. */
  | { op: 'epoch' }
  | { op: 'stop' };

export type ToyReply =
  | { op: 'start'; adapter: AdapterSummary }
  | { op: 'step'; at: ToyPosition; error: number; network: ToyNetwork; epochError: number | null }
  | { op: 'epoch'; epoch: number; error: number; network: ToyNetwork }
  | { op: 'stop' };

/** Why new data is refused while it is held: by a run, a check, a measurement or a sweep, or by a
 * run that lost its device and can still resume on it. The page says it before reading the files;
 * the worker, which decides, says it too. */
export const DATA_IN_USE = 'the data is in use (a run, a check, a measurement or a sweep): let it finish or stop it first';
export const DATA_HELD_BY_LOST_RUN = 'the run that lost its device can still resume on this data: resume or stop it first';

/** A run kept in the browser's storage by an earlier visit (run-store.ts), as the page offers it. */
export interface StoredRunInfo {
  config: TrainConfig;
  /** describeNetwork's line: 784-512-256-10, or a CNN's layer shapes. */
  network: string;
  source: string;
  /** Where it continues: `step` steps into epoch `epoch` (0-based) of `stepsPerEpoch`. */
  epoch: number;
  step: number;
  stepsPerEpoch: number;
  /** Why it cannot resume on the data in use (other data); null: it can. */
  otherData: string | null;
}

/** A file the person chose or dropped, as read by the page. */
export interface DroppedFile {
  name: string;
  bytes: ArrayBuffer;
}

/** What the worker's data is, for the page to show and to size its panels by. */
export interface DataInfo {
  source: string;
  /** describeData's line: counts, shape, classes. */
  summary: string;
  /** classMapping's line, for named classes (a CSV's). */
  mapping: string | null;
  trainCount: number;
  testCount: number;
  /** The network's input width and output classes. */
  width: number;
  classes: number;
  classNames: string[] | null;
  image: { rows: number; cols: number } | null;
  /** The MNIST the page came with (not files the person loaded). */
  builtin: boolean;
}

export type PageMessage =
  | { type: 'init'; mnistUrl: string }
  /** Train on these files (four IDX files, or a training and a test CSV) from now on; null: the
   * built-in MNIST again. */
  | { type: 'load-data'; files: DroppedFile[] | null; labelColumn: string }
  | { type: 'train'; request: TrainRequest }
  | { type: 'pause' }
  /** Continues a paused run, or restarts a run whose device was lost from its last epoch. */
  | { type: 'resume'; device: Device }
  | { type: 'stop' }
  /** The run kept in the browser's storage: continue it on this device, or forget it. */
  | { type: 'resume-stored'; device: Device }
  | { type: 'discard-stored' }
  /** The page is going away: save the run at the next read-back, however recent the last save. */
  | { type: 'save-now' }
  | { type: 'compare'; config: TrainConfig; steps: number }
  | { type: 'noise'; request: NoiseRequest }
  | { type: 'toy'; id: number; request: ToyRequest }
  /** The Homework tab's small sweep: the planned runs, one after another on the chosen device. */
  | { type: 'sweep'; plan: PlannedRun[]; device: Device }
  | { type: 'sweep-stop' };

/** idle: nothing runs; lost: the run ended with its device and can resume from its snapshot. */
export type RunState = 'loading' | 'idle' | 'training' | 'paused' | 'lost';

export interface EpochMessage {
  result: EpochRecord & TestNumbers;
  /** Row-major classes x classes counts: row = true label, column = predicted class. */
  confusion: number[];
  /** Training samples per second of this epoch, paused time excluded. */
  samplesPerSec: number;
}

export type WorkerMessage =
  | { type: 'data'; info: DataInfo }
  /** Files that could not be loaded (the data in use stays), with the CLI's message. */
  | { type: 'data-error'; message: string }
  /** Sent when the adapter is found, and again once the kernel variants for it are chosen. */
  | { type: 'gpu'; adapter: AdapterSummary; kernels: KernelSummary | null }
  | { type: 'gpu-unavailable'; message: string }
  | { type: 'state'; state: RunState; message?: string }
  /** startStep: the global steps already taken (a resumed run's), in epoch startEpoch (0-based). */
  | { type: 'started'; device: Device; adapter: AdapterSummary | null; kernels: KernelSummary | null; stepsPerEpoch: number; startEpoch: number; startStep: number }
  /** A run kept in the browser's storage, found at start or seen anew against other data; null: none. */
  | { type: 'stored-run'; run: StoredRunInfo | null }
  /** The step losses and epochs of a stored run about to resume, for the charts and the table. */
  | { type: 'history'; losses: Float32Array; epochs: (EpochRecord & TestNumbers)[] }
  | { type: 'log'; line: string }
  | { type: 'steps'; firstStep: number; losses: Float32Array }
  | { type: 'progress'; epoch: number; step: number; stepInEpoch: number; stepsPerEpoch: number; samplesPerSec: number; loss: number }
  | ({ type: 'epoch' } & EpochMessage)
  /** spec: the activations and loss the weights were trained with. */
  | { type: 'weights'; weights: Mlp; label: string; spec: NetworkSpec }
  | { type: 'finished'; outcome: 'done' | 'stopped' | 'diverged'; message: string }
  | { type: 'compare-step'; comparison: StepComparison; steps: number }
  | { type: 'compare-done'; comparisons: StepComparison[]; tolerance: { lossRtol: number; paramAtol: number }; resync: boolean }
  | { type: 'compare-error'; message: string }
  | { type: 'noise-progress'; line: string }
  | { type: 'noise-done'; result: NoiseResult }
  | { type: 'noise-error'; message: string }
  | { type: 'toy-reply'; id: number; reply: ToyReply }
  | { type: 'toy-error'; id: number; message: string }
  | { type: 'sweep-log'; line: string }
  /** The results so far, after every finished run. */
  | { type: 'sweep-results'; results: SweepResults }
  | { type: 'sweep-done'; message: string; ok: boolean }
  | { type: 'error'; message: string };
