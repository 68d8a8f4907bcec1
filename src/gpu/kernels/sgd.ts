// In-place SGD step (shaders/sgd.wgsl); CPU twin: sgdUpdateCpu. param, grad and velocity each
// hold n f32 values; hyper is the uniform made by createSgdHyper, shared by every tensor.
import type { SgdOptions } from '../../reference/kernels.ts';
import type { GpuContext } from '../context.ts';
import { gridStrideGroups, makeDispatch, type Dispatch } from '../dispatch.ts';
import { shaders } from '../shaders.ts';

// A uniform cannot be inspected from the CPU, so what each hyper buffer holds is remembered here:
// a momentum step bound without a velocity buffer would otherwise drop the momentum silently.
interface HyperState {
  momentum: number;
  /** Some dispatch binds this hyper buffer without a velocity. */
  boundWithoutVelocity: boolean;
}
const hyperStates = new WeakMap<GPUBuffer, HyperState>();

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

export function createSgdHyper(ctx: GpuContext, opts: SgdOptions): GPUBuffer {
  const buffer = ctx.uniform('sgd hyper', packHyper(opts));
  hyperStates.set(buffer, { momentum: opts.momentum ?? 0, boundWithoutVelocity: false });
  return buffer;
}

/** Rewrites the hyper-parameters (a learning-rate schedule); takes effect from the next submit. */
export function writeSgdHyper(ctx: GpuContext, buffer: GPUBuffer, opts: SgdOptions): void {
  const state = stateOf(buffer);
  const momentum = opts.momentum ?? 0;
  if (momentum !== 0 && state.boundWithoutVelocity) {
    throw new Error(`sgd: cannot turn momentum on (${momentum}): dispatches without a velocity buffer share this hyper buffer`);
  }
  const data = packHyper(opts);
  ctx.device.queue.writeBuffer(buffer, 0, data.buffer);
  state.momentum = momentum;
}

export interface SgdBuffers {
  param: GPUBuffer;
  grad: GPUBuffer;
  /** Zero-filled at the start; required when momentum > 0. */
  velocity?: GPUBuffer | null;
  hyper: GPUBuffer;
}

/** Checks a dispatch's SGD bindings before it is made: a hyper buffer from createSgdHyper, and a
 * velocity of n zero-filled f32 whenever momentum is (or may later be turned) on. Used by every
 * kernel that updates parameters (this one, and the fused matmul and bias-gradient epilogues). */
export function checkSgdBindings(what: string, hyper: GPUBuffer, velocity: GPUBuffer | null | undefined, n: number): void {
  const state = stateOf(hyper);
  if (!velocity) {
    if (state.momentum !== 0) throw new Error(`${what}: momentum ${state.momentum} needs a velocity buffer (${n} zero-filled f32)`);
    state.boundWithoutVelocity = true;
  }
}

export function sgdDispatch(ctx: GpuContext, bufs: SgdBuffers, n: number): Dispatch {
  if (!(n > 0)) throw new RangeError(`sgd: n must be positive, got ${n}`);
  checkSgdBindings('sgd', bufs.hyper, bufs.velocity, n);
  const dims = ctx.uniform('sgd dims', new Uint32Array([n, 0, 0, 0]));
  return makeDispatch(ctx, `sgd_update ${n}`, ctx.pipeline(shaders.sgd, 'sgd_update', { HAS_VELOCITY: Number(!!bufs.velocity) }),
    [dims, bufs.hyper, bufs.param, bufs.grad, bufs.velocity ?? ctx.placeholder], [gridStrideGroups(n)],
    // param read and written, grad read; the velocity read and written too when bound.
    { flops: (bufs.velocity ? 6 : 3) * n, bytes: 4 * n * (bufs.velocity ? 5 : 3) });
}

function stateOf(buffer: GPUBuffer): HyperState {
  const state = hyperStates.get(buffer);
  if (!state) throw new Error('sgd: the hyper buffer must come from createSgdHyper');
  return state;
}
