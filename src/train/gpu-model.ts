// The network's tensors on the GPU: parameters in PyTorch's layout, their optimizer state, and the
// activations of the largest batch. All allocated here, once per run.
import type { GpuContext } from '../gpu/context.ts';
import { readsInput } from '../model/activations.ts';
import type { LossKind } from '../model/losses.ts';
import { mlpLayerParams, mlpParamTensors, notebookSpec, type Mlp } from '../reference/mlp.ts';
import type { NetworkSpec, ResolvedLayer } from '../model/spec.ts';
import { layerModule } from '../model/layers/index.ts';
import type { GpuLayer } from '../model/layers/layer.ts';
import { elementCount } from '../model/spec.ts';

export type { GpuLayer };

/** Gradients stored in memory, for steps that compute them apart from the update (the unfused
 * path, a gradient-only pass); the fused step never stores one. */
export interface LayerGradients {
  /** One per parameter, in the layer's params order. */
  params: GPUBuffer[];
  /** (maxBatch, ...outShape): dLoss/d(act), for layers whose output feeds a separate activation
   * backward. */
  act: GPUBuffer;
}

export interface GpuModel {
  sizes: number[];
  /** Fixes the output layer's activation and the loss kernels of a step. */
  loss: LossKind;
  maxBatch: number;
  /** (maxBatch, sizes[0]) the input batch as f32. */
  input: GPUBuffer;
  /** (maxBatch) labels as u32. */
  labels: GPUBuffer;
  layers: GpuLayer[];
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
  /** Each hidden layer's activation and the loss; default the notebook's. */
  spec?: NetworkSpec;
}

export function createGpuModel(ctx: GpuContext, mlp: Mlp, opts: GpuModelOptions): GpuModel {
  const { maxBatch, stateFloats: S } = opts;
  const spec = opts.spec ?? notebookSpec(mlp.sizes);
  // A view (flatten) moves no data: the layer above reads the buffer below it.
  const resolved = mlpLayerParams(mlp, spec).filter(({ layer }) => !layerModule(layer.spec.type).view);
  const f32 = (n: number) => n * 4;
  const layers = resolved.map(({ layer, params }, i): GpuLayer => ({
    layer,
    scratch: scratchBuffer(ctx, layer, i > 0 ? resolved[i - 1].layer : null, maxBatch),
    params: layer.params.map((t, i) => ctx.storage(t.name, params[i])),
    state: S > 0 ? layer.params.map((t) => ctx.storage(`${t.name} optimizer state`, f32(S * elementCount(t.shape)))) : null,
    gradZ: ctx.storage(`${layer.name} dz`, f32(maxBatch * elementCount(layer.outShape))),
    act: ctx.storage(`${layer.name} output`, f32(maxBatch * elementCount(layer.outShape))),
    pre: readsInput(layer.activation) ? ctx.storage(`${layer.name} pre-activation`, f32(maxBatch * elementCount(layer.outShape))) : null,
  }));
  const gradients = opts.storedGradients
    ? resolved.map(({ layer }): LayerGradients => ({
      params: layer.params.map((t) => ctx.storage(`${t.name} grad`, f32(elementCount(t.shape)))),
      act: ctx.storage(`${layer.name} d output`, f32(maxBatch * elementCount(layer.outShape))),
    }))
    : null;
  return {
    sizes: [...mlp.sizes],
    loss: spec.loss,
    maxBatch,
    input: ctx.storage('input batch', f32(maxBatch * mlp.sizes[0])),
    labels: ctx.storage('label batch', f32(maxBatch)),
    layers,
    gradients,
    rowLoss: ctx.storage('row loss', f32(maxBatch)),
    argmax: ctx.storage('argmax', f32(maxBatch)),
  };
}

function scratchBuffer(ctx: GpuContext, layer: ResolvedLayer, below: ResolvedLayer | null, maxBatch: number): GPUBuffer | null {
  const floats = layerModule(layer.spec.type).scratchFloats?.(layer, below) ?? 0;
  return floats > 0 ? ctx.storage(`${layer.name} scratch`, maxBatch * floats * 4) : null;
}

/** The model's stored gradients, for the steps that need them. */
export function storedGradients(model: GpuModel): LayerGradients[] {
  if (!model.gradients) throw new Error('this pass stores gradients: create the model with storedGradients');
  return model.gradients;
}

/** Parameter buffers in state_dict order (fc1.weight, fc1.bias, ...), matching mlpParamTensors. */
export function paramBuffers(model: GpuModel): GPUBuffer[] {
  return model.layers.flatMap((l) => l.params);
}

/** Reads the GPU parameters into `into` (a CPU Mlp of the same sizes). */
export async function downloadParams(ctx: GpuContext, model: GpuModel, into: Mlp): Promise<Mlp> {
  const tensors = mlpParamTensors(into);
  (await ctx.readAll(paramBuffers(model))).forEach((bytes, i) => tensors[i].data.set(new Float32Array(bytes, 0, tensors[i].data.length)));
  return into;
}

export function uploadParams(ctx: GpuContext, model: GpuModel, from: Mlp): void {
  const tensors = mlpParamTensors(from);
  paramBuffers(model).forEach((buf, i) => ctx.write(buf, tensors[i].data));
}

/** Optimizer state buffers in state_dict order; null when the optimizer keeps none. */
function stateBuffers(model: GpuModel): GPUBuffer[] | null {
  return model.layers.every((l) => l.state) ? model.layers.flatMap((l) => l.state ?? []) : null;
}

/** Every tensor's optimizer state (interleaved, state_dict order), read back; null without. */
export async function downloadOptimizerState(ctx: GpuContext, model: GpuModel): Promise<Float32Array[] | null> {
  const buffers = stateBuffers(model);
  return buffers && (await ctx.readAll(buffers)).map((bytes) => new Float32Array(bytes));
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
