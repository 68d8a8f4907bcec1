// CPU reference of an MLP, the notebook's by default (784 -> 512 -> sigmoid -> 256 -> sigmoid ->
// 10 -> log-softmax), assembled only from the kernel twins in kernels.ts. A training step here is
// the same sequence of kernels the GPU encodes, so a mismatch between the two points at one kernel.

import {
  activationBackwardCpu,
  biasGradCpu,
  gatherCpu,
  logSoftmaxNllCpu,
  matmulCpu,
  squaredErrorCpu,
  type HiddenActivation,
  type LossKind,
} from './kernels.ts';
import { createOptimizerState, optimizerUpdateCpu, type OptimizerSettings, type OptimizerState } from '../model/optimizers.ts';
import { deriveRng } from '../data/prng.ts';

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

/** What a network computes besides its weights: each hidden layer's activation and the loss
 * (which fixes the output layer's: linear logits for 'nll', the sigmoid for 'squared'). */
export interface MlpSpec {
  activations: readonly HiddenActivation[];
  loss: LossKind;
}

/** The notebook's: sigmoid hidden layers, log-softmax + NLL. */
export const notebookSpec = (mlp: Mlp): MlpSpec => ({ activations: mlp.layers.slice(1).map(() => 'sigmoid'), loss: 'nll' });

/** PyTorch's default nn.Linear init in distribution (kaiming_uniform with a = sqrt(5) reduces to
 * U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for the weight, and the bias uses the same bound). Drawn from
 * deriveRng(seed, 0) in state_dict order, weights row-major, so the GPU path can reproduce it. */
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
  const layers: MlpLayer[] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const fanIn = sizes[l];
    const out = sizes[l + 1];
    const bound = 1 / Math.sqrt(fanIn);
    const weight = new Float32Array(out * fanIn);
    for (let i = 0; i < weight.length; i++) weight[i] = rng.uniform(-bound, bound);
    const bias = new Float32Array(out);
    for (let i = 0; i < bias.length; i++) bias[i] = rng.uniform(-bound, bound);
    layers.push({ name: `fc${l + 1}`, out, in: fanIn, weight, bias });
  }
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
  return mlp.layers.flatMap((l) => [
    { name: `${l.name}.weight`, shape: [l.out, l.in], data: l.weight },
    { name: `${l.name}.bias`, shape: [l.out], data: l.bias },
  ]);
}

export interface MlpForward {
  /** activations[l] is layer l's input, (B, sizes[l]): activations[0] is x, the rest are the
   * hidden layers' outputs (after their activation) that the backward pass needs. */
  activations: Float32Array[];
  /** (B, sizes[last]) the last layer's outputs: the logits for 'nll', the sigmoid's for 'squared'. */
  logits: Float32Array;
}

export function forwardMlp(mlp: Mlp, x: Float32Array, B: number, spec: MlpSpec = notebookSpec(mlp)): MlpForward {
  if (x.length !== B * mlp.sizes[0]) {
    throw new RangeError(`forwardMlp: x must be (${B}, ${mlp.sizes[0]}) = ${B * mlp.sizes[0]} values, got ${x.length}`);
  }
  const activations = [x];
  let h = x;
  mlp.layers.forEach((layer, l) => {
    const last = l === mlp.layers.length - 1;
    // h_next = act(h W^T + b): h is (B,in), W is (out,in), h_next is (B,out); e.g. fc1: (B,784) x
    // (512,784)^T -> (B,512). Hidden layers apply their activation; the last one stays linear for
    // the softmax, or is a sigmoid for the squared error.
    h = matmulCpu(h, layer.weight, layer.bias, {
      M: B, N: layer.out, K: layer.in, transB: true, activation: last ? (spec.loss === 'squared' ? 'sigmoid' : 'none') : spec.activations[l],
    });
    if (!last) activations.push(h);
  });
  return { activations, logits: h };
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
  spec: MlpSpec = notebookSpec(mlp),
): MlpStepResult {
  const { activations, logits } = forwardMlp(mlp, x, B, spec);
  const { loss, dZ: dZOut, argmax } = lossAndGradient(mlp, logits, labels, B, spec);

  const grads: Float32Array[] = new Array(2 * mlp.layers.length);
  let dZ = dZOut;
  for (let l = mlp.layers.length - 1; l >= 0; l--) {
    const layer = mlp.layers[l];
    const hPrev = activations[l];
    // dW = dZ^T h_prev: dZ is (B,out) read as (out,B), h_prev is (B,in), dW is (out,in).
    grads[2 * l] = matmulCpu(dZ, hPrev, null, { M: layer.out, N: layer.in, K: B, transA: true });
    // db = column sums of dZ: (B,out) -> (out).
    grads[2 * l + 1] = biasGradCpu(dZ, B, layer.out);
    if (l === 0) break; // the input needs no gradient
    // dH_prev = dZ W: dZ is (B,out), W is (out,in), dH_prev is (B,in).
    const dH = matmulCpu(dZ, layer.weight, null, { M: B, N: layer.in, K: layer.out });
    // dZ_prev = dH_prev * act'(z_prev), the derivative written with the layer's output h_prev.
    dZ = activationBackwardCpu(dH, hPrev, spec.activations[l - 1]);
  }

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
function lossAndGradient(mlp: Mlp, out: Float32Array, labels: ArrayLike<number>, B: number, spec: MlpSpec) {
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
  spec: MlpSpec = notebookSpec(mlp),
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
