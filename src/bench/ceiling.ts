// Section 1: the adapter's own ceiling. Peak arithmetic from a multiply-add-only shader, memory
// bandwidth from a copy, and the fixed costs every step pays: a dispatch and a submit + read-back.
import type { GpuContext } from '../gpu/context.ts';
import type { Dispatch } from '../gpu/dispatch.ts';
import { benchCopyDispatch, benchEmptyDispatch, benchFmaDispatch, FMA_C, FMA_CHAINS, FMA_M, FMA_PER_ROUND } from '../gpu/kernels/bench.ts';
import { benchCopyCpu, benchFmaCpu } from '../reference/bench.ts';
import { TOLERANCES } from '../reference/tolerance.ts';
import { timeDispatches, timeInterleaved, timeUnits, type TimingBudget } from './timing.ts';
import { runDispatches } from '../gpu/runner.ts';
import type { CeilingResult } from './types.ts';
import type { Validator } from './validate.ts';

const FMA_ITERS = 16;

/** The peak shader, kept to be timed again beside each kernel whose fraction of peak is
 * reported (a shared machine's load changes within a run). */
export interface PeakProbe {
  dispatch: Dispatch;
  flops: number;
  release(): void;
}

export async function measureCeiling(
  ctx: GpuContext,
  budget: TimingBudget,
  v: Validator,
  log: (s: string) => void,
): Promise<{ ceiling: CeilingResult; probe: PeakProbe } | null> {
  // Grow the grid until one dispatch takes a few ms: small enough for a CPU adapter, large
  // enough that a real GPU is busy rather than waiting on its own launch.
  let invocations = 4096;
  const maxInvocations = 4096 * 256;
  const sums = ctx.storage('bench sums', maxInvocations * 4);
  for (;;) {
    const d = benchFmaDispatch(ctx, sums, invocations, FMA_ITERS);
    await runDispatches(ctx, [d], 1);
    const t0 = performance.now();
    await runDispatches(ctx, [d], 1);
    if (performance.now() - t0 > 4 || invocations >= maxInvocations) break;
    invocations *= 4;
  }
  const okFma = [false, true].map((builtin) => {
    return { builtin, d: benchFmaDispatch(ctx, sums, invocations, FMA_ITERS, builtin) };
  });
  const ref = benchFmaCpu(invocations, FMA_ITERS * FMA_PER_ROUND, FMA_CHAINS, FMA_M, FMA_C);
  let valid = true;
  for (const { builtin, d } of okFma) {
    await runDispatches(ctx, [d], 1);
    valid = v.check(`bench_fma${builtin ? '_builtin' : ''} ${invocations}x${FMA_ITERS}`, await ctx.readF32(sums, invocations), ref, TOLERANCES.benchFma) && valid;
  }

  // Copy: 32 MiB each way, past any CPU's last-level cache share of it and a GPU's L2.
  const copyBytes = 32 * 1024 * 1024;
  const n4 = copyBytes / 16;
  const srcData = Float32Array.from({ length: copyBytes / 4 }, (_, i) => (i % 1009) * 0.5 - 17);
  const src = ctx.storage('bench copy src', srcData);
  const dst = ctx.storage('bench copy dst', copyBytes);
  const copy = benchCopyDispatch(ctx, src, dst, n4);
  await runDispatches(ctx, [copy], 1);
  valid = v.check('bench_copy 32 MiB', await ctx.readF32(dst, srcData.length), benchCopyCpu(srcData), TOLERANCES.exact) && valid;

  const empty = benchEmptyDispatch(ctx, sums);
  // The empty kernel must leave its sink alone: sums[0] holds the last fma sum.
  const before = await ctx.readF32(sums, 1);
  await runDispatches(ctx, [empty], 8);
  valid = v.check('bench_empty writes nothing', await ctx.readF32(sums, 1), before, TOLERANCES.exact) && valid;
  if (!valid) {
    for (const b of [sums, src, dst]) ctx.destroyBuffer(b);
    return null;
  }

  log(`ceiling: timing fma (${invocations} invocations x ${FMA_ITERS} rounds)`);
  // The two forms side by side, round by round, so the faster is not just the luckier.
  const { timings: [fma, fmaBuiltin] } = await timeInterleaved(okFma.map(({ d }) => (inner: number) => runDispatches(ctx, [d], inner)), budget);
  log('ceiling: timing copy, empty dispatch, submit + read-back');
  const copyT = await timeDispatches(ctx, [copy], budget);
  const emptyT = await timeDispatches(ctx, [empty], { ...budget, maxInner: 2000 });
  const submitT = await timeUnits(async (inner) => {
    for (let i = 0; i < inner; i++) {
      ctx.device.queue.submit([ctx.device.createCommandEncoder().finish()]);
      await ctx.sync();
    }
  }, budget);
  ctx.destroyBuffer(src);
  ctx.destroyBuffer(dst);
  const flops = okFma[0].d.cost!.flops;
  const fmaGflops = flops / fma.ms / 1e6;
  const fmaBuiltinGflops = flops / fmaBuiltin.ms / 1e6;
  const ceiling: CeilingResult = {
    fmaGflops,
    fmaBuiltinGflops,
    peakGflops: Math.max(fmaGflops, fmaBuiltinGflops),
    fmaShape: { invocations, iters: FMA_ITERS, flops },
    copyGBps: (2 * copyBytes) / copyT.ms / 1e6,
    copyBytes,
    emptyDispatchUs: emptyT.ms * 1000,
    submitReadbackMs: submitT.ms,
    timings: { fma, fmaBuiltin, copy: copyT, empty: emptyT, submitReadback: submitT },
  };
  const best = fmaBuiltinGflops > fmaGflops ? okFma[1].d : okFma[0].d;
  return { ceiling, probe: { dispatch: best, flops, release: () => ctx.destroyBuffer(sums) } };
}
