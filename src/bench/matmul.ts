// Section 2: every matmul variant on the matmuls a training step of the 784-512-256-10 MLP runs,
// at each batch size, as the step asks for them (trainingMatmuls): the forward x W^T with its
// bias + sigmoid, the input gradient dz W fused with the sigmoid's backward, the weight gradient
// dz^T x fused with its SGD update. Each (variant, shape) is checked against matmulCpu before it
// is timed.
import type { GpuContext } from '../gpu/context.ts';
import { epilogueName, matmulDispatch, resolveMatmulVariant, STORE, type MatmulDims, type MatmulEpilogue, type MatmulVariant } from '../gpu/kernels/matmul.ts';
import { KernelChooser, timingEpilogue } from '../gpu/kernel-choice.ts';
import { chooseStepKernels } from '../train/step.ts';
import { randomArray } from '../data/prng.ts';
import { matmulCpu } from '../reference/kernels.ts';
import { MNIST_MLP_SIZES, notebookSpec, resolveMlp } from '../reference/mlp.ts';
import type { PeakProbe } from './ceiling.ts';
import { medianRatio, timeInterleaved, type TimingBudget } from './timing.ts';
import { runDispatches } from '../gpu/runner.ts';
import type { MatmulRole, MatmulRow } from './types.ts';
import type { Validator } from './validate.ts';
import { TOLERANCES } from '../reference/tolerance.ts';


export interface TrainingMatmul {
  layer: string;
  role: MatmulRole;
  dims: MatmulDims;
  /** As the step runs it; timed on buffers of the bench's own. */
  epilogue: MatmulEpilogue;
}

/** The matmuls of one training step of the notebook's network at batch B, as the step itself asks
 * for them (src/train/step.ts, fused as training runs): each named by its layer and role. */
export async function trainingMatmuls(ctx: GpuContext, B: number, sizes: readonly number[] = MNIST_MLP_SIZES): Promise<TrainingMatmul[]> {
  const chooser = await KernelChooser.create(ctx, { force: 'naive', cache: null });
  await chooseStepKernels(ctx, chooser, notebookSpec(sizes), resolveMlp(sizes), B, []);
  const layers = resolveMlp(sizes).map((l) => ({ name: l.name, in: l.inShape[0], out: l.outShape[0] }));
  return [...chooser.problems.values()].map(({ dims, epilogue }) => {
    const role: MatmulRole = epilogue.kind === 'bias' ? 'forward' : dims.transA ? 'backward dW' : 'backward dX';
    const layer = layers.find((l) => role === 'forward' ? dims.N === l.out && dims.K === l.in
      : role === 'backward dW' ? dims.M === l.out && dims.N === l.in : dims.N === l.in && dims.K === l.out);
    return { layer: layer?.name ?? '?', role, dims, epilogue };
  });
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
    for (const [idx, mm] of (await trainingMatmuls(ctx, B)).entries()) {
      const { M, N, K, transA = false, transB = false } = mm.dims;
      const a = randomArray(M * K, 1000 * B + 2 * idx);
      const b = randomArray(K * N, 1000 * B + 2 * idx + 1);
      const ref = matmulCpu(a, b, null, mm.dims);
      const release = ctx.trackNewBuffers();
      const bufs = { a: ctx.storage('bench A', a), b: ctx.storage('bench B', b), c: ctx.storage('bench C', M * N * 4) };
      const epilogue = timingEpilogue(ctx, mm.dims, mm.epilogue);
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
        // Validated on the product alone (the epilogues have their own kernel tests against their
        // twins, test/gpu/matmul.test.ts), then timed with the step's epilogue.
        ctx.write(bufs.c, new Float32Array(M * N).fill(NaN));
        await runDispatches(ctx, [matmulDispatch(ctx, variant, bufs, mm.dims, STORE)], 1);
        const ok = v.check(name, await ctx.readF32(bufs.c, M * N), ref, TOLERANCES.matmul);
        const d = matmulDispatch(ctx, variant, bufs, mm.dims, epilogue);
        const base = {
          variant,
          ran: resolveMatmulVariant(variant, mm.dims),
          batch: B,
          layer: mm.layer,
          role: mm.role,
          M, N, K, transA, transB,
          epilogue: epilogueName(mm.epilogue),
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
      release();
    }
  }
  return { rows, skipped };
}
