// The optimizer on the GPU (shaders/optimizer.wgsl) and its standalone in-place step
// (shaders/update.wgsl); CPU twin: optimizerUpdateCpu. param and grad hold n f32 values, the
// state n * stateFloats, interleaved. The hyper-parameters are an OptimizerParams, shared by every
// tensor's update.
import { checkOptimizerSettings, OPTIMIZER_TABLE, stateFloats, type OptimizerKind, type OptimizerSettings } from '../../model/optimizers.ts';
import type { GpuContext } from '../context.ts';
import { gridStrideGroups, makeDispatch, type Dispatch } from '../dispatch.ts';
import { shaders, wgslConst } from '../shaders.ts';

const WG = wgslConst(shaders.update, 'WG');

/** The shader's Hyper struct. The derived factors are rounded from float64 here (see the WGSL's
 * comment). stepBase: the optimizer steps taken before the pass whose record counter the kernels
 * read. */
function packHyper(s: OptimizerSettings, stepBase: number): DataView {
  checkOptimizerSettings(s);
  // t reaches the bias corrections as an f32, exact below 2^24; an optimizer that does not count
  // steps (SGD) only needs the u32 word, so a long run at batch 1 is not refused for it.
  const limit = OPTIMIZER_TABLE[s.kind].countsSteps ? 2 ** 24 : 2 ** 32;
  if (!(Number.isInteger(stepBase) && stepBase >= 0 && stepBase < limit)) {
    throw new RangeError(`optimizer: ${s.kind}'s stepBase must be an integer in [0, ${limit}), got ${stepBase}`);
  }
  const data = new DataView(new ArrayBuffer(64));
  // Word by word as the struct declares them; null: a u32 word, written below.
  const f32 = [s.lr, s.momentum, s.weightDecay, null, s.beta1, s.beta2, s.eps, null,
    1 - s.beta1, 1 - s.beta2, Math.log2(s.beta1), Math.log2(s.beta2), 1 - s.lr * s.weightDecay];
  f32.forEach((v, i) => v !== null && data.setFloat32(4 * i, v, true));
  data.setUint32(12, Number(s.nesterov), true);
  data.setUint32(28, stepBase, true);
  return data;
}

/** One uniform of hyper-parameters that every update dispatch binds, rewritten between submits
 * (a learning-rate schedule, the step count of each pass). The kind and the state it keeps are
 * fixed at creation: the update dispatches are built once, each with or without a state buffer. */
export class OptimizerParams {
  private constructor(
    readonly buffer: GPUBuffer,
    readonly kind: OptimizerKind,
    /** State floats per parameter element: every update binds n * this of state (none when 0). */
    readonly stateFloats: number,
  ) {}

  static create(ctx: GpuContext, s: OptimizerSettings, stepBase = 0): OptimizerParams {
    return new OptimizerParams(ctx.uniform(`${s.kind} hyper`, packHyper(s, stepBase)), s.kind, stateFloats(s));
  }

  /** New hyper-parameters and step base; they take effect from the next submit. */
  write(ctx: GpuContext, s: OptimizerSettings, stepBase = 0): void {
    if (s.kind !== this.kind || stateFloats(s) !== this.stateFloats) {
      throw new Error(`optimizer: cannot change ${this.kind} with ${this.stateFloats} state floats into ${s.kind} with ${stateFloats(s)}: the updates were built for the first`);
    }
    ctx.write(this.buffer, packHyper(s, stepBase));
  }

  /** The override constants of every kernel that runs this optimizer's step. */
  get constants(): Record<string, number> {
    return { OPTIMIZER: OPTIMIZER_TABLE[this.kind].code, STATE: this.stateFloats };
  }

  /** Checks one tensor's state (n elements) against the optimizer: required when it keeps any.
   * Returns it; null means the binding is unused. */
  stateBinding(what: string, state: GPUBuffer | null, n: number): GPUBuffer | null {
    if (!state && this.stateFloats > 0) throw new Error(`${what}: ${this.kind} needs a state buffer (${n * this.stateFloats} zero-filled f32)`);
    if (state && this.stateFloats === 0) throw new Error(`${what}: ${this.kind} without momentum keeps no state, but a state buffer was given`);
    if (state && state.size < 4 * n * this.stateFloats) throw new Error(`${what}: the state buffer holds ${state.size / 4} f32, ${n * this.stateFloats} needed`);
    return state;
  }
}

/** The epilogue of a kernel whose output is a parameter's gradient: instead of storing it, the
 * parameter (the kernel's output buffer) takes an optimizer step with it and its state. `record`
 * is the run record whose step counter, already advanced by this step's metrics, gives t. Shared
 * by the matmul (weights) and bias-gradient (biases) kernels. */
export interface UpdateEpilogue {
  kind: 'update';
  optimizer: OptimizerParams;
  state: GPUBuffer | null;
  record: GPUBuffer;
}

export interface UpdateBuffers {
  param: GPUBuffer;
  grad: GPUBuffer;
  /** Zero-filled at the start; required when the optimizer keeps state. */
  state: GPUBuffer | null;
  /** The run record (t = stepBase + its counter). */
  record: GPUBuffer;
}

export function updateDispatch(ctx: GpuContext, optimizer: OptimizerParams, bufs: UpdateBuffers, n: number): Dispatch {
  if (!(n > 0)) throw new RangeError(`optimizer update: n must be positive, got ${n}`);
  const state = optimizer.stateBinding('optimizer update', bufs.state, n) ?? ctx.unusedStorage(0);
  const dims = ctx.uniform('update dims', new Uint32Array([n, 0, 0, 0]));
  const S = optimizer.stateFloats;
  return makeDispatch(ctx, `${optimizer.kind}_update ${n}`, ctx.pipeline(shaders.update, 'optimizer_update', optimizer.constants),
    [dims, optimizer.buffer, bufs.param, bufs.grad, state, bufs.record], [gridStrideGroups(n, WG)],
    // param read and written, grad read, the state read and written.
    { flops: (3 + 4 * S) * n, bytes: 4 * n * (3 + 2 * S) });
}
