// db = column sums of dY (shaders/bias_grad.wgsl); CPU twin: biasGradCpu (then optimizerUpdateCpu
// for the update epilogue). dY is (M,N), db is (N).
import type { GpuContext } from '../context.ts';
import { ceilDiv, makeDispatch, type Dispatch } from '../dispatch.ts';
import { shaders, wgslConst } from '../shaders.ts';
import type { UpdateEpilogue } from './optimizer.ts';

export const BIAS_GRAD_VARIANTS = ['serial', 'workgroup'] as const;
export type BiasGradVariant = (typeof BIAS_GRAD_VARIANTS)[number];

/** Columns of dY one workgroup covers, per variant. */
const COLUMNS: Record<BiasGradVariant, number> = {
  serial: wgslConst(shaders.biasGrad, 'SERIAL_WG'),
  workgroup: wgslConst(shaders.biasGrad, 'COLS'),
};

/** store: db = the column sums; update: db is the bias itself, updated in place by an optimizer
 * step on the column sums. */
export type BiasGradEpilogue = { kind: 'store' } | UpdateEpilogue;

export function biasGradDispatch(
  ctx: GpuContext,
  variant: BiasGradVariant,
  bufs: { dY: GPUBuffer; db: GPUBuffer },
  shape: { M: number; N: number },
  epilogue: BiasGradEpilogue = { kind: 'store' },
): Dispatch {
  const { M, N } = shape;
  if (!(M > 0 && N > 0)) throw new RangeError(`biasGrad: M and N must be positive, got ${M}, ${N}`);
  const update = epilogue.kind === 'update' ? epilogue : null;
  const hyper = update ? update.optimizer.buffer : ctx.uniformPlaceholder;
  const state = update?.optimizer.stateBinding('biasGrad update epilogue', update.state, N) ?? ctx.unusedStorage(0);
  const S = update?.optimizer.stateFloats ?? 0;
  const dims = ctx.uniform('bias_grad dims', new Uint32Array([M, N, 0, 0]));
  const pipeline = ctx.pipeline(shaders.biasGrad, `bias_grad_${variant}`, { UPDATE: Number(!!update), ...(update ? update.optimizer.constants : {}) });
  return makeDispatch(ctx, `bias_grad_${variant} ${M}x${N}${update ? ` +${update.optimizer.kind}` : ''}`, pipeline,
    [dims, bufs.dY, bufs.db, hyper, state, update?.record ?? ctx.unusedStorage(1)], [ceilDiv(N, COLUMNS[variant])],
    { flops: M * N + (update ? 3 * N : 0), bytes: 4 * (M * N + N * (update ? 2 + 2 * S : 1)) });
}
