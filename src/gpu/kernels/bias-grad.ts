// db = column sums of dY (shaders/bias_grad.wgsl); CPU twin: biasGradCpu (then sgdUpdateCpu for
// the SGD epilogue). dY is (M,N), db is (N).
import type { GpuContext } from '../context.ts';
import { ceilDiv, makeDispatch, type Dispatch } from '../dispatch.ts';
import { shaders, wgslConst } from '../shaders.ts';
import type { SgdEpilogue } from './sgd.ts';

export const BIAS_GRAD_VARIANTS = ['serial', 'workgroup'] as const;
export type BiasGradVariant = (typeof BIAS_GRAD_VARIANTS)[number];

/** Columns of dY one workgroup covers, per variant. */
const COLUMNS: Record<BiasGradVariant, number> = {
  serial: wgslConst(shaders.biasGrad, 'SERIAL_WG'),
  workgroup: wgslConst(shaders.biasGrad, 'COLS'),
};

/** store: db = the column sums; sgd: db is the bias itself, updated in place by an SGD step on
 * the column sums. */
export type BiasGradEpilogue = { kind: 'store' } | SgdEpilogue;

export function biasGradDispatch(
  ctx: GpuContext,
  variant: BiasGradVariant,
  bufs: { dY: GPUBuffer; db: GPUBuffer },
  shape: { M: number; N: number },
  epilogue: BiasGradEpilogue = { kind: 'store' },
): Dispatch {
  const { M, N } = shape;
  if (!(M > 0 && N > 0)) throw new RangeError(`biasGrad: M and N must be positive, got ${M}, ${N}`);
  const sgd = epilogue.kind === 'sgd' ? epilogue : null;
  const hyper = sgd ? sgd.sgd.buffer : ctx.uniformPlaceholder;
  const velocity = sgd?.sgd.velocityBinding('biasGrad SGD epilogue', sgd.velocity, N) ?? ctx.unusedStorage(0);
  const dims = ctx.uniform('bias_grad dims', new Uint32Array([M, N, 0, 0]));
  const pipeline = ctx.pipeline(shaders.biasGrad, `bias_grad_${variant}`, { SGD: Number(!!sgd), HAS_VELOCITY: Number(!!sgd?.velocity) });
  return makeDispatch(ctx, `bias_grad_${variant} ${M}x${N}${sgd ? ' +sgd' : ''}`, pipeline,
    [dims, bufs.dY, bufs.db, hyper, velocity], [ceilDiv(N, COLUMNS[variant])],
    { flops: M * N + (sgd ? 3 * N : 0), bytes: 4 * (M * N + N * (sgd ? (sgd.velocity ? 4 : 2) : 1)) });
}
