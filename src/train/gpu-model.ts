// The network's tensors on the GPU: parameters in PyTorch's layout, their optimizer state, and the
// activations of the largest batch. All allocated here, once per run.
import type { GpuContext } from '../gpu/context.ts';
import type { HiddenActivation } from '../reference/kernels.ts';
import { mlpParamTensors, type Mlp } from '../reference/mlp.ts';

export interface GpuLayer {
  name: string;
  in: number;
  out: number;
  /** (out, in) */
  weight: GPUBuffer;
  /** (out) */
  bias: GPUBuffer;
  /** The optimizer's state, its state floats per element interleaved; null when it keeps none. */
  stateWeight: GPUBuffer | null;
  stateBias: GPUBuffer | null;
  /** (maxBatch, out): pre-activation gradient dLoss/dz of this layer. */
  gradZ: GPUBuffer;
  /** (maxBatch, out): this layer's output (after the activation for hidden layers; the logits,
   * or the sigmoid's outputs for the squared loss, for the last). */
  act: GPUBuffer;
}

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
  /** The optimizer's state floats per parameter element (stateFloats); 0 allocates none. */
  stateFloats: number;
  /** Allocate LayerGradients (see there). */
  storedGradients: boolean;
  /** Each hidden layer's activation; default the notebook's sigmoid everywhere. */
  activations?: readonly HiddenActivation[];
}

export function createGpuModel(ctx: GpuContext, mlp: Mlp, opts: GpuModelOptions): GpuModel {
  const { maxBatch, stateFloats: S } = opts;
  const activations = [...(opts.activations ?? mlp.layers.slice(1).map(() => 'sigmoid' as const))];
  if (activations.length !== mlp.layers.length - 1) {
    throw new RangeError(`createGpuModel: ${activations.length} activations for ${mlp.layers.length - 1} hidden layers`);
  }
  const f32 = (n: number) => n * 4;
  const layers = mlp.layers.map((l): GpuLayer => ({
    name: l.name,
    in: l.in,
    out: l.out,
    weight: ctx.storage(`${l.name}.weight`, l.weight),
    bias: ctx.storage(`${l.name}.bias`, l.bias),
    stateWeight: S > 0 ? ctx.storage(`${l.name}.weight optimizer state`, f32(S * l.out * l.in)) : null,
    stateBias: S > 0 ? ctx.storage(`${l.name}.bias optimizer state`, f32(S * l.out)) : null,
    gradZ: ctx.storage(`${l.name} dz`, f32(maxBatch * l.out)),
    act: ctx.storage(`${l.name} output`, f32(maxBatch * l.out)),
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

/** Optimizer state buffers in state_dict order; null when the optimizer keeps none. */
function stateBuffers(model: GpuModel): GPUBuffer[] | null {
  const buffers = model.layers.flatMap((l) => [l.stateWeight, l.stateBias]);
  return buffers.every((b) => b !== null) ? buffers : null;
}

/** Every tensor's optimizer state (interleaved, state_dict order), read back; null without. */
export async function downloadOptimizerState(ctx: GpuContext, model: GpuModel): Promise<Float32Array[] | null> {
  const buffers = stateBuffers(model);
  if (!buffers) return null;
  const out: Float32Array[] = [];
  for (const b of buffers) out.push(await ctx.readF32(b, b.size / 4));
  return out;
}

/** Writes a checkpoint's optimizer state (interleaved, state_dict order) over the zero-filled
 * state buffers. */
export function uploadOptimizerState(ctx: GpuContext, model: GpuModel, state: Float32Array[]): void {
  const buffers = stateBuffers(model);
  if (!buffers) throw new Error('optimizer state given for a model without optimizer state buffers');
  buffers.forEach((buf, i) => {
    if (state[i].byteLength !== buf.size) throw new RangeError(`optimizer state of ${buf.label}: ${state[i].length} f32 given, ${buf.size / 4} kept`);
    ctx.write(buf, state[i]);
  });
}
