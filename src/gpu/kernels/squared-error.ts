// The toy network's squared-error loss and gradient (shaders/squared_error.wgsl); CPU twin:
// squaredErrorCpu. out and grad are (B,C) f32; labels and argmax (B) u32; rowLoss (B).
import type { GpuContext } from '../context.ts';
import { ceilDiv, makeDispatch, type Dispatch } from '../dispatch.ts';
import { shaders } from '../shaders.ts';

export interface SquaredErrorBuffers {
  out: GPUBuffer;
  labels: GPUBuffer;
  grad: GPUBuffer;
  rowLoss: GPUBuffer;
  argmax: GPUBuffer;
}

export function squaredErrorDispatch(ctx: GpuContext, bufs: SquaredErrorBuffers, p: { B: number; C: number }): Dispatch {
  const { B, C } = p;
  if (!(B > 0 && C > 0)) throw new RangeError(`squaredError: B and C must be positive, got ${B}, ${C}`);
  const params = ctx.uniform('squared_error params', new Uint32Array([B, C, 0, 0]));
  return makeDispatch(ctx, `squared_error ${B}x${C}`, ctx.pipeline(shaders.squaredError, 'squared_error'),
    [params, bufs.out, bufs.labels, bufs.grad, bufs.rowLoss, bufs.argmax], [ceilDiv(B, 64)],
    { flops: 4 * B * C, bytes: 4 * (2 * B * C + 3 * B) });
}
