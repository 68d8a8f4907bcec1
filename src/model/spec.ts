// What network a run trains, written without its data: the hidden layers as a list of layer
// specs. The output layer is appended from the data (a dense layer of `classes` units, linear for
// 'nll', the sigmoid for 'squared'), so one spec trains on MNIST and on a 3-class CSV alike.
// resolveNetwork is the one place that names layers and their tensors as PyTorch's state_dict does.
import { ConfigError } from '../train/config.ts';
import type { Activation, HiddenActivation } from './activations.ts';
import type { LossKind } from './losses.ts';
import { layerModule } from './layers/index.ts';

/** A layer of the spec, by type; each type is one module in src/model/layers/. */
export type LayerSpec = DenseSpec;

/** nn.Linear followed by its activation. */
export interface DenseSpec {
  type: 'dense';
  units: number;
  activation: HiddenActivation;
}

export type LayerType = LayerSpec['type'];

export interface ModelSpec {
  /** Input to output; the output layer is not listed (see resolveNetwork). */
  hidden: LayerSpec[];
}

/** A parameter tensor as PyTorch names and shapes it: 'fc1.weight', [out, in]. */
export interface ParamSpec {
  name: string;
  shape: number[];
}

export interface ResolvedLayer {
  spec: LayerSpec;
  /** PyTorch's module name, counted per type: fc1, fc2, ... (a conv layer would be conv1). */
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
export function denseSpec(hidden: readonly number[], activations: readonly HiddenActivation[]): ModelSpec {
  if (activations.length !== 1 && activations.length !== hidden.length) {
    throw new ConfigError('--activation', `needs one activation for every hidden layer, or one for all: ${activations.length} given for ${hidden.length} (--hidden ${hidden.join(',')})`);
  }
  return { hidden: hidden.map((units, i) => ({ type: 'dense', units, activation: activations.length === 1 ? activations[0] : activations[i] })) };
}

/** PyTorch's module name of the n-th (from 1) layer of a type: fc1, fc2, ... */
export const layerName = (type: LayerType, n: number): string => `${layerModule(type).namePrefix}${n}`;

/** The resolved layers, input to output, the output layer last. */
export function resolveNetwork(spec: ModelSpec, inputShape: readonly number[], classes: number, loss: LossKind): ResolvedLayer[] {
  if (inputShape.length === 0 || !inputShape.every((d) => Number.isInteger(d) && d > 0)) {
    throw new ConfigError('--data', `gives samples of shape [${inputShape.join(', ')}]: every dimension must be a positive integer`);
  }
  if (!(Number.isInteger(classes) && classes > 0)) throw new ConfigError('--data', `must have at least one class, got ${classes}`);
  const output: LayerSpec = { type: 'dense', units: classes, activation: 'sigmoid' };
  const counts = new Map<LayerType, number>();
  let inShape = [...inputShape];
  return [...spec.hidden, output].map((s, i) => {
    const last = i === spec.hidden.length;
    const module = layerModule(s.type);
    const n = (counts.get(s.type) ?? 0) + 1;
    counts.set(s.type, n);
    const name = layerName(s.type, n);
    const outShape = module.outShape(s, inShape, name);
    const layer: ResolvedLayer = {
      spec: s, name, inShape, outShape,
      activation: last ? (loss === 'squared' ? 'sigmoid' : 'none') : s.activation,
      params: module.params(s, inShape).map((p) => ({ name: `${name}.${p.name}`, shape: p.shape })),
    };
    inShape = outShape;
    return layer;
  });
}

/** The widths of an all-dense network, input to output ([784, 512, 256, 10]). */
export function denseWidths(layers: readonly ResolvedLayer[]): number[] {
  return [elementCount(layers[0].inShape), ...layers.map((l) => elementCount(l.outShape))];
}
