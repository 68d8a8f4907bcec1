// Per-step loss and correct count accumulated on the GPU (shaders/metrics.wgsl); CPU twin:
// stepMetricsCpu. rowLoss is (B) f32, argmax and labels (B) u32, counter u32[1]; lossHistory
// (f32) and correctHistory (u32) hold one slot per step of the epoch, indexed by counter[0].
import type { GpuContext } from '../context.ts';
import { makeDispatch, type Dispatch } from '../dispatch.ts';
import { shaders } from '../shaders.ts';

export interface StepMetricsBuffers {
  rowLoss: GPUBuffer;
  argmax: GPUBuffer;
  labels: GPUBuffer;
  counter: GPUBuffer;
  lossHistory: GPUBuffer;
  correctHistory: GPUBuffer;
}

/** lossHistory[counter[0]] = lossScale * sum(rowLoss) (1/B: the batch mean);
 * correctHistory[counter[0]] = #(argmax == labels). One workgroup, any B. */
export function stepMetricsDispatch(ctx: GpuContext, bufs: StepMetricsBuffers, p: { B: number; lossScale: number }): Dispatch {
  if (!(p.B > 0)) throw new RangeError(`stepMetrics: B must be positive, got ${p.B}`);
  const params = new DataView(new ArrayBuffer(16));
  params.setUint32(0, p.B, true);
  params.setFloat32(4, p.lossScale, true);
  return makeDispatch(ctx, `step_metrics ${p.B}`, ctx.pipeline(shaders.metrics, 'step_metrics'),
    [ctx.uniform('step_metrics params', params), bufs.rowLoss, bufs.argmax, bufs.labels, bufs.counter,
      bufs.lossHistory, bufs.correctHistory], [1], { flops: 2 * p.B, bytes: 4 * (3 * p.B + 3) });
}

/** counter[0] += 1: encoded last in a step, after everything that reads the counter. */
export function advanceDispatch(ctx: GpuContext, counter: GPUBuffer): Dispatch {
  return makeDispatch(ctx, 'advance', ctx.pipeline(shaders.metrics, 'advance'), [counter], [1], { flops: 1, bytes: 8 });
}
