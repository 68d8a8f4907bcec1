// The network's tensors on the GPU: parameters in PyTorch's layout, their velocities, and the
// activations of the largest batch. All allocated here, once per run.
import type { GpuContext } from '../gpu/context.ts';
import { readsInput, type HiddenActivation } from '../model/activations.ts';
import { mlpParamTensors, type Mlp } from '../reference/mlp.ts';

export interface GpuLayer {
  name: string;
  in: number;
  out: number;
  /** (out, in) */
  weight: GPUBuffer;
  /** (out) */
  bias: GPUBuffer;
  /** Momentum buffers; null without momentum. */
  velWeight: GPUBuffer | null;
  velBias: GPUBuffer | null;
  /** (maxBatch, out): pre-activation gradient dLoss/dz of this layer. */
  gradZ: GPUBuffer;
  /** (maxBatch, out): this layer's output (after the activation for hidden layers; the logits,
   * or the sigmoid's outputs for the squared loss, for the last). */
  act: GPUBuffer;
  /** (maxBatch, out): the pre-activation, kept only by a hidden layer whose activation's backward
   * reads its input (src/model/activations.ts); else null. */
  pre: GPUBuffer | null;
}

/** What the backward pass through layer l's activation reads: its pre-activation where kept,
 * else its output. */
export const keptForBackward = (l: GpuLayer): GPUBuffer => l.pre ?? l.act;

/** Gradients stored in memory, for steps that compute them apart from the update (the unfused
 * path, a gradient-only pass); the fused step never stores one. */
export interface LayerGradients {
  /** (out, in), (out) */
  weight: GPUBuffer;
  bias: GPUBuffer;
  /** (maxBatch, out): dLoss/d(act), for layers whose output feeds a separate sigmoid backward. */
  act: GPUBuffer;
}

export interface GpuModel {
  sizes: number[];
  maxBatch: number;
  /** (maxBatch, sizes[0]) the input batch as f32. */
  input: GPUBuffer;
  /** (maxBatch) labels as u32. */
  labels: GPUBuffer;
  layers: GpuLayer[];
  /** Each hidden layer's activation (one fewer than the layers). */
  activations: HiddenActivation[];
  /** Per layer; null when the model was created without stored gradients. */
  gradients: LayerGradients[] | null;
  /** (maxBatch) per-row loss and argmax, between the loss kernel and the metrics kernel. */
  rowLoss: GPUBuffer;
  argmax: GPUBuffer;
}

export interface GpuModelOptions {
  maxBatch: number;
  momentum: boolean;
  /** Allocate LayerGradients (see there). */
  storedGradients: boolean;
  /** Each hidden layer's activation; default the notebook's sigmoid everywhere. */
  activations?: readonly HiddenActivation[];
}

export function createGpuModel(ctx: GpuContext, mlp: Mlp, opts: GpuModelOptions): GpuModel {
  const { maxBatch, momentum } = opts;
  const activations = [...(opts.activations ?? mlp.layers.slice(1).map(() => 'sigmoid' as const))];
  if (activations.length !== mlp.layers.length - 1) {
    throw new RangeError(`createGpuModel: ${activations.length} activations for ${mlp.layers.length - 1} hidden layers`);
  }
  const f32 = (n: number) => n * 4;
  const layers = mlp.layers.map((l, i): GpuLayer => ({
    name: l.name,
    in: l.in,
    out: l.out,
    weight: ctx.storage(`${l.name}.weight`, l.weight),
    bias: ctx.storage(`${l.name}.bias`, l.bias),
    velWeight: momentum ? ctx.storage(`${l.name}.weight velocity`, f32(l.out * l.in)) : null,
    velBias: momentum ? ctx.storage(`${l.name}.bias velocity`, f32(l.out)) : null,
    gradZ: ctx.storage(`${l.name} dz`, f32(maxBatch * l.out)),
    act: ctx.storage(`${l.name} output`, f32(maxBatch * l.out)),
    pre: i < activations.length && readsInput(activations[i]) ? ctx.storage(`${l.name} pre-activation`, f32(maxBatch * l.out)) : null,
  }));
  const gradients = opts.storedGradients
    ? mlp.layers.map((l): LayerGradients => ({
      weight: ctx.storage(`${l.name}.weight grad`, f32(l.out * l.in)),
      bias: ctx.storage(`${l.name}.bias grad`, f32(l.out)),
      act: ctx.storage(`${l.name} d output`, f32(maxBatch * l.out)),
    }))
    : null;
  return {
    sizes: [...mlp.sizes],
    maxBatch,
    input: ctx.storage('input batch', f32(maxBatch * mlp.sizes[0])),
    labels: ctx.storage('label batch', f32(maxBatch)),
    layers,
    activations,
    gradients,
    rowLoss: ctx.storage('row loss', f32(maxBatch)),
    argmax: ctx.storage('argmax', f32(maxBatch)),
  };
}

/** The model's stored gradients, for the steps that need them. */
export function storedGradients(model: GpuModel): LayerGradients[] {
  if (!model.gradients) throw new Error('this pass stores gradients: create the model with storedGradients');
  return model.gradients;
}

/** Parameter buffers in state_dict order (fc1.weight, fc1.bias, ...), matching mlpParamTensors. */
export function paramBuffers(model: GpuModel): GPUBuffer[] {
  return model.layers.flatMap((l) => [l.weight, l.bias]);
}

/** Reads the GPU parameters into `into` (a CPU Mlp of the same sizes). */
export async function downloadParams(ctx: GpuContext, model: GpuModel, into: Mlp): Promise<Mlp> {
  const tensors = mlpParamTensors(into);
  const buffers = paramBuffers(model);
  for (let i = 0; i < tensors.length; i++) {
    tensors[i].data.set(await ctx.readF32(buffers[i], tensors[i].data.length));
  }
  return into;
}

export function uploadParams(ctx: GpuContext, model: GpuModel, from: Mlp): void {
  const tensors = mlpParamTensors(from);
  paramBuffers(model).forEach((buf, i) => ctx.write(buf, tensors[i].data));
}

/** Momentum buffers in state_dict order; null without momentum. */
function velocityBuffers(model: GpuModel): GPUBuffer[] | null {
  const buffers = model.layers.flatMap((l) => [l.velWeight, l.velBias]);
  return buffers.every((b) => b !== null) ? buffers : null;
}

export async function downloadVelocities(ctx: GpuContext, model: GpuModel): Promise<Float32Array[] | null> {
  const buffers = velocityBuffers(model);
  if (!buffers) return null;
  const out: Float32Array[] = [];
  for (const b of buffers) out.push(await ctx.readF32(b, b.size / 4));
  return out;
}

/** Writes a checkpoint's velocities (state_dict order) over the zero-filled momentum buffers. */
export function uploadVelocities(ctx: GpuContext, model: GpuModel, velocities: Float32Array[]): void {
  const buffers = velocityBuffers(model);
  if (!buffers) throw new Error('momentum velocities given for a model without momentum buffers');
  buffers.forEach((buf, i) => ctx.write(buf, velocities[i]));
}
