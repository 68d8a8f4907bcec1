// Where a training step is encoded: the fixed list of GPU dispatches for one batch, from the
// input batch already in model.input/model.labels to updated parameters and the step's loss in
// the run record. The CPU twin of this list is mlpTrainStepCpu.
//
// The fused step of an L-layer network is L - 1 forward matmuls (bias and sigmoid in their
// epilogue), one output-layer kernel (the last layer's forward pass, loss, metrics, the delta of
// the layer below and its own update, when its logits fit one workgroup), then per layer below,
// from the top: the input gradient fused with the activation's backward (it reads the weight before
// that weight's update), and the weight gradient fused with the optimizer step of the weight and
// of its bias. 784-512-256-10 at batch 32: 7 dispatches with the data's gather. The unfused path
// (--no-fuse) is one kernel per operation, as the CPU reference is written.
import type { GpuContext } from '../gpu/context.ts';
import type { Dispatch } from '../gpu/dispatch.ts';
import type { KernelChooser } from '../gpu/kernel-choice.ts';
import { biasGradDispatch } from '../gpu/kernels/bias-grad.ts';
import { logSoftmaxNllDispatch } from '../gpu/kernels/log-softmax.ts';
import { matmulDispatch, type MatmulBuffers, type MatmulDims, type MatmulEpilogue } from '../gpu/kernels/matmul.ts';
import { createRunRecord, stepMetricsDispatch, type RunRecord } from '../gpu/kernels/metrics.ts';
import { outputLayerDispatch, outputLayerFits } from '../gpu/kernels/output-layer.ts';
import { OptimizerParams, updateDispatch } from '../gpu/kernels/optimizer.ts';
import { activationBackwardDispatch } from '../gpu/kernels/activation.ts';
import { squaredErrorDispatch } from '../gpu/kernels/squared-error.ts';
import type { LossKind } from '../reference/kernels.ts';
import { plainSgd } from '../model/optimizers.ts';
import { initMlp } from '../reference/mlp.ts';
import { createGpuModel, storedGradients, type GpuModel } from './gpu-model.ts';

export type { LossKind };

/** What every dispatch list of a step is built from. */
export interface StepPlan {
  ctx: GpuContext;
  model: GpuModel;
  kernels: KernelChooser;
  /** Rows of this batch: the batch size, or fewer for a ragged last batch. */
  rows: number;
  loss: LossKind;
  record: RunRecord;
  /** Write the output layer's outputs and deltas to memory (its act and gradZ) for inspection
   * (the toy network prints them): no one-workgroup output kernel, which keeps them on chip. */
  keepOutputs?: boolean;
}

/** A matmul of the step in the variant chosen for its problem. */
async function matmul(p: StepPlan, bufs: MatmulBuffers, dims: MatmulDims, epilogue: MatmulEpilogue): Promise<Dispatch> {
  return matmulDispatch(p.ctx, await p.kernels.matmul(dims, epilogue), bufs, dims, epilogue);
}

/** Layer i's output act(x W^T + b): x is (B, in), W (out, in), the output (B, out). The last
 * layer's act is linear for 'nll' (the logits) and the sigmoid for 'squared'. */
function forwardLayer(p: StepPlan, i: number): Promise<Dispatch> {
  const { model, rows: B, loss } = p;
  const l = model.layers[i];
  const last = i === model.layers.length - 1;
  return matmul(p, { a: i === 0 ? model.input : model.layers[i - 1].act, b: l.weight, c: l.act }, { M: B, N: l.out, K: l.in, transB: true },
    { kind: 'bias', bias: l.bias, activation: last ? (loss === 'squared' ? 'sigmoid' : 'none') : model.activations[i] });
}

async function hiddenForward(p: StepPlan): Promise<Dispatch[]> {
  const list: Dispatch[] = [];
  for (let i = 0; i + 1 < p.model.layers.length; i++) list.push(await forwardLayer(p, i));
  return list;
}

/** Whether this step's output layer runs as the one-workgroup kernel. */
const fusedOutput = (p: StepPlan): boolean =>
  p.kernels.fuse && !p.keepOutputs && outputLayerFits(p.rows, p.model.layers[p.model.layers.length - 1].out);

/** The output layer as one kernel: forward, loss, metrics; with `optimizer` also the delta of the
 * layer below and the layer's own update. */
function outputLayer(p: StepPlan, optimizer: OptimizerParams | null, predict?: { batchStride: number }): Dispatch {
  const { ctx, model, rows: B, loss, record } = p;
  const L = model.layers.length;
  const out = model.layers[L - 1];
  const below = L > 1 ? model.layers[L - 2] : null;
  return outputLayerDispatch(ctx, { h: below ? below.act : model.input, weight: out.weight, bias: out.bias, labels: model.labels, record },
    { B, H: out.in, C: out.out, loss, predict, train: optimizer && { optimizer, stateWeight: out.stateWeight, stateBias: out.stateBias,
      below: below && { dz: below.gradZ, activation: model.activations[L - 2] } } });
}

/** Forward pass one kernel per operation: every layer's matmul, the loss kernel (which leaves the
 * output layer's dz in its gradZ) and the metrics. */
export async function forwardDispatches(p: StepPlan, predict?: { batchStride: number }): Promise<Dispatch[]> {
  const { ctx, model, kernels, rows: B, loss, record } = p;
  const list = await hiddenForward(p);
  const L = model.layers.length;
  list.push(await forwardLayer(p, L - 1));
  const out = model.layers[L - 1];
  const C = out.out;
  const perRow = { labels: model.labels, rowLoss: model.rowLoss, argmax: model.argmax };
  if (loss === 'nll') {
    // dz = (softmax - onehot) / B, the gradient of the batch's mean loss.
    list.push(logSoftmaxNllDispatch(ctx, { logits: out.act, grad: out.gradZ, ...perRow }, { B, C, gradScale: 1 / B }));
  } else if (kernels.fuse) {
    // dz = 2 (out - onehot) * out (1 - out), in one kernel.
    list.push(squaredErrorDispatch(ctx, { out: out.act, grad: out.gradZ, ...perRow }, { B, C, sigmoidBackward: true }));
  } else {
    // d out = 2 (out - onehot) / B; dz = d out * out (1 - out).
    const g = storedGradients(model)[L - 1];
    list.push(squaredErrorDispatch(ctx, { out: out.act, grad: g.act, ...perRow }, { B, C, sigmoidBackward: false }));
    list.push(activationBackwardDispatch(ctx, 'sigmoid', { g: g.act, y: out.act, dx: out.gradZ }, B * C));
  }
  // The step's loss, the batch mean (what the notebook logs). The counter advances here.
  list.push(stepMetricsDispatch(ctx, perRow, record, { B, lossScale: 1 / B, predict }));
  return list;
}

/** Backward pass of the batch after forwardDispatches, one kernel per operation: every
 * parameter's gradient (the mean loss's, for 'nll') into the model's stored gradients,
 * parameters untouched. */
export async function gradientDispatches(p: StepPlan): Promise<Dispatch[]> {
  const { ctx, model, kernels, rows: B } = p;
  const grads = storedGradients(model);
  const list: Dispatch[] = [];
  for (let i = model.layers.length - 1; i >= 0; i--) {
    const l = model.layers[i];
    const prevAct = i === 0 ? model.input : model.layers[i - 1].act;
    // dW (out, in) = dz^T (out, B) x (B, in)
    list.push(await matmul(p, { a: l.gradZ, b: prevAct, c: grads[i].weight }, { M: l.out, N: l.in, K: B, transA: true }, { kind: 'store' }));
    // db (out) = column sums of dz (B, out)
    list.push(biasGradDispatch(ctx, await kernels.biasGrad(B, l.out), { dY: l.gradZ, db: grads[i].bias }, { M: B, N: l.out }));
    if (i > 0) {
      const prev = model.layers[i - 1];
      // d act_prev (B, in) = dz (B, out) W (out, in); dz_prev = d act_prev * act'(z_prev)
      list.push(await matmul(p, { a: l.gradZ, b: l.weight, c: grads[i - 1].act }, { M: B, N: l.in, K: l.out }, { kind: 'store' }));
      list.push(activationBackwardDispatch(ctx, model.activations[i - 1], { g: grads[i - 1].act, y: prev.act, dx: prev.gradZ }, B * l.in));
    }
  }
  return list;
}

/** The optimizer's step on every tensor from the stored gradients; runs after all of them are
 * computed, as loss.backward() then optimizer.step(). */
function updateDispatches(p: StepPlan, optimizer: OptimizerParams): Dispatch[] {
  const { ctx, model, record } = p;
  const grads = storedGradients(model);
  return model.layers.flatMap((l, i) => [
    updateDispatch(ctx, optimizer, { param: l.weight, grad: grads[i].weight, state: l.stateWeight, record: record.buffer }, l.out * l.in),
    updateDispatch(ctx, optimizer, { param: l.bias, grad: grads[i].bias, state: l.stateBias, record: record.buffer }, l.out),
  ]);
}

/** Backward pass and update from layer `top` (whose dz is ready) down: per layer, the input
 * gradient fused with the layer below's activation backward, then the weight gradient fused with
 * the weight's and the bias's optimizer steps. Every gradient is still taken at the parameters as they
 * were before the step, as loss.backward() then optimizer.step(); no gradient is stored. */
async function fusedBackward(p: StepPlan, optimizer: OptimizerParams, top: number): Promise<Dispatch[]> {
  const { model, rows: B } = p;
  const list: Dispatch[] = [];
  for (let i = top; i >= 0; i--) {
    const l = model.layers[i];
    if (i > 0) {
      const prev = model.layers[i - 1];
      // dz_prev (B, in) = (dz (B, out) W (out, in)) * act'(z_prev)
      list.push(await matmul(p, { a: l.gradZ, b: l.weight, c: prev.gradZ }, { M: B, N: l.in, K: l.out },
        { kind: 'activation-backward', y: prev.act, activation: model.activations[i - 1] }));
    }
    // W (out, in) -= lr * dz^T (out, B) x (B, in); b (out) -= lr * column sums of dz
    list.push(await matmul(p, { a: l.gradZ, b: i === 0 ? model.input : model.layers[i - 1].act, c: l.weight }, { M: l.out, N: l.in, K: B, transA: true },
      { kind: 'update', optimizer, state: l.stateWeight, record: p.record.buffer, bias: { param: l.bias, state: l.stateBias } }));
  }
  return list;
}

/** One whole training step. */
export async function trainStepDispatches(p: StepPlan, optimizer: OptimizerParams): Promise<Dispatch[]> {
  const L = p.model.layers.length;
  if (fusedOutput(p)) return [...(await hiddenForward(p)), outputLayer(p, optimizer), ...(await fusedBackward(p, optimizer, L - 2))];
  if (p.kernels.fuse) return [...(await forwardDispatches(p)), ...(await fusedBackward(p, optimizer, L - 1))];
  return [...(await forwardDispatches(p)), ...(await gradientDispatches(p)), ...updateDispatches(p, optimizer)];
}

/** Evaluation of one batch: forward, loss, metrics, and each row's prediction recorded as sample
 * step * batchStride + r. */
export async function evalStepDispatches(p: StepPlan, batchStride: number): Promise<Dispatch[]> {
  const predict = { batchStride };
  if (fusedOutput(p)) return [...(await hiddenForward(p)), outputLayer(p, null, predict)];
  return forwardDispatches(p, predict);
}

/** Runs the kernel choice of a network's training and evaluation steps at `batchSize` (and
 * their ragged tails) on a throwaway model, so that the first real step finds every variant
 * chosen: the dashboard does it while the page loads. */
export async function chooseStepKernels(ctx: GpuContext, kernels: KernelChooser, sizes: number[], batchSize: number, tails: number[]): Promise<void> {
  const release = ctx.trackNewBuffers();
  try {
    const model = createGpuModel(ctx, initMlp(sizes, 0), { maxBatch: batchSize, stateFloats: 0, storedGradients: !kernels.fuse });
    const sgd = OptimizerParams.create(ctx, plainSgd(0));
    const record = createRunRecord(ctx, 'kernel choice', 1, batchSize);
    for (const rows of new Set([batchSize, ...tails.filter((t) => t > 0)])) {
      const plan: StepPlan = { ctx, model, kernels, rows, loss: 'nll', record };
      await trainStepDispatches(plan, sgd);
      await evalStepDispatches(plan, batchSize);
    }
  } finally {
    release();
  }
}
