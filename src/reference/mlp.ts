// CPU reference of an MLP, the notebook's by default (784 -> 512 -> sigmoid -> 256 -> sigmoid ->
// 10 -> log-softmax), assembled only from the kernel twins in kernels.ts. A training step here is
// the same sequence of kernels the GPU encodes, so a mismatch between the two points at one kernel.

import {
  activationBackwardCpu,
  gatherCpu,
  logSoftmaxNllCpu,
  squaredErrorCpu,
} from './kernels.ts';
import { createOptimizerState, optimizerUpdateCpu, type OptimizerSettings, type OptimizerState } from '../model/optimizers.ts';
import { deriveRng } from '../data/prng.ts';
import { layerModule } from '../model/layers/index.ts';
import { backwardNetworkCpu, forwardNetworkCpu, type LayerParams } from '../model/network.ts';
import { classCount, type Split, type Splits } from '../data/dataset.ts';
import { ConfigError } from '../train/config-error.ts';
import { denseSpec, denseWidths, elementCount, formatModel, resolveNetwork, type NetworkSpec, type ResolvedLayer } from '../model/spec.ts';

export interface ParamTensor {
  /** 'fc1.weight', 'conv1.bias', ... */
  name: string;
  shape: number[];
  /** The live parameter storage, not a copy. */
  data: Float32Array;
}

export interface MlpLayer {
  /** PyTorch's module name ('fc1', 'conv1', 'pool1'), so tensor names match its state_dict. */
  name: string;
  /** Values per sample in and out. */
  in: number;
  out: number;
  /** In state_dict order: (out, in) and (out) for nn.Linear, (out, C, k, k) and (out) for
   * nn.Conv2d, none for pooling and flatten. */
  params: ParamTensor[];
}

/** A network's weights, with the shapes they were made for (not its activations or loss, which a
 * NetworkSpec gives: the same tensors compute with any activation). */
export interface Mlp {
  /** Values per sample between layers, input to output, e.g. [784, 512, 256, 10]. */
  sizes: number[];
  /** One sample's shape: [784] for rows, [1, 28, 28] for an image, which convolutions need. */
  inputShape: number[];
  layers: MlpLayer[];
}

export const MNIST_MLP_SIZES: readonly number[] = [784, 512, 256, 10];

/** The notebook's network of these widths: sigmoid hidden layers, log-softmax + NLL. */
export const notebookSpec = (sizes: readonly number[]): NetworkSpec => ({ model: denseSpec(sizes.slice(1, -1), ['sigmoid']), loss: 'nll' });

/** The resolved layers of a dense network of these widths (names, shapes, activations; the
 * notebook's unless a spec is given, whose layers must make these widths). */
export function resolveMlp(sizes: readonly number[], spec: NetworkSpec = notebookSpec(sizes)): ResolvedLayer[] {
  const layers = resolveNetwork(spec.model, [sizes[0]], sizes[sizes.length - 1], spec.loss);
  if (denseWidths(layers).join() !== sizes.join()) {
    throw new RangeError(`the model ${formatModel(spec.model)} makes a ${denseWidths(layers).join('-')} network, its weights are ${sizes.join('-')}`);
  }
  return layers;
}

/** One sample's shape in a split: (1, rows, cols) for images, (width) for rows of features. */
export const sampleShape = (split: Split): number[] => (split.image ? [1, split.image.rows, split.image.cols] : [split.width]);

/** The resolved layers of the network a spec makes for this data: its samples' shape in, its
 * classes out. */
export function networkFor(data: Splits, spec: NetworkSpec): ResolvedLayer[] {
  return resolveNetwork(spec.model, sampleShape(data.train), classCount(data), spec.loss);
}

/** The layers a spec makes on these weights' input and classes, checked against the weights'
 * tensors: a RangeError names the first that differs. */
export function resolveWeights(mlp: Mlp, spec: NetworkSpec): ResolvedLayer[] {
  const layers = resolveNetwork(spec.model, mlp.inputShape, mlp.sizes[mlp.sizes.length - 1], spec.loss);
  const want = layers.flatMap((l) => l.params.map((p) => `${p.name} [${p.shape.join(', ')}]`));
  const have = mlp.layers.flatMap((l) => l.params.map((p) => `${p.name} [${p.shape.join(', ')}]`));
  const differ = want.findIndex((w, i) => w !== have[i]);
  if (differ >= 0 || want.length !== have.length) {
    const at = differ >= 0 ? differ : Math.min(want.length, have.length);
    throw new RangeError(`the model ${formatModel(spec.model)} has ${want[at] ?? 'no more tensors'} where the weights have ${have[at] ?? 'no more tensors'}`);
  }
  return layers;
}

/** Whether a (valid) spec's layers fit these weights, so they compute with it. */
export function specFits(mlp: Mlp, spec: NetworkSpec): boolean {
  try {
    resolveWeights(mlp, spec);
    return true;
  } catch (err) {
    if (err instanceof RangeError || err instanceof ConfigError) return false;
    throw err;
  }
}

/** The network's layers with their live parameter tensors, for the walkers of src/model/. */
export function mlpLayerParams(mlp: Mlp, spec: NetworkSpec = notebookSpec(mlp.sizes)): LayerParams[] {
  return resolveWeights(mlp, spec).map((layer, l) => ({ layer, params: mlp.layers[l].params.map((p) => p.data) }));
}

/** PyTorch's default init of every layer (see each layer type's init), drawn from deriveRng(seed,
 * 0) in state_dict order, so the GPU path can reproduce it. */
export function initNetwork(layers: readonly ResolvedLayer[], seed: number): Mlp {
  const rng = deriveRng(seed, 0);
  return assembleMlp(layers, (layer) => layerModule(layer.spec.type).init(layer, rng));
}

/** initNetwork of the dense network of these widths. */
export function initMlp(sizes: readonly number[], seed: number): Mlp {
  if (sizes.length < 2) {
    throw new RangeError(`MLP sizes need at least 2 entries (input and output), got [${sizes.join(', ')}]`);
  }
  sizes.forEach((s, i) => {
    if (!Number.isInteger(s) || s <= 0) {
      throw new RangeError(`MLP sizes[${i}] must be a positive integer, got ${s}`);
    }
  });
  return initNetwork(resolveMlp(sizes), seed);
}

/** The network of these layers with each layer's tensors (layer.params order) from `tensorsOf`,
 * called layer by layer from the input. */
export function assembleMlp(layers: readonly ResolvedLayer[], tensorsOf: (layer: ResolvedLayer, index: number) => Float32Array[]): Mlp {
  return {
    sizes: denseWidths(layers),
    inputShape: [...layers[0].inShape],
    layers: layers.map((layer, i): MlpLayer => {
      const data = tensorsOf(layer, i);
      return { name: layer.name, in: elementCount(layer.inShape), out: elementCount(layer.outShape), params: layer.params.map((p, j) => ({ ...p, data: data[j] })) };
    }),
  };
}

export function cloneMlp(mlp: Mlp): Mlp {
  return {
    sizes: [...mlp.sizes],
    inputShape: [...mlp.inputShape],
    layers: mlp.layers.map((l) => ({ ...l, params: l.params.map((p) => ({ ...p, data: p.data.slice() })) })),
  };
}

/** Every parameter in PyTorch's state_dict order: fc1.weight, fc1.bias, fc2.weight, ... */
export function mlpParamTensors(mlp: Mlp): ParamTensor[] {
  return mlp.layers.flatMap((l) => l.params);
}

export interface MlpForward {
  /** activations[l] is layer l's input, (B, sizes[l]): activations[0] is x, the rest are the
   * hidden layers' outputs (after their activation) that the backward pass needs. */
  activations: Float32Array[];
  /** (B, sizes[last]) the last layer's outputs: the logits for 'nll', the sigmoid's for 'squared'. */
  logits: Float32Array;
}

export function forwardMlp(mlp: Mlp, x: Float32Array, B: number, spec: NetworkSpec = notebookSpec(mlp.sizes)): MlpForward {
  if (x.length !== B * mlp.sizes[0]) {
    throw new RangeError(`forwardMlp: x must be (${B}, ${mlp.sizes[0]}) = ${B * mlp.sizes[0]} values, got ${x.length}`);
  }
  const { inputs, out } = forwardNetworkCpu(mlpLayerParams(mlp, spec), x, B);
  return { activations: inputs, logits: out };
}

/** The optimizer's zero state for this network's parameter tensors (state_dict order). */
export const createMlpOptimizerState = (mlp: Mlp, s: OptimizerSettings): OptimizerState =>
  createOptimizerState(mlpParamTensors(mlp).map((t) => t.data.length), s);

export interface MlpStepResult {
  /** The batch's mean loss before the update (what the notebook logs). */
  loss: number;
  /** Rows whose largest logit is the label, before the update. */
  correct: number;
  /** d(loss)/d(param) at the pre-update parameters, in mlpParamTensors order. */
  grads: Float32Array[];
}

/** forward, loss, backward, then the optimizer's step on every tensor: loss.backward() followed
 * by optimizer.step(). x is (B, sizes[0]), labels is (B). Updates mlp and opt in place. */
export function mlpTrainStepCpu(
  mlp: Mlp,
  opt: OptimizerState,
  x: Float32Array,
  labels: ArrayLike<number>,
  B: number,
  optimizer: OptimizerSettings,
  spec: NetworkSpec = notebookSpec(mlp.sizes),
): MlpStepResult {
  const layers = mlpLayerParams(mlp, spec);
  const fwd = forwardNetworkCpu(layers, x, B);
  const { loss, dZ, argmax } = lossAndGradient(mlp, fwd.out, labels, B, spec);
  const grads = backwardNetworkCpu(layers, fwd, dZ, B).flat();

  opt.step += 1;
  mlpParamTensors(mlp).forEach((t, i) => {
    optimizerUpdateCpu(t.data, grads[i], opt.state?.[i] ?? null, optimizer, opt.step);
  });

  let correct = 0;
  for (let r = 0; r < B; r++) if (argmax[r] === labels[r]) correct++;
  return { loss, correct, grads };
}

/** The batch's mean loss, each row's loss and argmax, and dZ, the gradient of the mean loss with
 * respect to the last layer's pre-activation, (B, C): (softmax - onehot) / B for 'nll';
 * 2 (out - onehot) out (1 - out) / B for 'squared'. */
function lossAndGradient(mlp: Mlp, out: Float32Array, labels: ArrayLike<number>, B: number, spec: NetworkSpec) {
  const C = mlp.sizes[mlp.sizes.length - 1];
  if (spec.loss === 'nll') {
    const nll = logSoftmaxNllCpu(out, labels, B, C);
    return { loss: nll.loss, rowLoss: nll.rowLoss, argmax: nll.argmax, dZ: nll.grad };
  }
  const se = squaredErrorCpu(out, labels, B, C);
  return { loss: se.loss, rowLoss: se.rowLoss, argmax: se.argmax, dZ: activationBackwardCpu(se.grad, out, 'sigmoid') };
}

export interface MlpEvaluation {
  /** The notebook's "Test Loss": sum over batches of each batch's mean loss, divided by count
   * (so about meanLoss / batchSize, and a ragged last batch weighs as much as a full one). */
  testLoss: number;
  /** True per-sample mean NLL. */
  meanLoss: number;
  /** correct / count * 100. */
  accuracy: number;
  correct: number;
  count: number;
  /** Predicted class of each evaluated sample, in order. */
  predictions: Uint8Array;
  /** (count, classes): the output layer's values of every sample (the logits for 'nll', the
   * sigmoid's outputs for 'squared'), when asked for. */
  outputs?: Float32Array;
}

/** The notebook's evaluate(): the first `count` samples in order, unshuffled, in batches of
 * batchSize with a smaller last batch. samples is (>= count, sizes[0]): u8 scaled by 1/255, or f32
 * as they are. `keepOutputs` also returns every sample's output-layer values. */
export function evaluateMlpCpu(
  mlp: Mlp,
  samples: Uint8Array | Float32Array,
  labels: Uint8Array,
  count: number,
  batchSize: number,
  spec: NetworkSpec = notebookSpec(mlp.sizes),
  keepOutputs = false,
): MlpEvaluation {
  if (!Number.isInteger(count) || count <= 0 || count > labels.length) {
    throw new RangeError(`evaluateMlpCpu: count must be an integer in [1, ${labels.length}], got ${count}`);
  }
  if (!Number.isInteger(batchSize) || batchSize <= 0) {
    throw new RangeError(`evaluateMlpCpu: batchSize must be a positive integer, got ${batchSize}`);
  }
  const inputs = mlp.sizes[0];
  const C = mlp.sizes[mlp.sizes.length - 1];
  const outputs = keepOutputs ? new Float32Array(count * C) : undefined;
  let batchMeanSum = 0;
  let lossSum = 0;
  let correct = 0;
  const predictions = new Uint8Array(count);
  for (let start = 0; start < count; start += batchSize) {
    const B = Math.min(batchSize, count - start);
    const indices = Array.from({ length: B }, (_, r) => start + r);
    const batchLabels = labels.subarray(start, start + B);
    const x = gatherCpu(samples, indices, inputs);
    const { logits } = forwardMlp(mlp, x, B, spec);
    outputs?.set(logits, start * C);
    const nll = lossAndGradient(mlp, logits, batchLabels, B, spec);
    batchMeanSum += nll.loss;
    for (let r = 0; r < B; r++) {
      lossSum += nll.rowLoss[r];
      predictions[start + r] = nll.argmax[r];
      if (nll.argmax[r] === batchLabels[r]) correct++;
    }
  }
  return { testLoss: batchMeanSum / count, meanLoss: lossSum / count, accuracy: (correct / count) * 100, correct, count, predictions,
    ...(outputs ? { outputs } : {}) };
}
