/// <reference types="@webgpu/types" preserve="true" />
/**
 * The library: train a multilayer perceptron on your own data with the project's WebGPU kernels
 * (or its CPU reference), in a page, a web worker or Node (Dawn, npm `webgpu`), unchanged.
 *
 * ```ts
 * const trainer = await createTrainer({ layers: [784, 128, 10], activation: 'relu', optimizer: { lr: 0.1, momentum: 0.9 } });
 * await trainer.fit({ images, labels, shape: [60000, 28, 28] }, { epochs: 5, validation: test });
 * const { classes, probabilities } = await trainer.predict(someImages);
 * ```
 *
 * Every error it throws is one of the classes exported here.
 * @module webgpu-mnist-trainer
 */
export { createTrainer, loadTrainer } from './trainer.ts';
export type { Trainer, TrainerSettings, FitOptions, FitResult, StepInfo, EpochInfo, Evaluation, Predictions, LoadOptions } from './trainer.ts';
export type { TrainerOptions, OptimizerOptions, Activation, Loss, Schedule, Device } from './options.ts';
export type { OptimizerKind } from '../model/optimizers.ts';
/** The most classes a network can have: labels are bytes. */
export { MAX_CLASSES } from '../data/dataset.ts';
export type { Dataset, CsvDatasets, CsvDatasetOptions } from './dataset.ts';
export { idxDataset, csvDatasets } from './dataset.ts';
export type { AdapterSummary } from '../gpu/context.ts';
export { HIDDEN_ACTIVATIONS as ACTIVATIONS } from '../model/activations.ts';
export { LOSSES } from '../model/losses.ts';
export { LR_SCHEDULES as SCHEDULES } from '../train/config.ts';
export { MATMUL_VARIANTS } from '../gpu/kernels/matmul.ts';

/** Options or a configuration that cannot work (a value out of range, a network too large for
 * the adapter); `option` names the option. */
export { ConfigError } from '../train/config.ts';
export { DatasetError, TrainerStateError, TrainingAbortedError } from './errors.ts';
/** A .safetensors file that is malformed or does not fit the network. */
export { SafetensorsError } from '../train/safetensors.ts';
/** No WebGPU here (no navigator.gpu, no Dawn, no adapter meeting the kernels' limits). */
export { GpuUnavailableError, GpuDeviceError } from '../gpu/errors.ts';
/** The loss became NaN or Inf, or exploded while finite; the weights are those of the last read-back. */
export { DivergenceError } from '../train/trainer.ts';
/** A data file that cannot be used (the base of IdxError and CsvError); `file` names it. */
export { DataError } from '../data/dataset.ts';
/** A malformed IDX file. */
export { IdxError } from '../data/idx.ts';
/** A CSV text that cannot be read as samples: a missing label column, a cell that is not a number. */
export { CsvError } from '../data/csv.ts';
