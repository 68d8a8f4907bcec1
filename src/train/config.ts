// What a training run is, with the notebook's recipe as the default, and the one place that
// decides whether a configuration is possible. Every check runs before any work, and its error
// names the option as the user typed it (--lr, --batch, ...) and the valid range.

import type { Splits } from '../data/dataset.ts';
import { LOSSES, type LossKind } from '../model/losses.ts';
import { checkModel, denseSpec, formatModel, MODEL_PRESETS, parseModel, type LayerSpec } from '../model/spec.ts';
import { ConfigError, isPositiveInt, refuseUnknownKeys } from './config-error.ts';
import { ADAM_DEFAULTS, OPTIMIZERS, type OptimizerKind } from '../model/optimizers.ts';

export { ConfigError, isPositiveInt };

export const LR_SCHEDULES = ['constant', 'cosine', 'step'] as const;
export type LrSchedule = (typeof LR_SCHEDULES)[number];

export interface TrainConfig {
  epochs: number;
  batchSize: number;
  optimizer: OptimizerKind;
  lr: number;
  /** SGD's; refused for Adam and AdamW. */
  momentum: number;
  nesterov: boolean;
  /** SGD and Adam: L2 added to the gradient; AdamW: decoupled, p *= 1 - lr * weightDecay. */
  weightDecay: number;
  /** Adam's and AdamW's (torch.optim's betas and eps); SGD ignores them. */
  beta1: number;
  beta2: number;
  eps: number;
  /** The hidden layers, input to output (src/model/spec.ts); the input's shape and the output
   * layer come from the data and the loss. */
  model: LayerSpec[];
  /** nll: linear logits, log-softmax + NLL (the notebook's MLP); squared: a sigmoid output layer
   * and the squared error against one-hot targets (its toy network's). */
  loss: LossKind;
  seed: number;
  shuffle: boolean;
  /** A `Train Epoch:` line every this many batches, as the notebook's log_interval. */
  logInterval: number;
  /** Steps encoded per GPU submit; losses are read back (and checked for NaN) after each. */
  readbackEvery: number;
  lrSchedule: LrSchedule;
  /** Augmentation: shift every training image by up to this many pixels each way (0: none). */
  augmentShift: number;
  /** Use only the first N training / test samples (null: all). */
  limitTrain: number | null;
  limitTest: number | null;
  /** Stop a run whose loss explodes while staying finite (see DIVERGENCE_FACTOR in trainer.ts);
   * NaN and Inf stop it regardless. */
  divergenceStop: boolean;
}

/** The notebook: 784-512-256-10 sigmoid, SGD lr 0.5, batch 32, 10 epochs, shuffled. */
export const NOTEBOOK_RECIPE: TrainConfig = Object.freeze({
  epochs: 10,
  batchSize: 32,
  optimizer: 'sgd',
  lr: 0.5,
  momentum: 0,
  nesterov: false,
  weightDecay: 0,
  beta1: ADAM_DEFAULTS.beta1,
  beta2: ADAM_DEFAULTS.beta2,
  eps: ADAM_DEFAULTS.eps,
  model: [{ type: 'dense', units: 512, activation: 'sigmoid' }, { type: 'dense', units: 256, activation: 'sigmoid' }],
  loss: 'nll',
  seed: 1,
  shuffle: true,
  logInterval: 200,
  readbackEvery: 50,
  lrSchedule: 'constant',
  augmentShift: 0,
  limitTrain: null,
  limitTest: null,
  divergenceStop: true,
}) as TrainConfig;

/** The cnn preset's recipe. A PyTorch search chose the network (the cheapest that held 99.2% on
 * MNIST in 5 epochs on every seed), then this recipe for it: mean 99.33% over seeds 1-6 there,
 * 99.35% over seeds 1-3 on the GPU path (sweeps/cnn-recipe, docs/results.md). */
export const CNN_RECIPE: TrainConfig = Object.freeze({
  ...NOTEBOOK_RECIPE, epochs: 5, optimizer: 'adamw', lr: 3e-3, weightDecay: 0.05, lrSchedule: 'cosine', augmentShift: 1, model: parseModel(MODEL_PRESETS.cnn),
}) as TrainConfig;

/** The recipe each preset trains with where the command line or the page names no other setting:
 * the notebook's for its MLP, CNN_RECIPE for the CNN (its ReLU layers want Adam's normalised steps
 * and a few epochs, not SGD's lr 0.5 for 10). */
export const PRESET_RECIPES: Readonly<Record<keyof typeof MODEL_PRESETS, TrainConfig>> = { mlp: NOTEBOOK_RECIPE, cnn: CNN_RECIPE };

/** The recipe a `--model` value brings: its preset's, or the notebook's for layers written out. */
export function recipeFor(model: string | undefined): TrainConfig {
  const name = model?.trim() ?? 'mlp';
  return Object.hasOwn(PRESET_RECIPES, name) ? PRESET_RECIPES[name] : NOTEBOOK_RECIPE;
}

/** The learning rate and weight decay a run of this optimizer takes where none is given: the
 * notebook's for SGD; PyTorch's for Adam (lr 1e-3) and AdamW (lr 1e-3, weight decay 1e-2), whose
 * normalised steps would make the notebook's lr 0.5 blow up. */
export function optimizerDefaults(kind: OptimizerKind): { lr: number; weightDecay: number } {
  if (kind === 'sgd') return { lr: NOTEBOOK_RECIPE.lr, weightDecay: NOTEBOOK_RECIPE.weightDecay };
  return { lr: ADAM_DEFAULTS.lr, weightDecay: kind === 'adamw' ? ADAM_DEFAULTS.adamwWeightDecay : 0 };
}

/** What the run's data is, so batch, limits and augmentation can be checked against it. */
export interface DataExtent {
  trainCount: number;
  testCount: number;
  /** False when the samples are not images (a CSV's features): nothing to shift. Default true. */
  images?: boolean;
}

export const dataExtent = (data: Splits): DataExtent =>
  ({ trainCount: data.train.count, testCount: data.test?.count ?? 0, images: data.train.image !== null });

/** A quarter of MNIST's 28 pixels: beyond that a digit can leave the frame. */
export const MAX_AUGMENT_SHIFT = 7;


/** Whether an error message can show `v`: no object in it has its own toString or valueOf, which
 * a config read from a file (a checkpoint's, results.json's) may hold as any JSON value, and
 * which would make printing it throw a TypeError. */
function printable(v: unknown): boolean {
  const todo: unknown[] = [v];
  while (todo.length) {
    const x = todo.pop();
    if (x === null || typeof x !== 'object') continue;
    if (Object.hasOwn(x, 'toString') || Object.hasOwn(x, 'valueOf')) return false;
    todo.push(...Object.values(x));
  }
  return true;
}

export function validateConfig(partial: Partial<TrainConfig>, data?: DataExtent): TrainConfig {
  const unprintable = Object.keys(partial).find((k) => !printable(partial[k as keyof TrainConfig]));
  if (unprintable) throw new ConfigError(unprintable, `holds an object with its own toString or valueOf: ${JSON.stringify(partial[unprintable as keyof TrainConfig])}`);
  refuseUnknownKeys(partial, Object.keys(NOTEBOOK_RECIPE), (key) => key);
  const c: TrainConfig = { ...NOTEBOOK_RECIPE, ...partial, model: checkModel(partial.model ?? NOTEBOOK_RECIPE.model) };
  if (!isPositiveInt(c.epochs)) throw new ConfigError('--epochs', `must be a positive integer, got ${c.epochs}`);
  if (!(Number.isFinite(c.lr) && c.lr > 0)) throw new ConfigError('--lr', `must be a finite number > 0, got ${c.lr}`);
  if (!OPTIMIZERS.includes(c.optimizer)) throw new ConfigError('--optimizer', `must be one of ${OPTIMIZERS.join(', ')}, got ${c.optimizer}`);
  if (c.optimizer !== 'sgd') {
    if (c.momentum !== 0) throw new ConfigError('--momentum', `is SGD's; ${c.optimizer} has --beta1 instead: leave it out (got ${c.momentum})`);
    if (c.nesterov) throw new ConfigError('--nesterov', `is SGD's; leave it out with --optimizer ${c.optimizer}`);
  }
  for (const [opt, v] of [['--beta1', c.beta1], ['--beta2', c.beta2]] as const) {
    if (!(v >= 0 && v < 1)) throw new ConfigError(opt, `must be in [0, 1), got ${v}`);
  }
  if (!(Number.isFinite(c.eps) && c.eps > 0)) throw new ConfigError('--eps', `must be a finite number > 0, got ${c.eps}`);
  if (!(c.momentum >= 0 && c.momentum < 1)) throw new ConfigError('--momentum', `must be in [0, 1), got ${c.momentum}`);
  if (c.nesterov && c.momentum === 0) throw new ConfigError('--nesterov', 'needs --momentum > 0');
  if (!(Number.isFinite(c.weightDecay) && c.weightDecay >= 0)) {
    throw new ConfigError('--weight-decay', `must be a finite number >= 0, got ${c.weightDecay}`);
  }
  if (!LOSSES.includes(c.loss)) throw new ConfigError('--loss', `must be one of ${LOSSES.join(', ')}, got ${c.loss}`);
  if (!(Number.isInteger(c.seed) && c.seed >= 0 && c.seed <= 0xffffffff)) {
    throw new ConfigError('--seed', `must be an integer in [0, 4294967295], got ${c.seed}`);
  }
  if (!isPositiveInt(c.logInterval)) throw new ConfigError('--log-interval', `must be a positive integer, got ${c.logInterval}`);
  if (!isPositiveInt(c.readbackEvery)) throw new ConfigError('--readback-every', `must be a positive integer, got ${c.readbackEvery}`);
  if (!LR_SCHEDULES.includes(c.lrSchedule)) {
    throw new ConfigError('--lr-schedule', `must be one of ${LR_SCHEDULES.join(', ')}, got ${c.lrSchedule}`);
  }
  if (!(Number.isInteger(c.augmentShift) && c.augmentShift >= 0 && c.augmentShift <= MAX_AUGMENT_SHIFT)) {
    throw new ConfigError('--augment-shift', `must be an integer in [0, ${MAX_AUGMENT_SHIFT}] (pixels), got ${c.augmentShift}`);
  }
  if (data?.images === false && c.augmentShift > 0) {
    throw new ConfigError('--augment-shift', `shifts images, but this data holds rows of features, not images: it must be 0, got ${c.augmentShift}`);
  }
  for (const [opt, v, max] of [
    ['--limit-train', c.limitTrain, data?.trainCount],
    ['--limit-test', c.limitTest, data?.testCount],
  ] as const) {
    if (v === null) continue;
    if (!isPositiveInt(v)) throw new ConfigError(opt, `must be a positive integer, got ${v}`);
    if (max !== undefined && v > max) throw new ConfigError(opt, `must be at most ${max} (the split's size), got ${v}`);
  }
  if (!isPositiveInt(c.batchSize)) throw new ConfigError('--batch', `must be a positive integer, got ${c.batchSize}`);
  if (data) {
    const train = c.limitTrain ?? data.trainCount;
    if (c.batchSize > train) {
      throw new ConfigError('--batch', `must be at most the number of training samples (${train}), got ${c.batchSize}`);
    }
  }
  return c;
}

/** A configuration written before models were layer specs (checkpoint formats 1 and 2, sweep
 * results), its `hidden` widths and `activations` as the model they describe; others as they are. */
export function upgradeConfig(saved: object): Partial<TrainConfig> {
  const raw = saved as Record<string, unknown>;
  // Before activations could be chosen, every hidden layer was the sigmoid.
  const { hidden, activations = ['sigmoid'], ...rest } = raw;
  if (rest.model !== undefined || hidden === undefined) return raw as Partial<TrainConfig>;
  if (!(Array.isArray(hidden) && Array.isArray(activations))) {
    throw new ConfigError('--model', `is missing, and the old hidden ${JSON.stringify(hidden)} and activations ${JSON.stringify(activations)} are not two lists`);
  }
  return { ...rest, model: denseSpec(hidden, activations) } as Partial<TrainConfig>;
}

/** The configuration on one line, as `train` prints it and the dashboard logs it. */
export const configLine = (c: TrainConfig): string => `config: ${JSON.stringify({ ...c, model: formatModel(c.model) })}`;

/** The learning rate of an epoch (0-based) under the schedule: cosine decays towards 0 over the
 * run; step divides by 10 after half and again after three quarters of the epochs (the common
 * MultiStepLR recipe). */
export function lrAt(c: TrainConfig, epoch: number): number {
  switch (c.lrSchedule) {
    case 'constant':
      return c.lr;
    case 'cosine':
      return 0.5 * c.lr * (1 + Math.cos((Math.PI * epoch) / c.epochs));
    case 'step':
      return c.lr * 0.1 ** ((epoch >= Math.floor(c.epochs / 2) ? 1 : 0) + (epoch >= Math.floor((3 * c.epochs) / 4) ? 1 : 0));
  }
}
