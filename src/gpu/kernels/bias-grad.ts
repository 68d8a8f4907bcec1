// db = column sums of dY (shaders/bias_grad.wgsl); CPU twin: biasGradCpu. dY is (M,N), db is (N).
import type { GpuContext } from '../context.ts';
import { ceilDiv, makeDispatch, type Dispatch } from '../dispatch.ts';
import { shaders } from '../shaders.ts';

export const BIAS_GRAD_VARIANTS = ['serial', 'workgroup'] as const;
export type BiasGradVariant = (typeof BIAS_GRAD_VARIANTS)[number];

/** Columns of dY one workgroup covers, per variant. */
const COLUMNS: Record<BiasGradVariant, number> = { serial: 64, workgroup: 32 };

export function biasGradDispatch(
  ctx: GpuContext,
  variant: BiasGradVariant,
  bufs: { dY: GPUBuffer; db: GPUBuffer },
  shape: { M: number; N: number },
): Dispatch {
  const { M, N } = shape;
  if (!(M > 0 && N > 0)) throw new RangeError(`biasGrad: M and N must be positive, got ${M}, ${N}`);
  const dims = ctx.uniform('bias_grad dims', new Uint32Array([M, N, 0, 0]));
  return makeDispatch(ctx, `bias_grad_${variant} ${M}x${N}`, ctx.pipeline(shaders.biasGrad, `bias_grad_${variant}`),
    [dims, bufs.dY, bufs.db], [ceilDiv(N, COLUMNS[variant])], { flops: M * N, bytes: 4 * (M * N + N) });
}
