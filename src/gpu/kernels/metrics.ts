// Per-step loss and correct count accumulated on the GPU (shaders/metrics.wgsl); CPU twin:
// stepMetricsCpu. rowLoss is (B) f32, argmax and labels (B) u32; everything the host reads back
// goes to one run record (RunRecord), indexed by the GPU-side step counter it holds.
import type { GpuContext } from '../context.ts';
import { makeDispatch, type Dispatch } from '../dispatch.ts';
import { shaders } from '../shaders.ts';

/** Offsets (in u32 words) of a run record's parts, for a pass of `steps` steps. */
export interface RecordLayout {
  /** Words 0 and 1 hold the step counter and the epoch's augmentation salt; the losses follow. */
  losses: number;
  correct: number;
  predictions: number;
}

export function recordLayout(steps: number): RecordLayout {
  return { losses: 2, correct: 2 + steps, predictions: 2 + 2 * steps };
}

/** One pass's record on the GPU: the step counter and salt, a loss and a correct count per step,
 * and a predicted class per sample when `samples` > 0. */
export interface RunRecord {
  buffer: GPUBuffer;
  steps: number;
  samples: number;
  layout: RecordLayout;
}

export function createRunRecord(ctx: GpuContext, label: string, steps: number, samples = 0): RunRecord {
  const layout = recordLayout(steps);
  return { buffer: ctx.storage(`${label} record`, (layout.predictions + samples) * 4), steps, samples, layout };
}

/** Sets the step counter (and the augmentation salt) before a pass; lands before the next submit. */
export function resetRecord(ctx: GpuContext, record: RunRecord, step = 0, salt = 0): void {
  ctx.write(record.buffer, new Uint32Array([step, salt]));
}

/** A step's losses, correct counts and predictions, as read back from a record's words. */
export function readRecord(words: ArrayBuffer, wordOffset: number, steps: number): { losses: Float32Array; correct: Uint32Array } {
  return {
    losses: new Float32Array(words, wordOffset * 4, steps),
    correct: new Uint32Array(words, (wordOffset + steps) * 4, steps),
  };
}

export interface StepMetricsBuffers {
  rowLoss: GPUBuffer;
  argmax: GPUBuffer;
  labels: GPUBuffer;
}

export interface StepMetricsShape {
  B: number;
  /** 1/B: the batch mean; 1: the batch sum. */
  lossScale: number;
  /** Record each row's argmax as the prediction of sample step * batchStride + r. */
  predict?: { batchStride: number };
}

/** The step's loss and correct count into the record at its step counter, which it then
 * advances: nothing later in a step reads the step number. One workgroup, any B. */
export function stepMetricsDispatch(ctx: GpuContext, bufs: StepMetricsBuffers, record: RunRecord, p: StepMetricsShape): Dispatch {
  if (!(p.B > 0)) throw new RangeError(`stepMetrics: B must be positive, got ${p.B}`);
  if (p.predict && record.samples === 0) throw new Error('stepMetrics: predictions need a record with sample slots');
  const params = new DataView(new ArrayBuffer(32));
  params.setUint32(0, p.B, true);
  params.setFloat32(4, p.lossScale, true);
  params.setUint32(8, record.layout.losses, true);
  params.setUint32(12, record.layout.correct, true);
  params.setUint32(16, record.layout.predictions, true);
  params.setUint32(20, p.predict?.batchStride ?? 0, true);
  return makeDispatch(ctx, `step_metrics ${p.B}${p.predict ? ' +predictions' : ''}`,
    ctx.pipeline(shaders.metrics, 'step_metrics', { PREDICT: Number(!!p.predict) }),
    [ctx.uniform('step_metrics params', params), bufs.rowLoss, bufs.argmax, bufs.labels, record.buffer], [1],
    { flops: 2 * p.B, bytes: 4 * (3 * p.B + 3 + (p.predict ? p.B : 0)) });
}

/** record[0] += 1, for a pass that records no metrics. */
export function advanceDispatch(ctx: GpuContext, record: RunRecord): Dispatch {
  return makeDispatch(ctx, 'advance', ctx.pipeline(shaders.metrics, 'advance'), [record.buffer], [1], { flops: 1, bytes: 8 });
}
