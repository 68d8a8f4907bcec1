/// <reference types="@webgpu/types" preserve="true" />
/**
 * The inference entry (`webgpu-mnist-trainer/infer`): load a saved model and predict, on WebGPU
 * with the forward kernels only, or on the CPU twin where there is no adapter. It imports nothing
 * of the training (optimizers, backward kernels, sessions, data loaders), so its bundle stays small.
 *
 * ```js
 * const model = await loadModel(await (await fetch('mlp.safetensors')).arrayBuffer());
 * const { classes, probabilities } = await model.predict(pixels); // Uint8Array, 784 per image
 * ```
 * @module webgpu-mnist-trainer/infer
 */
import { requestGpu, type AdapterSummary, type GpuContext } from '../gpu/context.ts';
import { GpuUnavailableError } from '../gpu/errors.ts';
import { MATMUL_VARIANTS, type MatmulVariant } from '../gpu/kernels/matmul.ts';
import { forwardNetworkCpu } from '../model/network.ts';
import { elementCount } from '../model/spec.ts';
import { logSoftmaxNllCpu } from '../reference/kernels.ts';
import { GpuForward } from '../infer/gpu-forward.ts';
import { readModelFile, type ModelFileOptions } from '../infer/model-file.ts';
import { ConfigError, refuseUnknownKeys } from '../train/config-error.ts';
import { SafetensorsError } from '../train/safetensors.ts';
import { DatasetError } from './errors.ts';
import type { Predictions } from './trainer.ts';

export type { Predictions } from './trainer.ts';
export type { AdapterSummary } from '../gpu/context.ts';
export type { LayerSpec } from '../model/spec.ts';
export type { ModelFileOptions } from '../infer/model-file.ts';
/** A .safetensors file that is malformed or does not fit the model it names. */
export { SafetensorsError } from '../train/safetensors.ts';
export { GpuUnavailableError, GpuDeviceError } from '../gpu/errors.ts';
/** An option of loadModel that cannot work; `option` names it. */
export { ConfigError } from '../train/config-error.ts';
/** Images that predict cannot take. */
export { DatasetError } from './errors.ts';

const OPTION_KEYS = ['device', 'batchSize', 'matmul', 'name', 'model', 'loss', 'inputShape'];

export interface LoadModelOptions extends ModelFileOptions {
  /** 'auto' (the default): WebGPU where an adapter is found, else the CPU; 'gpu' fails without one
   * (GpuUnavailableError); 'cpu' never asks for one. */
  device?: 'auto' | 'gpu' | 'cpu';
  /** Samples per GPU submit (default 1024): the buffers are sized for this many. */
  batchSize?: number;
  /** The matmul kernel of the dense layers (default: 'vec4' on a CPU adapter such as SwiftShader,
   * 'tiled32' on a GPU). */
  matmul?: MatmulVariant;
}

export interface InferenceModel {
  /** Where predict runs: 'gpu' (WebGPU) or 'cpu' (the CPU twin of the forward pass). */
  readonly device: 'gpu' | 'cpu';
  /** The adapter on 'gpu'; on 'cpu', null. */
  readonly adapter: AdapterSummary | null;
  /** Why it runs on the CPU where 'auto' looked for a GPU (the GpuUnavailableError's message), else null. */
  readonly fallbackReason: string | null;
  /** One sample's shape ([784], or [1, 28, 28] for a convolutional network) and the classes. */
  readonly inputShape: readonly number[];
  readonly classes: number;
  /** Each sample's class and the probabilities (count, classes): the softmax of the logits for a
   * model trained with 'nll', the sigmoid outputs for 'squared'. Uint8Array pixels are divided by
   * 255 as in training; a Float32Array is taken as it is. */
  predict(images: Uint8Array | Float32Array): Promise<Predictions>;
  /** Frees the GPU device and buffers; predict fails afterwards. */
  dispose(): void;
}

/** A model from a .safetensors file (a checkpoint, or weights saved by `npm run train -- --save`,
 * the dashboard or `trainer.saveWeights()`): its bytes, or a URL to fetch. */
export async function loadModel(source: Uint8Array | ArrayBuffer | string | URL, options: LoadModelOptions = {}): Promise<InferenceModel> {
  refuseUnknownKeys(options, OPTION_KEYS, (key) => key);
  const { device = 'auto', batchSize = 1024, matmul, ...fileOptions } = options;
  if (!['auto', 'gpu', 'cpu'].includes(device)) throw new ConfigError('device', `must be 'auto', 'gpu' or 'cpu', got ${JSON.stringify(device)}`);
  if (!(Number.isInteger(batchSize) && batchSize > 0)) throw new ConfigError('batchSize', `must be a positive integer, got ${JSON.stringify(batchSize)}`);
  if (matmul !== undefined && !MATMUL_VARIANTS.includes(matmul)) throw new ConfigError('matmul', `must be one of ${MATMUL_VARIANTS.join(', ')}, got ${JSON.stringify(matmul)}`);
  let bytes: Uint8Array;
  let name = fileOptions.name;
  if (typeof source === 'string' || source instanceof URL) {
    name ??= String(source).split('/').pop();
    const res = await fetch(source);
    if (!res.ok) throw new SafetensorsError(`${String(source)}: fetching it answered HTTP ${res.status} ${res.statusText}: check the URL`);
    bytes = new Uint8Array(await res.arrayBuffer());
  } else {
    bytes = source instanceof ArrayBuffer ? new Uint8Array(source) : source;
  }
  const { layers, loss } = readModelFile(bytes, { ...fileOptions, ...(name ? { name } : {}) });
  let ctx: GpuContext | null = null;
  let fallbackReason: string | null = null;
  if (device !== 'cpu') {
    try {
      ctx = await requestGpu();
    } catch (e) {
      if (device === 'gpu' || !(e instanceof GpuUnavailableError)) throw e;
      fallbackReason = e.message;
    }
  }
  const inputShape = layers[0].layer.inShape;
  const width = elementCount(inputShape);
  const classes = elementCount(layers[layers.length - 1].layer.outShape);
  const gpu = ctx && new GpuForward(ctx, layers, batchSize, matmul ?? (ctx.adapter.isFallbackAdapter ? 'vec4' : 'tiled32'));
  let disposed = false;

  const outputs = async (x: Float32Array, rows: number): Promise<Float32Array> =>
    gpu ? gpu.run(x, rows) : forwardNetworkCpu(layers, x, rows).out;

  return {
    device: ctx ? 'gpu' : 'cpu',
    adapter: ctx?.adapter ?? null,
    fallbackReason,
    inputShape,
    classes,
    async predict(images) {
      if (disposed) throw new Error('predict: this model was disposed; load it again with loadModel');
      if (!(images instanceof Uint8Array || images instanceof Float32Array) || images.length === 0 || images.length % width !== 0) {
        throw new DatasetError('images', `must be a Uint8Array (pixels 0-255) or Float32Array of whole samples of ${width} values ([${inputShape.join(', ')}]), got ${
          images instanceof Uint8Array || images instanceof Float32Array ? `${images.length} values` : ((images as object | null)?.constructor?.name ?? String(images))}`);
      }
      const count = images.length / width;
      const out = new Float32Array(count * classes);
      for (let first = 0; first < count; first += batchSize) {
        const rows = Math.min(batchSize, count - first);
        const slice = images.subarray(first * width, (first + rows) * width);
        out.set(await outputs(slice instanceof Float32Array ? slice : Float32Array.from(slice, (v) => v / 255), rows), first * classes);
      }
      // The argmax and the softmax of the logits as the Trainer's predict takes them (the first
      // largest value; exp of the float64 log-softmax).
      const probabilities = loss === 'nll' ? logSoftmaxNllCpu(out, new Uint8Array(count), count, classes).logProbs.map(Math.exp) : out;
      const predicted = new Uint8Array(count);
      for (let r = 0; r < count; r++) {
        for (let c = 1; c < classes; c++) if (out[r * classes + c] > out[r * classes + predicted[r]]) predicted[r] = c;
      }
      return { classes: predicted, probabilities };
    },
    dispose() {
      disposed = true;
      ctx?.destroy();
    },
  };
}
