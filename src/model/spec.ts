// What network a run trains, written without its data: the hidden layers as a list of layer
// specs. The output layer is appended from the data (a dense layer of `classes` units, linear for
// 'nll', the sigmoid for 'squared'), so one spec trains on MNIST and on a 3-class CSV alike.
// resolveNetwork is the one place that names layers and their tensors as PyTorch's state_dict does.
import { ConfigError } from '../train/config-error.ts';
import type { Activation, HiddenActivation } from './activations.ts';
import type { LossKind } from './losses.ts';
import { LAYER_TYPES, layerForward } from './layers/index.ts';
import type { SpecFail } from './layers/layer.ts';

/** A layer of the spec, by type; each type is one module in src/model/layers/. */
export type LayerSpec = DenseSpec | Conv2dSpec | Maxpool2dSpec | FlattenSpec;

/** nn.Linear followed by its activation. A dense layer reads its input as flat rows, so it may
 * follow an image (the notebook's x.view(-1, 784)) without a flatten. */
export interface DenseSpec {
  type: 'dense';
  units: number;
  activation: HiddenActivation;
}

/** nn.Conv2d (square kernel, bias) followed by its activation, on NCHW images. */
export interface Conv2dSpec {
  type: 'conv2d';
  /** Output channels. */
  channels: number;
  /** Kernel side. */
  kernel: number;
  stride: number;
  /** Zeros on every side. */
  padding: number;
  activation: HiddenActivation;
}

/** nn.MaxPool2d with stride = kernel side: non-overlapping windows, the remainder dropped. */
export interface Maxpool2dSpec {
  type: 'maxpool2d';
  kernel: number;
}

/** nn.Flatten: (C, H, W) read as one row; in NCHW the data does not move. */
export interface FlattenSpec {
  type: 'flatten';
}

export type LayerType = LayerSpec['type'];

/** The hidden layers, input to output; the output layer is not listed (see resolveNetwork). */
export type ModelSpec = readonly LayerSpec[];

/** What a network computes besides its weights: the model and the loss, which fixes the output
 * layer's activation (linear logits for 'nll', the sigmoid for 'squared'). A TrainConfig is one. */
export interface NetworkSpec {
  model: ModelSpec;
  loss: LossKind;
}

/** A parameter tensor as PyTorch names and shapes it: 'fc1.weight', [out, in]. */
export interface ParamSpec {
  name: string;
  shape: number[];
}

export interface ResolvedLayer {
  spec: LayerSpec;
  /** PyTorch's module name, counted per type: fc1, fc2, ..., conv1, conv2, ..., pool1, ... */
  name: string;
  /** Per sample, without the batch: [784] for a dense layer, [C, H, W] for an image. */
  inShape: number[];
  outShape: number[];
  /** Applied to the layer's output: the spec's, or the output layer's from the loss. */
  activation: Activation;
  /** In state_dict order. */
  params: ParamSpec[];
}

export const elementCount = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** The dense spec the CLI writes as `--hidden 512,256 --activation sigmoid`: one activation per
 * width, or one for all. */
export function denseSpec(hidden: readonly number[], activations: readonly HiddenActivation[]): DenseSpec[] {
  if (activations.length !== 1 && activations.length !== hidden.length) {
    throw new ConfigError('--activation', `needs one activation for every hidden layer, or one for all: ${activations.length} given for ${hidden.length} (--hidden ${hidden.join(',')})`);
  }
  return hidden.map((units, i) => ({ type: 'dense', units, activation: activations.length === 1 ? activations[0] : activations[i] }));
}

/** Named models `--model` accepts besides a spec: the notebook's MLP, and a small CNN for images. */
export const MODEL_PRESETS: Readonly<Record<string, string>> = {
  mlp: 'dense:512:sigmoid,dense:256:sigmoid',
  cnn: 'conv2d:6:k5:relu,maxpool2d:2,conv2d:24:k5:relu,maxpool2d:2,flatten,dense:64:relu',
};

/** What each preset is, for the choices that offer them. */
export const PRESET_ABOUT: Readonly<Record<keyof typeof MODEL_PRESETS, string>> = { mlp: "the notebook's MLP", cnn: 'a small CNN for images' };

const MODEL_GRAMMAR = 'layers separated by commas, each type:arg:arg (dense:<units>:<activation>, conv2d:<channels>:k<kernel>[:s<stride>][:p<padding>]:<activation>, ' +
  `maxpool2d:<kernel>, flatten), e.g. dense:512:sigmoid,dense:256:sigmoid, or a preset (${Object.keys(MODEL_PRESETS).join(', ')})`;

/** A model written as `--model` takes it: a preset's name, or the layers as `type:arg:...`
 * separated by commas, each type parsing its own arguments (see formatModel). */
export function parseModel(text: string): LayerSpec[] {
  const spec = MODEL_PRESETS[text.trim()] ?? text;
  return spec.split(',').map((raw, i) => {
    const [type, ...args] = raw.trim().split(':').map((t) => t.trim());
    if (!(LAYER_TYPES as readonly string[]).includes(type)) {
      throw new ConfigError('--model', `layer ${i + 1} ${JSON.stringify(raw.trim())} has no known type (${LAYER_TYPES.join(', ')}): write ${MODEL_GRAMMAR}`);
    }
    return layerForward(type as LayerType).parse(args, failing('--model', `layer ${i + 1} (${raw.trim()})`));
  });
}

/** The model as parseModel reads it back: 'dense:512:sigmoid,dense:256:sigmoid'. */
export const formatModel = (model: ModelSpec): string => model.map((s) => layerForward(s.type).format(s)).join(',');

/** A model given as data (a config file, a checkpoint, the library): a non-empty list of layer
 * specs of known types, each checked by its type; returned as fresh objects. */
export function checkModel(model: unknown): LayerSpec[] {
  if (!Array.isArray(model) || model.length === 0) {
    throw new ConfigError('--model', `must list one or more hidden layers, got ${model === undefined ? 'nothing' : JSON.stringify(model)}`);
  }
  return model.map((s: unknown, i) => checkLayer(s, '--model', `layer ${i + 1}`));
}

/** One layer spec given as data, checked by its type (see checkModel); errors name the option and
 * `where` in it. */
export function checkLayer(s: unknown, option: string, where: string): LayerSpec {
  const type = (s as { type?: unknown } | null)?.type;
  const fail = failing(option, where);
  if (!(LAYER_TYPES as readonly unknown[]).includes(type)) fail(`must be an object with a type of ${LAYER_TYPES.join(', ')}, got ${JSON.stringify(s)}`);
  return layerForward(type as LayerType).check(s as Record<string, unknown>, fail);
}

const failing = (option: string, where: string): SpecFail => (message) => {
  throw new ConfigError(option, `${where}: ${message}`);
};

/** PyTorch's module name of the n-th (from 1) layer of a type: fc1, fc2, ... */
export const layerName = (type: LayerType, n: number): string => `${layerForward(type).namePrefix}${n}`;

/** The resolved layers, input to output, the output layer last. */
export function resolveNetwork(model: ModelSpec, inputShape: readonly number[], classes: number, loss: LossKind): ResolvedLayer[] {
  if (inputShape.length === 0 || !inputShape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new ConfigError('--data', `gives samples of shape [${inputShape.join(', ')}]: every dimension must be a positive integer`);
  }
  if (!(Number.isInteger(classes) && classes > 0)) throw new ConfigError('--data', `must have at least one class, got ${classes}`);
  const output: LayerSpec = { type: 'dense', units: classes, activation: 'sigmoid' };
  const counts = new Map<LayerType, number>();
  let inShape = [...inputShape];
  return [...model, output].map((s, i) => {
    const last = i === model.length;
    const module = layerForward(s.type);
    const n = (counts.get(s.type) ?? 0) + 1;
    counts.set(s.type, n);
    const name = layerName(s.type, n);
    const outShape = module.outShape(s, inShape, name);
    const layer: ResolvedLayer = {
      spec: s, name, inShape, outShape,
      activation: last ? (loss === 'squared' ? 'sigmoid' : 'none') : 'activation' in s ? s.activation : 'none',
      params: module.params(s, inShape).map((p) => ({ name: `${name}.${p.name}`, shape: p.shape })),
    };
    inShape = outShape;
    return layer;
  });
}

/** The values per sample between layers, input to output ([784, 512, 256, 10] for the notebook's
 * network; a convolution's output counts channels x height x width). */
export function denseWidths(layers: readonly ResolvedLayer[]): number[] {
  return [elementCount(layers[0].inShape), ...layers.map((l) => elementCount(l.outShape))];
}

/** A network for messages: its widths when all dense (784-512-256-10), else each layer's output
 * shape (1x28x28 conv1 8x28x28 pool1 8x14x14 ... fc2 10). */
export function describeNetwork(layers: readonly ResolvedLayer[]): string {
  if (layers.every((l) => l.spec.type === 'dense')) return denseWidths(layers).join('-');
  return [layers[0].inShape.join('x'), ...layers.map((l) => `${l.name} ${l.outShape.join('x')}`)].join(' ');
}
