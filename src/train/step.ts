// Where a training step is encoded: the fixed list of GPU dispatches for one batch, from the
// input batch already in model.input/model.labels to updated parameters and the step's loss
// written into the history buffers. The CPU twin of this list is mlpTrainStepCpu.
import type { GpuContext } from '../gpu/context.ts';
import type { Dispatch } from '../gpu/dispatch.ts';
import { biasGradDispatch, type BiasGradVariant } from '../gpu/kernels/bias-grad.ts';
import { logSoftmaxNllDispatch } from '../gpu/kernels/log-softmax.ts';
import { chooseMatmulVariant, matmulDispatch, type MatmulVariant } from '../gpu/kernels/matmul.ts';
import { advanceDispatch, stepMetricsDispatch } from '../gpu/kernels/metrics.ts';
import { sgdDispatch, type SgdParams } from '../gpu/kernels/sgd.ts';
import { sigmoidBackwardDispatch } from '../gpu/kernels/sigmoid.ts';
import { squaredErrorDispatch } from '../gpu/kernels/squared-error.ts';
import { storedGradients, type GpuModel } from './gpu-model.ts';

/** 'nll': linear output, log-softmax + mean NLL (the MNIST MLP). 'squared': sigmoid output,
 * summed squared error against one-hot targets (the notebook's toy network). */
export type LossKind = 'nll' | 'squared';

export interface KernelChoice {
  matmul: MatmulVariant;
  biasGrad: BiasGradVariant;
  /** Training steps fuse the optimizer step into the weight- and bias-gradient kernels and each
   * hidden layer's sigmoid backward into the input-gradient matmul (fusedBackwardDispatches:
   * gradients never stored); false: gradientDispatches then updateDispatches, one kernel per
   * operation as the CPU reference is written: the way to tell a fusion bug from a kernel bug
   * when `npm run compare` disagrees (--no-fuse). */
  fuse: boolean;
}

/** The kernel variants for this adapter. One timed trial decides its family: shared-memory
 * reductions pay off exactly where the shared-memory matmul won (real GPUs), serial loops where
 * it lost (CPU adapters). */
export async function chooseKernels(ctx: GpuContext, force?: MatmulVariant, fuse = true): Promise<KernelChoice> {
  const { variant } = await chooseMatmulVariant(ctx, force);
  return { matmul: variant, biasGrad: variant === 'tiled' ? 'workgroup' : 'serial', fuse };
}

/** Where each step leaves its loss and correct count, indexed by the GPU-side step counter. */
export interface Metrics {
  counter: GPUBuffer;
  lossHistory: GPUBuffer;
  correctHistory: GPUBuffer;
}

/** What every dispatch list of a step is built from. */
export interface StepPlan {
  ctx: GpuContext;
  model: GpuModel;
  kernels: KernelChoice;
  /** Rows of this batch: the batch size, or fewer for a ragged last batch. */
  rows: number;
  loss: LossKind;
  metrics: Metrics;
}

/** Forward pass of the batch: hidden layers sigmoid(x W^T + b) fused in the matmul epilogue; the
 * last layer linear for 'nll', sigmoid for 'squared'. Then the loss kernel, which leaves the
 * output layer's dz in its gradZ, and the metrics. */
export function forwardDispatches(p: StepPlan): Dispatch[] {
  const { ctx, model, kernels, rows: B, loss, metrics } = p;
  const list: Dispatch[] = [];
  let x = model.input;
  model.layers.forEach((l, i) => {
    const last = i === model.layers.length - 1;
    // act is (B, out) = act(x (B, in) W^T (in, out) + b)
    list.push(matmulDispatch(ctx, kernels.matmul, { a: x, b: l.weight, c: l.act }, { M: B, N: l.out, K: l.in, transB: true },
      { kind: 'bias', bias: l.bias, activation: !last || loss === 'squared' ? 'sigmoid' : 'none' }));
    x = l.act;
  });
  const out = model.layers[model.layers.length - 1];
  const C = out.out;
  const perRow = { labels: model.labels, rowLoss: model.rowLoss, argmax: model.argmax };
  if (loss === 'nll') {
    // dz = (softmax - onehot) / B, the gradient of the batch's mean loss.
    list.push(logSoftmaxNllDispatch(ctx, { logits: out.act, grad: out.gradZ, ...perRow }, { B, C, gradScale: 1 / B }));
  } else if (kernels.fuse) {
    // dz = 2 (out - onehot) * out (1 - out), in one kernel.
    list.push(squaredErrorDispatch(ctx, { out: out.act, grad: out.gradZ, ...perRow }, { B, C, sigmoidBackward: true }));
  } else {
    // d out = 2 (out - onehot); dz = d out * out (1 - out).
    const g = storedGradients(model)[model.layers.length - 1];
    list.push(squaredErrorDispatch(ctx, { out: out.act, grad: g.act, ...perRow }, { B, C, sigmoidBackward: false }));
    list.push(sigmoidBackwardDispatch(ctx, { g: g.act, y: out.act, dx: out.gradZ }, B * C));
  }
  // The history holds the batch mean for 'nll' (what the notebook logs) and the batch sum for
  // 'squared' (the notebook's sum_error adds every row's error).
  list.push(stepMetricsDispatch(ctx, { rowLoss: model.rowLoss, argmax: model.argmax, labels: model.labels,
    counter: metrics.counter, lossHistory: metrics.lossHistory, correctHistory: metrics.correctHistory },
  { B, lossScale: loss === 'nll' ? 1 / B : 1 }));
  return list;
}

/** Backward pass of the batch, after forwardDispatches: every parameter's gradient (the mean
 * loss's, for 'nll') in the model's stored gradients, parameters untouched. */
export function gradientDispatches(p: StepPlan): Dispatch[] {
  const { ctx, model, kernels, rows: B } = p;
  const grads = storedGradients(model);
  const list: Dispatch[] = [];
  for (let i = model.layers.length - 1; i >= 0; i--) {
    const l = model.layers[i];
    const prevAct = i === 0 ? model.input : model.layers[i - 1].act;
    // dW (out, in) = dz^T (out, B) x (B, in)
    list.push(matmulDispatch(ctx, kernels.matmul, { a: l.gradZ, b: prevAct, c: grads[i].weight }, { M: l.out, N: l.in, K: B, transA: true }));
    // db (out) = column sums of dz (B, out)
    list.push(biasGradDispatch(ctx, kernels.biasGrad, { dY: l.gradZ, db: grads[i].bias }, { M: B, N: l.out }));
    if (i > 0) {
      const prev = model.layers[i - 1];
      // d act_prev (B, in) = dz (B, out) W (out, in); dz_prev = d act_prev * act_prev (1 - act_prev)
      list.push(matmulDispatch(ctx, kernels.matmul, { a: l.gradZ, b: l.weight, c: grads[i - 1].act }, { M: B, N: l.in, K: l.out }));
      list.push(sigmoidBackwardDispatch(ctx, { g: grads[i - 1].act, y: prev.act, dx: prev.gradZ }, B * l.in));
    }
  }
  return list;
}

/** SGD on every tensor from the stored gradients; runs after all of them are computed, as
 * loss.backward() then optimizer.step(). */
export function updateDispatches(p: StepPlan, sgd: SgdParams): Dispatch[] {
  const { ctx, model } = p;
  const grads = storedGradients(model);
  return model.layers.flatMap((l, i) => [
    sgdDispatch(ctx, sgd, { param: l.weight, grad: grads[i].weight, velocity: l.velWeight }, l.out * l.in),
    sgdDispatch(ctx, sgd, { param: l.bias, grad: grads[i].bias, velocity: l.velBias }, l.out),
  ]);
}

/** Backward pass and SGD update in one: per layer, last first, the input gradient fused with the
 * previous layer's sigmoid backward (it reads this layer's weight, so it runs before that
 * weight's update), then the weight and bias gradients fused with their SGD step. Every gradient
 * is still taken at the parameters as they were before the step, as loss.backward() then
 * optimizer.step(); no gradient is stored. */
export function fusedBackwardDispatches(p: StepPlan, sgd: SgdParams): Dispatch[] {
  const { ctx, model, kernels, rows: B } = p;
  const list: Dispatch[] = [];
  for (let i = model.layers.length - 1; i >= 0; i--) {
    const l = model.layers[i];
    const prevAct = i === 0 ? model.input : model.layers[i - 1].act;
    if (i > 0) {
      const prev = model.layers[i - 1];
      // dz_prev (B, in) = (dz (B, out) W (out, in)) * act_prev (1 - act_prev)
      list.push(matmulDispatch(ctx, kernels.matmul, { a: l.gradZ, b: l.weight, c: prev.gradZ }, { M: B, N: l.in, K: l.out },
        { kind: 'sigmoid-backward', y: prev.act }));
    }
    // W (out, in) -= lr * dz^T (out, B) x (B, in)
    list.push(matmulDispatch(ctx, kernels.matmul, { a: l.gradZ, b: prevAct, c: l.weight }, { M: l.out, N: l.in, K: B, transA: true },
      { kind: 'sgd', sgd, velocity: l.velWeight }));
    // b (out) -= lr * column sums of dz (B, out)
    list.push(biasGradDispatch(ctx, kernels.biasGrad, { dY: l.gradZ, db: l.bias }, { M: B, N: l.out },
      { kind: 'sgd', sgd, velocity: l.velBias }));
  }
  return list;
}

/** One whole training step; the counter advances last, so every kernel of the step saw the same
 * step number. */
export function trainStepDispatches(p: StepPlan, sgd: SgdParams): Dispatch[] {
  return [
    ...forwardDispatches(p),
    ...(p.kernels.fuse ? fusedBackwardDispatches(p, sgd) : [...gradientDispatches(p), ...updateDispatches(p, sgd)]),
    advanceDispatch(p.ctx, p.metrics.counter),
  ];
}

/** Evaluation of one batch: forward, loss and metrics only. */
export function evalStepDispatches(p: StepPlan): Dispatch[] {
  return [...forwardDispatches(p), advanceDispatch(p.ctx, p.metrics.counter)];
}
