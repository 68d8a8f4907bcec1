// Log-softmax fused with the NLL loss and its gradient (shaders/log_softmax.wgsl); CPU twin:
// logSoftmaxNllCpu. logits and grad are (B,C) f32; labels and argmax (B) u32; rowLoss (B).
import type { GpuContext } from '../context.ts';
import { ceilDiv, makeDispatch, type Dispatch } from '../dispatch.ts';
import { shaders, wgslConst } from '../shaders.ts';

const WG = wgslConst(shaders.logSoftmax, 'WG');

export interface LogSoftmaxNllBuffers {
  logits: GPUBuffer;
  labels: GPUBuffer;
  grad: GPUBuffer;
  rowLoss: GPUBuffer;
  argmax: GPUBuffer;
}

export interface LogSoftmaxNllShape {
  B: number;
  C: number;
  /** Multiplies the gradient: 1/B for the mean loss. */
  gradScale: number;
}

export function logSoftmaxNllDispatch(ctx: GpuContext, bufs: LogSoftmaxNllBuffers, p: LogSoftmaxNllShape): Dispatch {
  const { B, C, gradScale } = p;
  if (!(B > 0 && C > 0)) throw new RangeError(`logSoftmaxNll: B and C must be positive, got ${B}, ${C}`);
  const params = new DataView(new ArrayBuffer(16));
  params.setUint32(0, B, true);
  params.setUint32(4, C, true);
  params.setFloat32(8, gradScale, true);
  return makeDispatch(ctx, `log_softmax_nll ${B}x${C}`, ctx.pipeline(shaders.logSoftmax, 'log_softmax_nll'),
    [ctx.uniform('log_softmax params', params), bufs.logits, bufs.labels, bufs.grad, bufs.rowLoss, bufs.argmax], [ceilDiv(B, WG)],
    // Per element: max, exp, sum, log, gradient (the exps counted as one FLOP each).
    { flops: 6 * B * C, bytes: 4 * (B * C * 2 + 3 * B) });
}
