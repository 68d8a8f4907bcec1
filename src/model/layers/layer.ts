// What a layer type declares, once, for every part of the trainer to use: its parameters and their
// PyTorch init, its CPU twin (float64 accumulation, from the kernel twins) and its GPU dispatches
// (from the shared kernels). The step walkers (src/model/network.ts, src/train/step.ts) know only
// this interface, so a new layer type (conv2d on NCHW, a parameter-free pool or flatten) is one
// more module here, its WGSL and its twin, and one entry in index.ts.
import type { Rng } from '../../data/prng.ts';
import type { Dispatch } from '../../gpu/dispatch.ts';
import type { GpuContext } from '../../gpu/context.ts';
import type { KernelChooser } from '../../gpu/kernel-choice.ts';
import type { OptimizerParams } from '../../gpu/kernels/optimizer.ts';
import type { RunRecord } from '../../gpu/kernels/metrics.ts';
import { HIDDEN_ACTIVATIONS, type Activation, type HiddenActivation } from '../activations.ts';
import type { LossKind } from '../losses.ts';
import { elementCount, type LayerSpec, type ParamSpec, type ResolvedLayer } from '../spec.ts';
import { ConfigError } from '../../train/config-error.ts';

/** A layer's tensors on the GPU, allocated once per run by src/train/gpu-model.ts. */
export interface GpuLayer {
  layer: ResolvedLayer;
  /** In layer.params order. */
  params: GPUBuffer[];
  /** The optimizer's state per parameter (layer.params order), its state floats per element
   * interleaved; null when the optimizer keeps none. */
  state: GPUBuffer[] | null;
  /** (maxBatch, ...outShape): the output, after the activation. */
  act: GPUBuffer;
  /** (maxBatch, ...outShape): the pre-activation, kept only where the activation's backward reads
   * its input (src/model/activations.ts); else null. */
  pre: GPUBuffer | null;
  /** (maxBatch, ...outShape): dLoss/dz, the gradient before the activation. */
  gradZ: GPUBuffer;
  /** (maxBatch, scratchFloats) where the layer type asks for one, else null. */
  scratch: GPUBuffer | null;
}

/** What a dispatch of a step is built with. */
export interface LayerGpuPlan {
  ctx: GpuContext;
  kernels: KernelChooser;
  /** Rows of this batch. */
  rows: number;
  /** The pass's run record: its step counter gives an optimizer's step count t. */
  record: RunRecord;
}

/** What the backward pass through a layer's activation reads: its pre-activation where kept,
 * else its output. */
export const keptForBackward = (g: GpuLayer): GPUBuffer => g.pre ?? g.act;

/** Where a layer's input gradient goes: stored as it is, or, fused, through the activation
 * backward of the layer below into that layer's dz (`kept`: what that backward reads, the
 * below layer's output, which is this layer's input, or its pre-activation). */
export type InputGradientTarget =
  | { kind: 'store'; dx: GPUBuffer }
  | { kind: 'activation-backward'; dz: GPUBuffer; kept: GPUBuffer; activation: HiddenActivation };

/** The last layer's whole step in one kernel: forward, loss, metrics, and when training the
 * delta of the layer below and its own update. */
export interface OutputKernelArgs {
  x: GPUBuffer;
  labels: GPUBuffer;
  record: RunRecord;
  loss: LossKind;
  train: { optimizer: OptimizerParams; below: { dz: GPUBuffer; activation: Activation; pre: GPUBuffer | null } | null } | null;
  predict?: { batchStride: number };
}

/** Throws the ConfigError that names the option and the layer (src/model/spec.ts). */
export type SpecFail = (message: string) => never;

/** Refuses a spec field its type does not have. */
export function onlyFields(spec: Record<string, unknown>, fields: readonly string[], fail: SpecFail): void {
  const extra = Object.keys(spec).find((k) => k !== 'type' && !fields.includes(k));
  if (extra !== undefined) fail(`${String(spec.type)} has ${fields.length ? fields.join(', ') : 'no fields'}, not ${JSON.stringify(extra)}`);
}

/** An image layer's input (channels, height, width); a ConfigError names the layer otherwise. */
export function imageShape(inShape: readonly number[], name: string, what: string): [number, number, number] {
  if (inShape.length !== 3) {
    throw new ConfigError('--model', `${name} is ${what} over images (channels, height, width), but its input is rows of ${elementCount(inShape)} values: ` +
      'use it on image data (IDX/MNIST), before any flatten or dense layer');
  }
  return [inShape[0], inShape[1], inShape[2]];
}

/** A spec's activation, checked: one of the hidden activations. */
export function hiddenActivation(spec: Record<string, unknown>, fail: SpecFail): HiddenActivation {
  const { activation } = spec;
  if (!(HIDDEN_ACTIVATIONS as readonly unknown[]).includes(activation)) {
    fail(`${String(spec.type)} activation must be one of ${HIDDEN_ACTIVATIONS.join(', ')}, got ${JSON.stringify(activation)}`);
  }
  return activation as HiddenActivation;
}

/** What a forward pass needs of a layer on the GPU: the plan's device, its matmul and convolution
 * choices and rows. */
export type ForwardPlan = Pick<LayerGpuPlan, 'ctx' | 'rows'> & { kernels: Pick<KernelChooser, 'matmul' | 'conv2d'> };

/** What a forward pass needs of a layer's tensors on the GPU. */
export type ForwardLayer = Pick<GpuLayer, 'layer' | 'params' | 'act' | 'pre'>;

/** A layer type's spec, shapes and forward pass (CPU twin and GPU): what the inference entry
 * (src/infer/) uses. LayerModule adds the training; the two are separate objects so that a bundle
 * of the forward pass leaves the backward kernels and optimizers out. */
export interface LayerForward<S extends LayerSpec> {
  type: S['type'];
  /** PyTorch's module name stem: 'fc' for nn.Linear (fc1, fc2, ...). */
  namePrefix: string;
  /** The spec from `--model`'s arguments after the type (dense:512:relu gives ['512', 'relu']);
   * what does not parse goes to `fail` with the type's grammar. */
  parse(args: string[], fail: SpecFail): S;
  /** The spec as parse reads it back. */
  format(spec: S): string;
  /** A spec given as data (config file, checkpoint, library), checked field by field: a fresh
   * object with only the type's fields; what is wrong goes to `fail`. */
  check(spec: Record<string, unknown>, fail: SpecFail): S;
  /** The output shape per sample; a ConfigError names the layer when the input does not fit. */
  outShape(spec: S, inShape: readonly number[], name: string): number[];
  /** Parameter names within the module ('weight') and shapes, in state_dict order. */
  params(spec: S, inShape: readonly number[]): ParamSpec[];
  /** A layer whose output is its input viewed in another shape (flatten in NCHW): the GPU model
   * leaves it out, the layer above reads the buffer below. */
  view?: true;

  /** CPU twin: the output (B, ...outShape) after the activation, from x (B, ...inShape), and the
   * pre-activation where the activation's backward reads it (else null). */
  forwardCpu(layer: ResolvedLayer, params: Float32Array[], x: Float32Array, B: number): { out: Float32Array; pre: Float32Array | null };
  /** act: the output of x through the layer. */
  forwardGpu(p: ForwardPlan, g: ForwardLayer, x: GPUBuffer): Promise<Dispatch[]>;
}

/** A layer type's training on top of its forward pass. */
export interface LayerModule<S extends LayerSpec> extends LayerForward<S> {
  /** PyTorch's default init, drawn from rng in state_dict order. */
  init(layer: ResolvedLayer, rng: Rng): Float32Array[];
  /** Floats per sample of a GPU work buffer the layer's dispatches need (GpuLayer.scratch), given
   * the layer below (null for the first). */
  scratchFloats?(layer: ResolvedLayer, below: ResolvedLayer | null): number;
  /** CPU twin: each parameter's gradient from dz, and with `inputGradient` the gradient of x. */
  backwardCpu(layer: ResolvedLayer, params: Float32Array[], x: Float32Array, dz: Float32Array, B: number, inputGradient: boolean):
    { grads: Float32Array[]; dx: Float32Array | null };
  /** The input gradient from the layer's dz, at the parameters before this step's update; x is
   * the layer's input. */
  inputGradientGpu(p: LayerGpuPlan, g: GpuLayer, x: GPUBuffer, target: InputGradientTarget): Promise<Dispatch[]>;
  /** Each parameter's gradient from dz into `grads` (layer.params order). */
  gradientGpu(p: LayerGpuPlan, g: GpuLayer, x: GPUBuffer, grads: GPUBuffer[]): Promise<Dispatch[]>;
  /** The parameters' gradients fused with their optimizer steps, nothing stored. */
  fusedUpdateGpu(p: LayerGpuPlan, g: GpuLayer, x: GPUBuffer, optimizer: OptimizerParams): Promise<Dispatch[]>;
  /** The one-kernel output layer, or null where this layer type or this batch has none. */
  outputKernel?(p: LayerGpuPlan, g: GpuLayer, args: OutputKernelArgs): Dispatch | null;
}

/** A layer type's module: its forward pass with its training. Annotated pure, so a bundle that
 * uses only the forward objects drops the training ones and the kernels they import. */
export const withTraining = <S extends LayerSpec>(forward: LayerForward<S>, training: Omit<LayerModule<S>, keyof LayerForward<S>>): LayerModule<S> =>
  ({ ...forward, ...training });
