// Section 2: every matmul variant on the shapes a training step of the 784-512-256-10 MLP runs,
// at each batch size: per layer the forward x W^T (+ bias, + sigmoid on hidden layers), the
// weight gradient dz^T x (TRANS_A) and, past the first layer, the input gradient dz W. Each
// (variant, shape) is checked against matmulCpu before it is timed.
import type { GpuContext } from '../gpu/context.ts';
import { matmulDispatch, resolveMatmulVariant, STORE, type MatmulVariant } from '../gpu/kernels/matmul.ts';
import { randomArray } from '../data/prng.ts';
import { matmulCpu, type MatmulShape } from '../reference/kernels.ts';
import { MNIST_MLP_SIZES, resolveMlp } from '../reference/mlp.ts';
import type { PeakProbe } from './ceiling.ts';
import { medianRatio, timeInterleaved, type TimingBudget } from './timing.ts';
import { runDispatches } from '../gpu/runner.ts';
import type { MatmulRole, MatmulRow } from './types.ts';
import type { Validator } from './validate.ts';
import { TOLERANCES } from '../reference/tolerance.ts';


export interface TrainingMatmul {
  layer: string;
  role: MatmulRole;
  shape: MatmulShape;
  bias: boolean;
}

/** The matmuls of one training step at batch B, in the order the step runs them. */
export function trainingMatmuls(B: number, sizes: readonly number[] = MNIST_MLP_SIZES): TrainingMatmul[] {
  const layers = resolveMlp(sizes).map((l) => ({ name: l.name, in: l.inShape[0], out: l.outShape[0], activation: l.activation }));
  const list: TrainingMatmul[] = layers.map((l) => ({
    layer: l.name,
    role: 'forward' as const,
    shape: { M: B, N: l.out, K: l.in, transB: true, activation: l.activation },
    bias: true,
  }));
  for (let i = layers.length - 1; i >= 0; i--) {
    const l = layers[i];
    list.push({ layer: l.name, role: 'backward dW', shape: { M: l.out, N: l.in, K: B, transA: true }, bias: false });
    if (i > 0) list.push({ layer: l.name, role: 'backward dX', shape: { M: B, N: l.in, K: l.out }, bias: false });
  }
  return list;
}

export interface MatmulBenchOptions {
  batches: number[];
  variants: MatmulVariant[];
  /** Past the first batch size, a variant more than this many times slower than the fastest on
   * the same layer and role at the first batch is not timed (recorded as skipped): shared-memory
   * tiling takes seconds per call on CPU adapters. */
  skipSlowerThan: number;
}

export async function benchMatmuls(
  ctx: GpuContext,
  opts: MatmulBenchOptions,
  budget: TimingBudget,
  probe: PeakProbe | null,
  v: Validator,
  log: (s: string) => void,
): Promise<{ rows: MatmulRow[]; skipped: string[] }> {
  const rows: MatmulRow[] = [];
  const skipped: string[] = [];
  const firstBatch = opts.batches[0];
  for (const B of opts.batches) {
    for (const [idx, mm] of trainingMatmuls(B).entries()) {
      const { M, N, K, transA = false, transB = false } = mm.shape;
      const a = randomArray(M * K, 1000 * B + 2 * idx);
      const b = randomArray(K * N, 1000 * B + 2 * idx + 1);
      const bias = mm.bias ? randomArray(N, 7 * idx + 3) : null;
      const ref = matmulCpu(a, b, bias, mm.shape);
      const bufs = {
        a: ctx.storage('bench A', a),
        b: ctx.storage('bench B', b),
        bias: bias ? ctx.storage('bench bias', bias) : null,
        c: ctx.storage('bench C', M * N * 4),
      };
      const flops = 2 * M * N * K;
      for (const variant of opts.variants) {
        const name = `matmul ${variant} ${mm.layer} ${mm.role} B=${B} ${M}x${N}x${K}`;
        if (B !== firstBatch) {
          const atFirst = rows.filter((r) => r.batch === firstBatch && r.layer === mm.layer && r.role === mm.role && r.ms !== null);
          const mine = atFirst.find((r) => r.variant === variant);
          const best = Math.min(...atFirst.map((r) => r.ms!));
          if (!mine || mine.ms! > opts.skipSlowerThan * best) {
            skipped.push(`${name}: not timed, ${mine ? `${(mine.ms! / best).toFixed(1)}x` : 'no result'} the fastest at B=${firstBatch}`);
            continue;
          }
        }
        const d = matmulDispatch(ctx, variant, bufs, mm.shape,
          bufs.bias ? { kind: 'bias', bias: bufs.bias, activation: mm.shape.activation ?? 'none' } : STORE);
        ctx.write(bufs.c, new Float32Array(M * N).fill(NaN));
        await runDispatches(ctx, [d], 1);
        const ok = v.check(name, await ctx.readF32(bufs.c, M * N), ref, TOLERANCES.matmul);
        const base = {
          variant,
          ran: resolveMatmulVariant(variant, mm.shape),
          batch: B,
          layer: mm.layer,
          role: mm.role,
          M, N, K, transA, transB,
          epilogue: [mm.bias ? 'bias' : '', mm.shape.activation === 'sigmoid' ? 'sigmoid' : ''].filter(Boolean).join('+') || 'none',
          flops,
        };
        if (!ok) {
          rows.push({ ...base, ms: null, gflops: null, fractionOfPeak: null, peakGflopsBeside: null, timing: null });
          continue;
        }
        // Timed round by round beside the peak shader: the fraction of peak is the median of the
        // rounds' ratios, steady even when the machine's load is not.
        const runs = [(inner: number) => runDispatches(ctx, [d], inner)];
        if (probe) runs.push((inner: number) => runDispatches(ctx, [probe.dispatch], inner));
        const { timings, samples } = await timeInterleaved(runs, budget);
        const timing = timings[0];
        const gflops = flops / timing.ms / 1e6;
        // (flops / t_matmul) / (probeFlops / t_probe), round by round.
        const fractionOfPeak = probe ? medianRatio(samples[1], samples[0]) * (flops / probe.flops) : null;
        rows.push({ ...base, ms: timing.ms, gflops, fractionOfPeak, peakGflopsBeside: probe ? probe.flops / timings[1].ms / 1e6 : null, timing });
        log(`${name}: ${timing.ms.toFixed(3)} ms, ${gflops.toFixed(2)} GFLOP/s` +
          (fractionOfPeak !== null ? `, ${(100 * fractionOfPeak).toFixed(0)}% of the peak measured beside it` : ''));
      }
      for (const buf of Object.values(bufs)) if (buf) ctx.destroyBuffer(buf);
    }
  }
  return { rows, skipped };
}
