// Where a training step is encoded: the list of GPU dispatches for one batch, from the input
// batch already in model.input/model.labels to updated parameters and the step's loss in the run
// record, built by walking the model's layers and asking each layer type for its dispatches
// (src/model/layers/). The CPU twin of this walk is src/model/network.ts.
//
// Fusion is a property of adjacent layers: a layer's input gradient applies the activation
// backward of the layer below in its epilogue, a weight gradient takes its optimizer step (and its
// bias's) in its epilogue, and the last layer runs as its type's one-kernel output layer (forward
// pass, loss, metrics, the delta of the layer below and its own update) when it has one and the
// batch fits. 784-512-256-10 at batch 32: 7 dispatches with the data's gather (the gather, two
// forwards with bias and sigmoid epilogues, the output-layer kernel, then per hidden layer from
// the top its input gradient and its fused update). The unfused path (--no-fuse) is one kernel
// per operation, as the CPU reference is written.
import type { GpuContext } from '../gpu/context.ts';
import type { Dispatch } from '../gpu/dispatch.ts';
import type { KernelChooser } from '../gpu/kernel-choice.ts';
import { logSoftmaxNllDispatch } from '../gpu/kernels/log-softmax.ts';
import { createRunRecord, stepMetricsDispatch } from '../gpu/kernels/metrics.ts';
import { OptimizerParams, updateDispatch } from '../gpu/kernels/optimizer.ts';
import { plainSgd } from '../model/optimizers.ts';
import { activationBackwardDispatch } from '../gpu/kernels/activation.ts';
import { squaredErrorDispatch } from '../gpu/kernels/squared-error.ts';
import { initNetwork } from '../reference/mlp.ts';
import { layerModule } from '../model/layers/index.ts';
import { keptForBackward, type GpuLayer, type InputGradientTarget, type LayerGpuPlan } from '../model/layers/layer.ts';
import { elementCount, type NetworkSpec, type ResolvedLayer } from '../model/spec.ts';
import { createGpuModel, storedGradients, type GpuModel } from './gpu-model.ts';

/** What every dispatch list of a step is built from. */
export interface StepPlan extends LayerGpuPlan {
  model: GpuModel;
  /** Write the output layer's outputs and deltas to memory (its act and gradZ) for inspection
   * (the toy network prints them): no one-kernel output layer, which keeps them on chip. */
  keepOutputs?: boolean;
}

const moduleOf = (g: GpuLayer) => layerModule(g.layer.spec.type);

/** Layer i's input: the batch, or the output of the layer below. */
const inputOf = (model: GpuModel, i: number): GPUBuffer => (i === 0 ? model.input : model.layers[i - 1].act);

/** The forward passes of the first `count` layers. */
async function forwardLayers(p: StepPlan, count: number): Promise<Dispatch[]> {
  const list: Dispatch[] = [];
  for (let i = 0; i < count; i++) list.push(...(await moduleOf(p.model.layers[i]).forwardGpu(p, p.model.layers[i], inputOf(p.model, i))));
  return list;
}

/** The last layer as its type's one kernel (forward, loss, metrics; with `optimizer` also the
 * delta of the layer below and the layer's own update), or null where the step runs it apart. */
function outputKernel(p: StepPlan, optimizer: OptimizerParams | null, predict?: { batchStride: number }): Dispatch | null {
  if (!p.kernels.fuse || p.keepOutputs) return null;
  const { model, record } = p;
  const L = model.layers.length;
  const out = model.layers[L - 1];
  const below = L > 1 ? model.layers[L - 2] : null;
  return moduleOf(out).outputKernel?.(p, out, { x: inputOf(model, L - 1), labels: model.labels, record, loss: model.loss, predict,
    train: optimizer && { optimizer, below: below && { dz: below.gradZ, activation: below.layer.activation, pre: below.pre } } }) ?? null;
}

/** Forward pass one kernel per operation: every layer's forward, the loss kernel (which leaves
 * the output layer's dz in its gradZ) and the metrics. */
export async function forwardDispatches(p: StepPlan, predict?: { batchStride: number }): Promise<Dispatch[]> {
  const { ctx, model, kernels, rows: B, record } = p;
  const L = model.layers.length;
  const list = await forwardLayers(p, L);
  const out = model.layers[L - 1];
  const C = elementCount(out.layer.outShape);
  const perRow = { labels: model.labels, rowLoss: model.rowLoss, argmax: model.argmax };
  if (model.loss === 'nll') {
    // dz = (softmax - onehot) / B, the gradient of the batch's mean loss.
    list.push(logSoftmaxNllDispatch(ctx, { logits: out.act, grad: out.gradZ, ...perRow }, { B, C, gradScale: 1 / B }));
  } else if (kernels.fuse) {
    // dz = 2 (out - onehot) * out (1 - out), in one kernel.
    list.push(squaredErrorDispatch(ctx, { out: out.act, grad: out.gradZ, ...perRow }, { B, C, sigmoidBackward: true }));
  } else {
    // d out = 2 (out - onehot) / B; dz = d out * out (1 - out).
    const g = storedGradients(model)[L - 1];
    list.push(squaredErrorDispatch(ctx, { out: out.act, grad: g.act, ...perRow }, { B, C, sigmoidBackward: false }));
    list.push(activationBackwardDispatch(ctx, 'sigmoid', { g: g.act, kept: out.act, dx: out.gradZ }, B * C));
  }
  // The step's loss, the batch mean (what the notebook logs). The counter advances here.
  list.push(stepMetricsDispatch(ctx, perRow, record, { B, lossScale: 1 / B, predict }));
  return list;
}

/** Backward pass of the batch after forwardDispatches, one kernel per operation: every
 * parameter's gradient (the mean loss's, for 'nll') into the model's stored gradients,
 * parameters untouched. */
export async function gradientDispatches(p: StepPlan): Promise<Dispatch[]> {
  const { ctx, model, rows: B } = p;
  const grads = storedGradients(model);
  const list: Dispatch[] = [];
  for (let i = model.layers.length - 1; i >= 0; i--) {
    const l = model.layers[i];
    const m = moduleOf(l);
    list.push(...(await m.gradientGpu(p, l, inputOf(model, i), grads[i].params)));
    if (i > 0) {
      const below = model.layers[i - 1];
      // d act_below, then dz_below = d act_below * act'(z_below).
      list.push(...(await m.inputGradientGpu(p, l, inputOf(model, i), { kind: 'store', dx: grads[i - 1].act })));
      list.push(activationBackwardDispatch(ctx, below.layer.activation, { g: grads[i - 1].act, kept: keptForBackward(below), dx: below.gradZ },
        B * elementCount(below.layer.outShape)));
    }
  }
  return list;
}

/** The optimizer's step on every tensor from the stored gradients; runs after all of them are
 * computed, as loss.backward() then optimizer.step(). */
function updateDispatches(p: StepPlan, optimizer: OptimizerParams): Dispatch[] {
  const { ctx, model, record } = p;
  const grads = storedGradients(model);
  return model.layers.flatMap((l, i) => l.params.map((param, j) =>
    updateDispatch(ctx, optimizer, { param, grad: grads[i].params[j], state: l.state?.[j] ?? null, record: record.buffer },
      elementCount(l.layer.params[j].shape))));
}

/** Where a layer's input gradient goes on the fused path: through the activation backward of
 * the layer below, in the same kernel, into that layer's dz (directly when it has none). */
function fusedInputTarget(below: GpuLayer): InputGradientTarget {
  const { activation } = below.layer;
  return activation === 'none' ? { kind: 'store', dx: below.gradZ } : { kind: 'activation-backward', dz: below.gradZ, kept: keptForBackward(below), activation };
}

/** Backward pass and update from layer `top` (whose dz is ready) down: per layer, the input
 * gradient fused with the layer below's activation backward, then the parameters' gradients
 * fused with their optimizer steps. Every gradient is still taken at the parameters as they were
 * before the step, as loss.backward() then optimizer.step(); no gradient is stored. */
async function fusedBackward(p: StepPlan, optimizer: OptimizerParams, top: number): Promise<Dispatch[]> {
  const { model } = p;
  const list: Dispatch[] = [];
  for (let i = top; i >= 0; i--) {
    const l = model.layers[i];
    const m = moduleOf(l);
    if (i > 0) list.push(...(await m.inputGradientGpu(p, l, inputOf(model, i), fusedInputTarget(model.layers[i - 1]))));
    list.push(...(await m.fusedUpdateGpu(p, l, inputOf(model, i), optimizer)));
  }
  return list;
}

/** One whole training step. */
export async function trainStepDispatches(p: StepPlan, optimizer: OptimizerParams): Promise<Dispatch[]> {
  const L = p.model.layers.length;
  const out = outputKernel(p, optimizer);
  if (out) return [...(await forwardLayers(p, L - 1)), out, ...(await fusedBackward(p, optimizer, L - 2))];
  if (p.kernels.fuse) return [...(await forwardDispatches(p)), ...(await fusedBackward(p, optimizer, L - 1))];
  return [...(await forwardDispatches(p)), ...(await gradientDispatches(p)), ...updateDispatches(p, optimizer)];
}

/** Evaluation of one batch: forward, loss, metrics, and each row's prediction recorded as sample
 * step * batchStride + r. */
export async function evalStepDispatches(p: StepPlan, batchStride: number): Promise<Dispatch[]> {
  const predict = { batchStride };
  const out = outputKernel(p, null, predict);
  if (out) return [...(await forwardLayers(p, p.model.layers.length - 1)), out];
  return forwardDispatches(p, predict);
}

/** Runs the kernel choice of a network's training and evaluation steps at `batchSize` (and
 * their ragged tails) on a throwaway model, so that the first real step finds every variant
 * chosen: the dashboard does it while the page loads. */
export async function chooseStepKernels(ctx: GpuContext, kernels: KernelChooser, spec: NetworkSpec, layers: readonly ResolvedLayer[], batchSize: number,
  tails: number[]): Promise<void> {
  const release = ctx.trackNewBuffers();
  try {
    const model = createGpuModel(ctx, initNetwork(layers, 0), { maxBatch: batchSize, stateFloats: 0, storedGradients: !kernels.fuse, spec });
    const sgd = OptimizerParams.create(ctx, plainSgd(0));
    const record = createRunRecord(ctx, 'kernel choice', 1, batchSize);
    for (const rows of new Set([batchSize, ...tails.filter((t) => t > 0)])) {
      const plan: StepPlan = { ctx, model, kernels, rows, record };
      await trainStepDispatches(plan, sgd);
      await evalStepDispatches(plan, batchSize);
    }
  } finally {
    release();
  }
}
