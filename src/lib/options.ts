// The library's options as the engine's TrainConfig, checked by the same validateConfig the
// commands use; its errors are renamed from the command-line flags to the option paths a library
// user wrote (--lr becomes optimizer.lr).
import { HIDDEN_ACTIVATIONS, type HiddenActivation } from '../model/activations.ts';
import type { LossKind } from '../model/losses.ts';
import type { OptimizerKind } from '../model/optimizers.ts';
import { checkLayer, denseSpec, resolveNetwork, type Conv2dSpec, type LayerSpec, type ModelSpec, type ResolvedLayer } from '../model/spec.ts';
import { refuseUnknownKeys } from '../train/config-error.ts';
import { ConfigError, isPositiveInt, NOTEBOOK_RECIPE, optimizerDefaults, validateConfig, type LrSchedule, type TrainConfig } from '../train/config.ts';
import { DivergenceError } from '../train/trainer.ts';
import { MAX_CLASSES } from '../data/dataset.ts';
import type { MatmulVariant } from '../gpu/kernels/matmul.ts';
import type { Device } from '../train/session.ts';
import { shown } from './errors.ts';

export type Activation = HiddenActivation;
export type Loss = LossKind;
export type Schedule = LrSchedule;
export type { Device };

/** torch.optim's SGD (default; the notebook's lr 0.5, no momentum), Adam or AdamW (PyTorch's
 * defaults: lr 1e-3, betas [0.9, 0.999], eps 1e-8; AdamW's weight decay 1e-2). */
export interface OptimizerOptions {
  kind?: OptimizerKind;
  lr?: number;
  /** SGD only. */
  momentum?: number;
  nesterov?: boolean;
  /** L2 in the gradient for SGD and Adam, decoupled for AdamW. */
  weightDecay?: number;
  /** Adam and AdamW: the decays of the gradient's and the squared gradient's averages. */
  betas?: readonly [number, number];
  eps?: number;
  /** Per epoch, over all the epochs fitted so far: 'cosine' decays towards 0, 'step' divides by
   * 10 after 1/2 and 3/4 of them. */
  schedule?: Schedule;
}

/** A hidden layer: a dense layer's width (its activation from `activation`), or a layer spec,
 * e.g. { type: 'dense', units: 128, activation: 'gelu' } or { type: 'conv2d', channels: 16,
 * kernel: 3, padding: 1 } (stride 1, padding 0 and ReLU unless given). */
export type LayerEntry = number | Exclude<LayerSpec, Conv2dSpec> | (Omit<Conv2dSpec, 'stride' | 'padding' | 'activation'> & Partial<Conv2dSpec>);

/** One sample's shape as `layers[0]` gives it: a width (784), or an image's [channels, height,
 * width] ([1, 28, 28]), which convolutions need. */
export type InputEntry = number | readonly [number, number, number];

/** Everything but `layers` defaults to the notebook's recipe. */
export interface TrainerOptions {
  /** The network: the inputs (pixels or features per sample, or an image's [1, height, width]), one
   * or more hidden layers, the classes. The notebook's MLP is [784, 512, 256, 10]; a CNN
   * [[1, 28, 28], { type: 'conv2d', channels: 8, kernel: 3, padding: 1, activation: 'relu' },
   * { type: 'maxpool2d', kernel: 2 }, { type: 'flatten' }, 10]. */
  layers: readonly (LayerEntry | InputEntry)[];
  /** The activation of each hidden layer given as a width, or one for all (default 'sigmoid'). */
  activation?: Activation | readonly Activation[];
  /** 'nll': log-softmax + cross-entropy (default); 'squared': sigmoid outputs, squared error. */
  loss?: Loss;
  optimizer?: OptimizerOptions;
  /** Batch size (default 32). */
  batch?: number;
  /** Seeds the weights' initialisation and every epoch's shuffle (default 1). */
  seed?: number;
  /** 'gpu' (WebGPU: the browser's, or Dawn's in Node; default) or 'cpu' (the reference). */
  device?: Device;
  /** Shuffle the training samples every epoch (default true). */
  shuffle?: boolean;
  /** Augmentation of [count, rows, cols] images: a random shift of up to this many pixels (default 0). */
  augmentShift?: number;
  /** Steps per GPU submit between loss read-backs, which is also how often onStep is called and
   * an abort is seen (default 50). */
  readbackEvery?: number;
  /** Stop when a read-back interval's mean loss explodes while finite (default true). */
  divergenceStop?: boolean;
  /** One matmul variant everywhere instead of the timed per-adapter choice (GPU only); null or
   * absent: the choice (so a trainer's `settings` can be passed back as they are). */
  matmul?: MatmulVariant | null;
}

/** Every key of each options object, checked by the compiler to be complete: a key outside them is
 * refused (refuseUnknownKeys) rather than ignored. */
export const TRAINER_OPTION_KEYS = Object.keys({
  layers: 1, activation: 1, loss: 1, optimizer: 1, batch: 1, seed: 1, device: 1, shuffle: 1, augmentShift: 1, readbackEvery: 1, divergenceStop: 1, matmul: 1,
} satisfies Record<keyof TrainerOptions, 1>);
const OPTIMIZER_OPTION_KEYS = Object.keys({
  kind: 1, lr: 1, momentum: 1, nesterov: 1, weightDecay: 1, betas: 1, eps: 1, schedule: 1,
} satisfies Record<keyof OptimizerOptions, 1>);

/** The command-line flag a config check names, and the library option it stands for. */
const OPTION_NAMES: Record<string, string> = {
  '--epochs': 'epochs',
  '--batch': 'batch',
  '--optimizer': 'optimizer.kind',
  '--lr': 'optimizer.lr',
  '--beta1': 'optimizer.betas[0]',
  '--beta2': 'optimizer.betas[1]',
  '--eps': 'optimizer.eps',
  '--momentum': 'optimizer.momentum',
  '--nesterov': 'optimizer.nesterov',
  '--weight-decay': 'optimizer.weightDecay',
  '--lr-schedule': 'optimizer.schedule',
  '--hidden': 'layers',
  '--model': 'layers',
  '--activation': 'activation',
  '--loss': 'loss',
  '--seed': 'seed',
  '--readback-every': 'readbackEvery',
  '--augment-shift': 'augmentShift',
  '--limit-train': 'dataset',
  '--limit-test': 'validation',
  '--no-divergence-stop': 'divergenceStop: false',
};

const renameFlags = (text: string) => text.replace(/--[a-z0-9-]+/g, (flag) => OPTION_NAMES[flag] ?? flag);

/** An engine error whose message names command-line flags, with the library's names instead;
 * other errors as they are. */
export function withLibraryNames(e: unknown): unknown {
  if (e instanceof ConfigError) return new ConfigError(renameFlags(e.option), renameFlags(e.message.slice(e.option.length + 1)));
  if (e instanceof DivergenceError) e.message = renameFlags(e.message);
  return e;
}



/** Checks `layers` (the engine checks the rest) and returns the configuration for `epochs`. */
export function configFromOptions(o: TrainerOptions, epochs = 1): TrainConfig {
  try {
    return checkedConfig(o, epochs);
  } catch (e) {
    throw withLibraryNames(e);
  }
}

function checkedConfig(o: TrainerOptions, epochs: number): TrainConfig {
  if (typeof o !== 'object' || o === null) throw new ConfigError('options', `must be an object with at least layers, got ${String(o)}`);
  refuseUnknownKeys(o, TRAINER_OPTION_KEYS, (key) => key);
  if (o.optimizer !== undefined && (typeof o.optimizer !== 'object' || o.optimizer === null)) {
    throw new ConfigError('optimizer', `must be an object such as { kind: 'adam', lr: 1e-3 }, got ${shown(o.optimizer)}`);
  }
  refuseUnknownKeys(o.optimizer ?? {}, OPTIMIZER_OPTION_KEYS, (key) => `optimizer.${key}`);
  const { layers } = o;
  const hidden = Array.isArray(layers) ? layers.slice(1, -1) : [];
  if (!Array.isArray(layers) || layers.length < 3 || !isInputEntry(layers[0]) || !isPositiveInt(layers[layers.length - 1]) ||
    !hidden.every((h) => isPositiveInt(h) || (typeof h === 'object' && h !== null))) {
    throw new ConfigError('layers', 'must list the inputs, one or more hidden layers (widths or layer specs) and the classes, such as ' +
      `[784, 512, 256, 10] or [[1, 28, 28], { type: 'conv2d', ... }, 10], got ${shown(layers)}`);
  }
  if (Array.isArray(layers[0]) && layers[0][0] !== 1) {
    throw new ConfigError('layers', `[0] gives images of ${layers[0][0]} channels; the data is single-channel images: write [1, height, width], got ${shown(layers[0])}`);
  }
  const classes = layers[layers.length - 1] as number;
  if (classes < 2 || classes > MAX_CLASSES) {
    throw new ConfigError('layers', `must end with the number of classes, 2 to ${MAX_CLASSES} (labels are bytes), got ${classes}`);
  }
  const act = o.activation ?? 'sigmoid';
  const acts: unknown[] = typeof act === 'string' ? [act] : Array.isArray(act) ? act : [];
  if (acts.length === 0 || !acts.every((a) => (HIDDEN_ACTIVATIONS as readonly unknown[]).includes(a))) {
    throw new ConfigError('activation', `must be ${HIDDEN_ACTIVATIONS.join(', ')}, or a list of them (one per hidden width), got ${shown(act)}`);
  }
  const widths = hidden.filter((h) => typeof h === 'number');
  const activations = denseSpec(widths, typeof act === 'string' ? [act] : [...act]).map((l) => l.activation);
  let dense = 0;
  const model = hidden.map((h, i) => (typeof h === 'number' ? { type: 'dense' as const, units: h, activation: activations[dense++] } : checkLayer(h, 'layers', `[${i + 1}]`)));
  const opt = o.optimizer ?? {};
  const R = NOTEBOOK_RECIPE;
  const kind = opt.kind ?? R.optimizer;
  const defaults = optimizerDefaults(kind);
  if (opt.betas !== undefined && !(Array.isArray(opt.betas) && opt.betas.length === 2)) {
    throw new ConfigError('optimizer.betas', `must be two numbers [beta1, beta2], got ${shown(opt.betas)}`);
  }
  const partial: Partial<TrainConfig> = {
    epochs,
    batchSize: o.batch ?? R.batchSize,
    optimizer: kind,
    lr: opt.lr ?? defaults.lr,
    momentum: opt.momentum ?? R.momentum,
    nesterov: opt.nesterov ?? R.nesterov,
    weightDecay: opt.weightDecay ?? defaults.weightDecay,
    beta1: opt.betas?.[0] ?? R.beta1,
    beta2: opt.betas?.[1] ?? R.beta2,
    eps: opt.eps ?? R.eps,
    lrSchedule: opt.schedule ?? R.lrSchedule,
    model,
    loss: o.loss ?? R.loss,
    seed: o.seed ?? R.seed,
    shuffle: o.shuffle ?? R.shuffle,
    augmentShift: o.augmentShift ?? R.augmentShift,
    readbackEvery: o.readbackEvery ?? R.readbackEvery,
    divergenceStop: o.divergenceStop ?? R.divergenceStop,
  };
  for (const [key, value] of [['shuffle', partial.shuffle], ['optimizer.nesterov', partial.nesterov], ['divergenceStop', partial.divergenceStop]] as const) {
    if (typeof value !== 'boolean') throw new ConfigError(key, `must be true or false, got ${shown(value)}`);
  }
  return validateConfig(partial);
}

const isInputEntry = (e: unknown): e is InputEntry => isPositiveInt(e) || (Array.isArray(e) && e.length === 3 && e.every(isPositiveInt));

/** The network the options make, resolved (a ConfigError names `layers` where it does not fit). */
export function networkOf(o: TrainerOptions, c: TrainConfig): ResolvedLayer[] {
  const input = o.layers[0] as InputEntry;
  try {
    return resolveNetwork(c.model, typeof input === 'number' ? [input] : [...input], o.layers[o.layers.length - 1] as number, c.loss);
  } catch (e) {
    throw withLibraryNames(e);
  }
}

/** The library's `layers` for a network: its input, its layers' specs, its classes. */
export function libraryLayers(model: ModelSpec, network: readonly ResolvedLayer[]): TrainerOptions['layers'] {
  const input = network[0].inShape;
  return [input.length === 3 ? [input[0], input[1], input[2]] : input[0], ...model.map((l) => ({ ...l })), network[network.length - 1].outShape[0]];
}

/** The library options a configuration stands for (of a loaded checkpoint), on this network. */
export function optionsFromConfig(c: TrainConfig, network: readonly ResolvedLayer[]): Required<Omit<TrainerOptions, 'matmul' | 'device' | 'activation'>> {
  return {
    layers: libraryLayers(c.model, network),
    loss: c.loss,
    optimizer: { kind: c.optimizer, lr: c.lr, momentum: c.momentum, nesterov: c.nesterov, weightDecay: c.weightDecay, betas: [c.beta1, c.beta2],
      eps: c.eps, schedule: c.lrSchedule },
    batch: c.batchSize,
    seed: c.seed,
    shuffle: c.shuffle,
    augmentShift: c.augmentShift,
    readbackEvery: c.readbackEvery,
    divergenceStop: c.divergenceStop,
  };
}
