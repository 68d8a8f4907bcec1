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
import { classCount, type Splits } from '../data/dataset.ts';
import { denseSpec, denseWidths, formatModel, resolveNetwork, type NetworkSpec, type ResolvedLayer } from '../model/spec.ts';

export interface MlpLayer {
  /** 'fc1', 'fc2', ...: the notebook's module names, so tensor names match its state_dict. */
  name: string;
  out: number;
  in: number;
  /** (out, in), PyTorch's nn.Linear layout. */
  weight: Float32Array;
  /** (out). */
  bias: Float32Array;
}

export interface Mlp {
  /** Layer widths from input to logits, e.g. [784, 512, 256, 10]. */
  sizes: number[];
  layers: MlpLayer[];
}

export interface ParamTensor {
  /** 'fc1.weight', 'fc1.bias', ... */
  name: string;
  shape: number[];
  /** The live parameter storage, not a copy. */
  data: Float32Array;
}

export const MNIST_MLP_SIZES: readonly number[] = [784, 512, 256, 10];

/** The notebook's network of these widths: sigmoid hidden layers, log-softmax + NLL. */
export const notebookSpec = (sizes: readonly number[]): NetworkSpec => ({ model: denseSpec(sizes.slice(1, -1), ['sigmoid']), loss: 'nll' });

/** The resolved layers of a network of these widths (names, shapes, activations; the notebook's
 * unless a spec is given, whose layers must make these widths). */
export function resolveMlp(sizes: readonly number[], spec: NetworkSpec = notebookSpec(sizes)): ResolvedLayer[] {
  const layers = resolveNetwork(spec.model, [sizes[0]], sizes[sizes.length - 1], spec.loss);
  if (denseWidths(layers).join() !== sizes.join()) {
    throw new RangeError(`the model ${formatModel(spec.model)} makes a ${denseWidths(layers).join('-')} network, its weights are ${sizes.join('-')}`);
  }
  return layers;
}

/** Layer widths of the network a spec makes for this data: its width in, the hidden layers' widths,
 * its classes out. */
export function mlpSizesFor(data: Splits, spec: NetworkSpec): number[] {
  return denseWidths(resolveNetwork(spec.model, [data.train.width], classCount(data), spec.loss));
}

/** Whether a (valid) spec's layers make these widths, so weights of them compute with it. */
export const specFits = (sizes: readonly number[], spec: NetworkSpec): boolean =>
  denseWidths(resolveNetwork(spec.model, [sizes[0]], sizes[sizes.length - 1], spec.loss)).join() === sizes.join();

/** The network's layers with their live parameter tensors, for the walkers of src/model/. */
export function mlpLayerParams(mlp: Mlp, spec: NetworkSpec = notebookSpec(mlp.sizes)): LayerParams[] {
  return resolveMlp(mlp.sizes, spec).map((layer, l) => ({ layer, params: [mlp.layers[l].weight, mlp.layers[l].bias] }));
}

/** PyTorch's default init of every layer (see each layer type's init), drawn from deriveRng(seed,
 * 0) in state_dict order, so the GPU path can reproduce it. */
export function initMlp(sizes: readonly number[], seed: number): Mlp {
  if (sizes.length < 2) {
    throw new RangeError(`MLP sizes need at least 2 entries (input and output), got [${sizes.join(', ')}]`);
  }
  sizes.forEach((s, i) => {
    if (!Number.isInteger(s) || s <= 0) {
      throw new RangeError(`MLP sizes[${i}] must be a positive integer, got ${s}`);
    }
  });
  const rng = deriveRng(seed, 0);
  return assembleMlp(sizes, (layer) => layerModule(layer.spec.type).init(layer, rng));
}

/** The network of these widths with each layer's tensors (layer.params order) from `tensorsOf`,
 * called layer by layer from the input. */
export function assembleMlp(sizes: readonly number[], tensorsOf: (layer: ResolvedLayer, index: number) => Float32Array[]): Mlp {
  const layers = resolveMlp(sizes).map((layer, i): MlpLayer => {
    const [weight, bias] = tensorsOf(layer, i);
    return { name: layer.name, out: layer.outShape[0], in: layer.inShape[0], weight, bias };
  });
  return { sizes: [...sizes], layers };
}

export function cloneMlp(mlp: Mlp): Mlp {
  return {
    sizes: [...mlp.sizes],
    layers: mlp.layers.map((l) => ({ ...l, weight: l.weight.slice(), bias: l.bias.slice() })),
  };
}

/** Every parameter in PyTorch's state_dict order: fc1.weight, fc1.bias, fc2.weight, ... */
export function mlpParamTensors(mlp: Mlp): ParamTensor[] {
  return mlpLayerParams(mlp).flatMap(({ layer, params }) => layer.params.map((p, i) => ({ ...p, data: params[i] })));
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
