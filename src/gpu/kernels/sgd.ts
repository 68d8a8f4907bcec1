// In-place SGD step (shaders/sgd.wgsl); CPU twin: sgdUpdateCpu. param, grad and velocity each
// hold n f32 values. The hyper-parameters are an SgdParams, shared by every tensor's update.
import type { SgdOptions } from '../../reference/kernels.ts';
import type { GpuContext } from '../context.ts';
import { gridStrideGroups, makeDispatch, type Dispatch } from '../dispatch.ts';
import { shaders, wgslConst } from '../shaders.ts';

const WG = wgslConst(shaders.sgd, 'WG');

/** lr, momentum, weightDecay as f32 and nesterov as u32: the shader's Hyper struct. PyTorch's
 * checks, so the GPU refuses what torch.optim.SGD refuses. */
function packHyper(opts: SgdOptions): DataView {
  const { lr, momentum = 0, weightDecay = 0, nesterov = false } = opts;
  if (!(lr >= 0) || !(momentum >= 0) || !(weightDecay >= 0)) {
    throw new RangeError(`sgd: lr, momentum and weightDecay must be >= 0, got ${lr}, ${momentum}, ${weightDecay}`);
  }
  if (nesterov && momentum <= 0) throw new RangeError('sgd: Nesterov momentum needs momentum > 0 (as in PyTorch)');
  const data = new DataView(new ArrayBuffer(16));
  data.setFloat32(0, lr, true);
  data.setFloat32(4, momentum, true);
  data.setFloat32(8, weightDecay, true);
  data.setUint32(12, Number(nesterov), true);
  return data;
}

/** The optimizer on the GPU: one uniform of hyper-parameters that every update dispatch binds,
 * rewritten between submits by a learning-rate schedule. Whether momentum is kept is decided at
 * creation: the update dispatches are built once, each with or without a velocity buffer, so
 * momentum cannot be turned on later without them (it would be dropped silently). */
export class SgdParams {
  private constructor(
    readonly buffer: GPUBuffer,
    /** Momentum was on at creation: every update must bind a velocity buffer. */
    readonly keepsVelocity: boolean,
  ) {}

  static create(ctx: GpuContext, opts: SgdOptions): SgdParams {
    return new SgdParams(ctx.uniform('sgd hyper', packHyper(opts)), (opts.momentum ?? 0) !== 0);
  }

  /** New hyper-parameters (a learning-rate schedule); they take effect from the next submit. */
  write(ctx: GpuContext, opts: SgdOptions): void {
    if ((opts.momentum ?? 0) !== 0 && !this.keepsVelocity) {
      throw new Error(`sgd: cannot turn momentum on (${opts.momentum}): the updates were built without velocity buffers`);
    }
    ctx.write(this.buffer, packHyper(opts));
  }

  /** Checks one tensor's velocity (n elements) against the optimizer: required when momentum is
   * kept. Returns it; null means the binding is unused. */
  velocityBinding(what: string, velocity: GPUBuffer | null, n: number): GPUBuffer | null {
    if (!velocity && this.keepsVelocity) throw new Error(`${what}: momentum needs a velocity buffer (${n} zero-filled f32)`);
    return velocity;
  }
}

/** The epilogue of a kernel whose output is a parameter's gradient: instead of storing it, the
 * parameter (the kernel's output buffer) takes an SGD step with it, with its velocity when
 * momentum is kept. Shared by the matmul (weights) and bias-gradient (biases) kernels. */
export interface SgdEpilogue {
  kind: 'sgd';
  sgd: SgdParams;
  velocity: GPUBuffer | null;
}

export interface SgdBuffers {
  param: GPUBuffer;
  grad: GPUBuffer;
  /** Zero-filled at the start; required when momentum is kept. */
  velocity: GPUBuffer | null;
}

export function sgdDispatch(ctx: GpuContext, sgd: SgdParams, bufs: SgdBuffers, n: number): Dispatch {
  if (!(n > 0)) throw new RangeError(`sgd: n must be positive, got ${n}`);
  const velocity = sgd.velocityBinding('sgd', bufs.velocity, n) ?? ctx.unusedStorage(0);
  const dims = ctx.uniform('sgd dims', new Uint32Array([n, 0, 0, 0]));
  return makeDispatch(ctx, `sgd_update ${n}`, ctx.pipeline(shaders.sgd, 'sgd_update', { HAS_VELOCITY: Number(!!bufs.velocity) }),
    [dims, sgd.buffer, bufs.param, bufs.grad, velocity], [gridStrideGroups(n, WG)],
    // param read and written, grad read; the velocity read and written too when bound.
    { flops: (bufs.velocity ? 6 : 3) * n, bytes: 4 * n * (bufs.velocity ? 5 : 3) });
}
