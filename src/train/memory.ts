// What a configuration will allocate, known before anything is: every GPU buffer of the trainer
// (checked against the adapter's per-buffer limits) and the host memory of the parameters'
// copies and a batch's activations (checked against what the machine has free). A network that
// cannot fit is refused up front, naming the option to change, instead of an OOM kill hours in
// or an internal buffer name after gigabytes were allocated.
import { optimizerSettings, stateFloats } from '../model/optimizers.ts';
import { ConfigError, type TrainConfig } from './config.ts';
import { denseWidths, elementCount, formatModel, type ResolvedLayer } from '../model/spec.ts';
import { layerModule } from '../model/layers/index.ts';
import { readsInput } from '../model/activations.ts';

const F32 = 4;

export interface BufferNeed {
  label: string;
  bytes: number;
  /** The option that sizes it, and how, for the message. */
  option: string;
  shape: string;
}

/** The WebGPU trainer's buffers (src/train/gpu-model.ts and gpu-trainer.ts), largest first; the
 * samples are resident as they were loaded, u8 images or f32 features. */
export function gpuBufferNeeds(config: TrainConfig, layers: readonly ResolvedLayer[], trainCount: number, testCount: number, storedGradients = false,
  sampleType: 'u8' | 'f32' = 'u8'): BufferNeed[] {
  const B = config.batchSize;
  const needs: BufferNeed[] = [];
  const add = (label: string, bytes: number, option: string, shape: string) => needs.push({ label, bytes: Math.max(4, Math.ceil(bytes / 4) * 4), option, shape });
  // The parameter, the backup of the last read-back, on the unfused path its stored gradient,
  // and the optimizer's state (S f32 per element, interleaved: SGD's velocity, Adam's two moments).
  const copies = ['', ' backup', ...(storedGradients ? [' grad'] : [])];
  const S = stateFloats(optimizerSettings(config, config.lr));
  const width = elementCount(layers[0].inShape);
  for (const layer of layers) {
    for (const copy of copies) {
      for (const p of layer.params) add(`${p.name}${copy}`, elementCount(p.shape) * F32, '--model', `${p.shape.join(' x ')} f32`);
    }
    const module = layerModule(layer.spec.type);
    // A view (flatten) has no buffers of its own (src/train/gpu-model.ts).
    for (const what of module.view ? [] : ['output', 'dz', ...(storedGradients ? ['d output'] : [])]) {
      add(`${layer.name} ${what}`, B * elementCount(layer.outShape) * F32, '--batch', `${[B, ...layer.outShape].join(' x ')} f32`);
    }
    if (S > 0) {
      for (const p of layer.params) add(`${p.name} optimizer state`, S * elementCount(p.shape) * F32, '--model', `${[...p.shape, S].join(' x ')} f32`);
    }
    const scratch = module.scratchFloats?.(layer, layers[layers.indexOf(layer) - 1] ?? null) ?? 0;
    if (scratch > 0) add(`${layer.name} scratch`, B * scratch * F32, '--batch', `${B} x ${scratch} f32`);
    if (readsInput(layer.activation)) {
      add(`${layer.name} pre-activation`, B * elementCount(layer.outShape) * F32, '--batch', `${[B, ...layer.outShape].join(' x ')} f32`);
    }
  }
  add('input batch', B * width * F32, '--batch', `${B} x ${width} f32`);
  for (const what of ['label batch', 'row loss', 'argmax']) add(what, B * F32, '--batch', `${B} u32`);
  const recordWords = (steps: number, samples: number) => 2 + 2 * steps + samples;
  for (const [split, count, option] of [['train', trainCount, '--limit-train'], ['test', testCount, '--limit-test']] as const) {
    const steps = Math.ceil(count / B);
    add(`${split} ${sampleType === 'u8' ? 'images' : 'features'}`, count * width * (sampleType === 'u8' ? 1 : F32), option, `${count} x ${width} ${sampleType}`);
    add(`${split} labels`, count, option, `${count} u8`);
    add(`${split} order`, count * F32, option, `${count} u32`);
    // The step counter and salt, a loss and a correct count per step, and the test set's predictions.
    const samples = split === 'test' ? count : 0;
    add(`${split} record`, recordWords(steps, samples) * F32, option, `${recordWords(steps, samples)} u32`);
  }
  add('read-back stats', 2 * config.readbackEvery * F32, '--readback-every', `2 x ${config.readbackEvery} f32`);
  // One staging buffer for every read-back, sized for the largest: an evaluation's record.
  const staging = Math.max(2 * config.readbackEvery, recordWords(Math.ceil(testCount / B), testCount) - 2) * F32;
  add('read-back staging', Math.ceil(staging / 16) * 16, '--limit-test', `${staging / F32} u32`);
  return needs.sort((a, b) => b.bytes - a.bytes);
}

export const parameterCount = (layers: readonly ResolvedLayer[]): number =>
  layers.reduce((sum, l) => sum + l.params.reduce((n, p) => n + elementCount(p.shape), 0), 0);

/** Host bytes of a run: copies of the parameters (the CPU reference keeps the weights, their
 * gradients, the last read-back's backup, the optimizer's state (S floats per parameter) and its
 * copy for the file, the returned weights and the file being encoded; a GPU run the starting
 * weights, a download, the state's download and the file) and, on the CPU, a batch's
 * activations and gradients with float64 accumulators. The data is already loaded. */
export function hostNeed(config: TrainConfig, layers: readonly ResolvedLayer[], device: 'gpu' | 'cpu'): { params: number; batch: number } {
  const S = stateFloats(optimizerSettings(config, config.lr));
  const copies = device === 'cpu' ? 6 + 2 * S : 4 + S;
  const widths = denseWidths(layers).reduce((a, b) => a + b, 0);
  return {
    params: copies * parameterCount(layers) * F32,
    batch: device === 'cpu' ? 4 * config.batchSize * widths * 8 : 0,
  };
}

/** The layer with the most parameters, for the message: the one to shrink. */
function largestLayer(layers: readonly ResolvedLayer[]): string {
  const count = (l: ResolvedLayer) => parameterCount([l]);
  const top = layers.reduce((a, b) => (count(b) > count(a) ? b : a));
  return `${count(top).toLocaleString('en-US')} of them in ${top.name}`;
}

const gb = (bytes: number) => `${(bytes / 1e9).toFixed(bytes < 1e8 ? 3 : 2)} GB`;
const optionValue = (c: TrainConfig, option: string) =>
  ({ '--model': formatModel(c.model), '--batch': String(c.batchSize), '--limit-train': String(c.limitTrain ?? 'all'),
    '--limit-test': String(c.limitTest ?? 'all'), '--readback-every': String(c.readbackEvery) })[option] ?? '';

/** Refuses a configuration whose host memory exceeds `availableBytes`, naming the larger part. */
export function checkHostMemory(config: TrainConfig, layers: readonly ResolvedLayer[], device: 'gpu' | 'cpu', availableBytes: number): void {
  const { params, batch } = hostNeed(config, layers, device);
  if (params + batch <= availableBytes) return;
  // A smaller batch helps only when the parameters alone fit.
  const option = params > availableBytes || params >= batch ? '--model' : '--batch';
  const what = device === 'cpu' ? 'the CPU reference' : 'a GPU run';
  throw new ConfigError(option, `${optionValue(config, option)} needs about ${gb(params + batch)} of host memory on ${what} ` +
    `(${parameterCount(layers).toLocaleString('en-US')} parameters, ${gb(parameterCount(layers) * F32)} as f32, held in several copies, ` +
    `${largestLayer(layers)}` +
    `${batch ? `, and ${gb(batch)} for a batch` : ''}), more than the ${gb(availableBytes)} available; choose a smaller ${option}`);
}

export interface BufferLimits {
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
}

/** Refuses a configuration one of whose GPU buffers exceeds the adapter's limits (every buffer
 * of the trainer is bound as storage, so both limits apply). */
export function checkGpuBuffers(config: TrainConfig, needs: BufferNeed[], limits: BufferLimits): void {
  const [name, max] = limits.maxStorageBufferBindingSize < limits.maxBufferSize
    ? ['maxStorageBufferBindingSize', limits.maxStorageBufferBindingSize] : ['maxBufferSize', limits.maxBufferSize];
  const over = needs.find((n) => n.bytes > max);
  if (!over) return;
  throw new ConfigError(over.option, `${optionValue(config, over.option)} needs a GPU buffer of ${gb(over.bytes)} (${over.label}, ` +
    `${over.shape}), over this adapter's ${name} of ${gb(max)} (${max} bytes); choose a smaller ${over.option}`);
}
