// The ceiling kernels of the benchmark (shaders/bench.wgsl); CPU twins in src/reference/bench.ts.
// None of them is used in training.
import type { GpuContext } from '../context.ts';
import { gridStrideGroups, makeDispatch, type Dispatch } from '../dispatch.ts';
import { shaders, wgslConst } from '../shaders.ts';

const FMA_WG = wgslConst(shaders.bench, 'FMA_WG');
const COPY_WG = wgslConst(shaders.bench, 'COPY_WG');

/** Independent vec4 chains per invocation in bench_fma, and their multiply-adds per round. */
export const FMA_CHAINS = 2;
export const FMA_PER_ROUND = 16;
/** x = x * m + c converges to c / (1 - m) = 1 with these (both exact in f32), so rounding errors
 * shrink instead of growing and the CPU twin can check the result at any iteration count. */
export const FMA_M = 1 - 1 / 1024;
export const FMA_C = 1 / 1024;

function params(ctx: GpuContext, iters: number, n: number): GPUBuffer {
  const data = new DataView(new ArrayBuffer(16));
  data.setUint32(0, iters, true);
  data.setUint32(4, n, true);
  data.setFloat32(8, FMA_M, true);
  data.setFloat32(12, FMA_C, true);
  return ctx.uniform('bench params', data);
}

/** `invocations` (a multiple of FMA_WG) each run `iters` rounds of FMA_PER_ROUND x FMA_CHAINS vec4
 * multiply-adds and
 * write one f32 sum to sums[invocation]. `builtin` uses WGSL's fma() instead of x * m + c. */
export function benchFmaDispatch(ctx: GpuContext, sums: GPUBuffer, invocations: number, iters: number, builtin = false): Dispatch {
  if (!(invocations > 0 && invocations % FMA_WG === 0 && iters > 0)) {
    throw new RangeError(`bench_fma: invocations must be a positive multiple of ${FMA_WG} and iters positive, got ${invocations}, ${iters}`);
  }
  const entry = builtin ? 'bench_fma_builtin' : 'bench_fma';
  return makeDispatch(ctx, `${entry} ${invocations}x${iters}`, ctx.pipeline(shaders.bench, entry),
    [params(ctx, iters, 0), sums], [invocations / FMA_WG], { flops: 2 * 4 * FMA_CHAINS * FMA_PER_ROUND * iters * invocations, bytes: 4 * invocations });
}

/** dst[i] = src[i] for n4 vec4s (16 bytes each). */
export function benchCopyDispatch(ctx: GpuContext, src: GPUBuffer, dst: GPUBuffer, n4: number): Dispatch {
  if (!(n4 > 0)) throw new RangeError(`bench_copy: n4 must be positive, got ${n4}`);
  return makeDispatch(ctx, `bench_copy ${n4 * 16} bytes`, ctx.pipeline(shaders.bench, 'bench_copy'),
    [params(ctx, 0, n4), src, dst], [gridStrideGroups(n4, COPY_WG)], { flops: 0, bytes: 2 * 16 * n4 });
}

/** One invocation that stores nothing: what a dispatch costs by itself. `sink` is never written. */
export function benchEmptyDispatch(ctx: GpuContext, sink: GPUBuffer): Dispatch {
  return makeDispatch(ctx, 'bench_empty', ctx.pipeline(shaders.bench, 'bench_empty'),
    [params(ctx, 0, 0xffffffff), sink], [1], { flops: 0, bytes: 0 });
}
