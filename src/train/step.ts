// Where a training step is encoded: the fixed list of GPU dispatches for one batch, from the
// input batch already in model.input/model.labels to updated parameters and the step's loss
// written into the history buffers. The CPU twin of this list is mlpTrainStepCpu.
import type { GpuContext } from '../gpu/context.ts';
import type { Dispatch } from '../gpu/dispatch.ts';
import { biasGradDispatch, type BiasGradVariant } from '../gpu/kernels/bias-grad.ts';
import { logSoftmaxNllDispatch } from '../gpu/kernels/log-softmax.ts';
import { chooseMatmulVariant, matmulDispatch, type MatmulVariant } from '../gpu/kernels/matmul.ts';
import { advanceDispatch, stepMetricsDispatch } from '../gpu/kernels/metrics.ts';
import { sgdDispatch } from '../gpu/kernels/sgd.ts';
import { sigmoidBackwardDispatch } from '../gpu/kernels/sigmoid.ts';
import { squaredErrorDispatch } from '../gpu/kernels/squared-error.ts';
import type { GpuModel } from './gpu-model.ts';

/** 'nll': linear output, log-softmax + mean NLL (the MNIST MLP). 'squared': sigmoid output,
 * summed squared error against one-hot targets (the notebook's toy network). */
export type LossKind = 'nll' | 'squared';

export interface KernelChoice {
  matmul: MatmulVariant;
  biasGrad: BiasGradVariant;
  /** Training steps fuse the optimizer step into the weight- and bias-gradient kernels and each
   * hidden layer's sigmoid backward into the input-gradient matmul (fusedBackwardDispatches: 6
   * fewer dispatches, gradients never stored); false: gradientDispatches then
   * updateDispatches, one kernel per operation as the CPU reference is written: the way to tell
   * a fusion bug from a kernel bug when `npm run compare` disagrees (--no-fuse). */
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

/** Forward pass of B rows: hidden layers sigmoid(x W^T + b) fused in the matmul epilogue; the
 * last layer linear for 'nll', sigmoid for 'squared'. Then the loss kernel and the metrics. */
export function forwardDispatches(
  ctx: GpuContext,
  model: GpuModel,
  kernels: KernelChoice,
  B: number,
  loss: LossKind,
  metrics: Metrics,
): Dispatch[] {
  const list: Dispatch[] = [];
  let x = model.input;
  model.layers.forEach((l, i) => {
    const last = i === model.layers.length - 1;
    const activation = !last || loss === 'squared' ? 'sigmoid' : 'none';
    // act is (B, out) = act(x (B, in) W^T (in, out) + b)
    list.push(matmulDispatch(ctx, kernels.matmul, { a: x, b: l.weight, bias: l.bias, c: l.act },
      { M: B, N: l.out, K: l.in, transB: true, activation }));
    x = l.act;
  });
  const out = model.layers[model.layers.length - 1];
  const C = out.out;
  if (loss === 'nll') {
    // dz = (softmax - onehot) / B, the gradient of the batch's mean loss.
    list.push(logSoftmaxNllDispatch(ctx, { logits: out.act, labels: model.labels, grad: out.gradZ,
      rowLoss: model.rowLoss, argmax: model.argmax, probs: model.probs }, { B, C, gradScale: 1 / B }));
  } else {
    // d out = 2 (out - onehot); dz = d out * out (1 - out).
    list.push(squaredErrorDispatch(ctx, { out: out.act, labels: model.labels, grad: out.gradAct,
      rowLoss: model.rowLoss, argmax: model.argmax }, { B, C }));
    list.push(sigmoidBackwardDispatch(ctx, { g: out.gradAct, y: out.act, dx: out.gradZ }, B * C));
  }
  // The history holds the batch mean for 'nll' (what the notebook logs) and the batch sum for
  // 'squared' (the notebook's sum_error adds every row's error).
  list.push(stepMetricsDispatch(ctx, { rowLoss: model.rowLoss, argmax: model.argmax, labels: model.labels,
    counter: metrics.counter, lossHistory: metrics.lossHistory, correctHistory: metrics.correctHistory },
  { B, lossScale: loss === 'nll' ? 1 / B : 1 }));
  return list;
}

/** Backward pass for B rows, after forwardDispatches: every parameter's gradient (the mean
 * loss's, for 'nll') in the layers' grad buffers, parameters untouched. */
export function gradientDispatches(
  ctx: GpuContext,
  model: GpuModel,
  kernels: KernelChoice,
  B: number,
): Dispatch[] {
  const list: Dispatch[] = [];
  for (let i = model.layers.length - 1; i >= 0; i--) {
    const l = model.layers[i];
    const prevAct = i === 0 ? model.input : model.layers[i - 1].act;
    // dW (out, in) = dz^T (out, B) x (B, in)
    list.push(matmulDispatch(ctx, kernels.matmul, { a: l.gradZ, b: prevAct, c: l.gradWeight },
      { M: l.out, N: l.in, K: B, transA: true }));
    // db (out) = column sums of dz (B, out)
    list.push(biasGradDispatch(ctx, kernels.biasGrad, { dY: l.gradZ, db: l.gradBias }, { M: B, N: l.out }));
    if (i > 0) {
      const prev = model.layers[i - 1];
      // d act_prev (B, in) = dz (B, out) W (out, in); dz_prev = d act_prev * act_prev (1 - act_prev)
      list.push(matmulDispatch(ctx, kernels.matmul, { a: l.gradZ, b: l.weight, c: prev.gradAct },
        { M: B, N: l.in, K: l.out }));
      list.push(sigmoidBackwardDispatch(ctx, { g: prev.gradAct, y: prev.act, dx: prev.gradZ }, B * l.in));
    }
  }
  return list;
}

/** SGD on every tensor from the gradients in place; runs after all of them are computed, as
 * loss.backward() then optimizer.step(). */
export function updateDispatches(ctx: GpuContext, model: GpuModel, hyper: GPUBuffer): Dispatch[] {
  return model.layers.flatMap((l) => [
    sgdDispatch(ctx, { param: l.weight, grad: l.gradWeight, velocity: l.velWeight, hyper }, l.out * l.in),
    sgdDispatch(ctx, { param: l.bias, grad: l.gradBias, velocity: l.velBias, hyper }, l.out),
  ]);
}

/** Backward pass and SGD update in one: per layer, last first, the input gradient fused with the
 * previous layer's sigmoid backward (it reads this layer's weight, so it runs before that
 * weight's update), then the weight and bias gradients fused with their SGD step. Every gradient
 * is still taken at the parameters as they were before the step, as loss.backward() then
 * optimizer.step(); the layers' grad buffers are left untouched. */
export function fusedBackwardDispatches(
  ctx: GpuContext,
  model: GpuModel,
  kernels: KernelChoice,
  B: number,
  hyper: GPUBuffer,
): Dispatch[] {
  const list: Dispatch[] = [];
  for (let i = model.layers.length - 1; i >= 0; i--) {
    const l = model.layers[i];
    const prevAct = i === 0 ? model.input : model.layers[i - 1].act;
    if (i > 0) {
      const prev = model.layers[i - 1];
      // dz_prev (B, in) = (dz (B, out) W (out, in)) * act_prev (1 - act_prev)
      list.push(matmulDispatch(ctx, kernels.matmul, { a: l.gradZ, b: l.weight, y: prev.act, c: prev.gradZ },
        { M: B, N: l.in, K: l.out }));
    }
    // W (out, in) -= lr * dz^T (out, B) x (B, in)
    list.push(matmulDispatch(ctx, kernels.matmul, { a: l.gradZ, b: prevAct, c: l.weight, hyper, velocity: l.velWeight },
      { M: l.out, N: l.in, K: B, transA: true }));
    // b (out) -= lr * column sums of dz (B, out)
    list.push(biasGradDispatch(ctx, kernels.biasGrad, { dY: l.gradZ, db: l.bias, hyper, velocity: l.velBias }, { M: B, N: l.out }));
  }
  return list;
}

/** One whole training step; the counter advances last, so every kernel of the step saw the same
 * step number. */
export function trainStepDispatches(
  ctx: GpuContext,
  model: GpuModel,
  kernels: KernelChoice,
  B: number,
  loss: LossKind,
  metrics: Metrics,
  hyper: GPUBuffer,
): Dispatch[] {
  return [
    ...forwardDispatches(ctx, model, kernels, B, loss, metrics),
    ...(kernels.fuse
      ? fusedBackwardDispatches(ctx, model, kernels, B, hyper)
      : [...gradientDispatches(ctx, model, kernels, B), ...updateDispatches(ctx, model, hyper)]),
    advanceDispatch(ctx, metrics.counter),
  ];
}

/** Evaluation of one batch: forward, loss and metrics only. */
export function evalStepDispatches(
  ctx: GpuContext,
  model: GpuModel,
  kernels: KernelChoice,
  B: number,
  loss: LossKind,
  metrics: Metrics,
): Dispatch[] {
  return [...forwardDispatches(ctx, model, kernels, B, loss, metrics), advanceDispatch(ctx, metrics.counter)];
}
