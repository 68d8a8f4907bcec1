// db = column sums of dY (shaders/bias_grad.wgsl); CPU twin: biasGradCpu (then sgdUpdateCpu for
// the fused SGD epilogue). dY is (M,N), db is (N).
import type { GpuContext } from '../context.ts';
import { ceilDiv, makeDispatch, type Dispatch } from '../dispatch.ts';
import { shaders } from '../shaders.ts';
import { checkSgdBindings } from './sgd.ts';

export const BIAS_GRAD_VARIANTS = ['serial', 'workgroup'] as const;
export type BiasGradVariant = (typeof BIAS_GRAD_VARIANTS)[number];

/** Columns of dY one workgroup covers, per variant. */
const COLUMNS: Record<BiasGradVariant, number> = { serial: 64, workgroup: 32 };

/** With `hyper`, db is the bias itself and is updated in place by an SGD step on the column sums
 * (the velocity, N zero-filled f32, is required when momentum is on). */
export function biasGradDispatch(
  ctx: GpuContext,
  variant: BiasGradVariant,
  bufs: { dY: GPUBuffer; db: GPUBuffer; hyper?: GPUBuffer | null; velocity?: GPUBuffer | null },
  shape: { M: number; N: number },
): Dispatch {
  const { M, N } = shape;
  if (!(M > 0 && N > 0)) throw new RangeError(`biasGrad: M and N must be positive, got ${M}, ${N}`);
  const sgd = !!bufs.hyper;
  if (bufs.velocity && !sgd) throw new Error('biasGrad: a velocity buffer needs the SGD epilogue (hyper)');
  if (sgd) checkSgdBindings('biasGrad SGD epilogue', bufs.hyper!, bufs.velocity, N);
  const dims = ctx.uniform('bias_grad dims', new Uint32Array([M, N, 0, 0]));
  const pipeline = ctx.pipeline(shaders.biasGrad, `bias_grad_${variant}`, { SGD: Number(sgd), HAS_VELOCITY: Number(!!bufs.velocity) });
  return makeDispatch(ctx, `bias_grad_${variant} ${M}x${N}${sgd ? ' +sgd' : ''}`, pipeline,
    [dims, bufs.dY, bufs.db, bufs.hyper ?? ctx.uniformPlaceholder, bufs.velocity ?? ctx.writablePlaceholder], [ceilDiv(N, COLUMNS[variant])],
    { flops: M * N + (sgd ? 3 * N : 0), bytes: 4 * (M * N + N * (sgd ? (bufs.velocity ? 4 : 2) : 1)) });
}
