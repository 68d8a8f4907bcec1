// The toy network's squared-error loss and gradient (shaders/squared_error.wgsl); CPU twin:
// squaredErrorCpu (then activationBackwardCpu through the sigmoid, with sigmoidBackward). out and
// grad are (B,C) f32;
// labels and argmax (B) u32; rowLoss (B).
import type { GpuContext } from '../context.ts';
import { ceilDiv, makeDispatch, type Dispatch } from '../dispatch.ts';
import { shaders, wgslConst } from '../shaders.ts';

const WG = wgslConst(shaders.squaredError, 'WG');

export interface SquaredErrorBuffers {
  out: GPUBuffer;
  labels: GPUBuffer;
  grad: GPUBuffer;
  rowLoss: GPUBuffer;
  argmax: GPUBuffer;
}

export interface SquaredErrorShape {
  B: number;
  C: number;
  /** The outputs are a sigmoid's: grad is taken on through it, to the pre-activation. */
  sigmoidBackward: boolean;
}

export function squaredErrorDispatch(ctx: GpuContext, bufs: SquaredErrorBuffers, p: SquaredErrorShape): Dispatch {
  const { B, C } = p;
  if (!(B > 0 && C > 0)) throw new RangeError(`squaredError: B and C must be positive, got ${B}, ${C}`);
  const params = new DataView(new ArrayBuffer(16));
  params.setUint32(0, B, true);
  params.setUint32(4, C, true);
  // The gradient of the rows' mean, as squaredErrorCpu's.
  params.setFloat32(8, 1 / B, true);
  const pipeline = ctx.pipeline(shaders.squaredError, 'squared_error', { SIGMOID_BACKWARD: Number(p.sigmoidBackward) });
  return makeDispatch(ctx, `squared_error ${B}x${C}${p.sigmoidBackward ? ' +sigmoid-backward' : ''}`, pipeline,
    [ctx.uniform('squared_error params', params), bufs.out, bufs.labels, bufs.grad, bufs.rowLoss, bufs.argmax], [ceilDiv(B, WG)],
    { flops: (p.sigmoidBackward ? 7 : 4) * B * C, bytes: 4 * (2 * B * C + 3 * B) });
}
