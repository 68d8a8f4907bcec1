// The whole benchmark on one GpuContext, the same in headless Chromium and in Node: validate
// each kernel against its CPU twin, then time it, section by section, and check the targets of
// the benchmark issue. `npm run bench` (src/cli/bench.ts) runs this and writes the files.
import type { GpuContext } from '../gpu/context.ts';
import { MATMUL_VARIANTS } from '../gpu/kernels/matmul.ts';
import { NOTEBOOK_RECIPE } from '../train/config.ts';
import { chooseKernels } from '../train/step.ts';
import { measureCeiling, type PeakProbe } from './ceiling.ts';
import { benchData, dataVerdict } from './data.ts';
import { benchMatmuls } from './matmul.ts';
import type { TimingBudget } from './timing.ts';
import { benchToy } from './toy.ts';
import { benchTraining } from './training.ts';
import { BENCH_SECTIONS, type BenchEnvironment, type BenchOptions, type BenchResult, type BenchSection, type TargetCheck } from './types.ts';
import { Validator } from './validate.ts';

export function defaultBenchOptions(quick: boolean): BenchOptions {
  return quick
    ? {
      quick,
      repeats: 3,
      batches: [32],
      variants: [...MATMUL_VARIANTS],
      sections: [...BENCH_SECTIONS],
      trainerChunks: 1,
      readbackEvery: null,
      targetMs: 20,
      toyWidths: [2, 256],
    }
    : {
      quick,
      repeats: 7,
      batches: [32, 128, 512],
      variants: [...MATMUL_VARIANTS],
      sections: [...BENCH_SECTIONS],
      trainerChunks: 2,
      readbackEvery: null,
      targetMs: 50,
      toyWidths: [2, 16, 64, 256, 1024, 2048],
    };
}

const pct = (x: number) => `${(100 * x).toFixed(x < 0.1 ? 1 : 0)}%`;

/** The targets are stated at batch 32; a run without it checks its first batch size. */
function checkTargets(r: BenchResult): TargetCheck[] {
  const targets: TargetCheck[] = [];
  const B = r.options.batches.includes(32) ? 32 : r.options.batches[0];
  const chosen = r.training[0]?.matmul;
  const atB = r.matmul.filter((m) => m.batch === B && m.variant === chosen && m.fractionOfPeak !== null);
  if (atB.length > 0 && r.ceiling) {
    const worst = atB.reduce((a, b) => (b.fractionOfPeak! < a.fractionOfPeak! ? b : a));
    targets.push({
      name: `every training matmul at batch ${B} (${chosen}) >= 60% of the FMA peak`,
      target: '>= 60% of peak on every shape',
      measured: atB.map((m) => `${m.layer} ${m.role} ${pct(m.fractionOfPeak!)}`).join(', ') +
        `; worst ${worst.layer} ${worst.role} at ${pct(worst.fractionOfPeak!)} (each against the FMA peak timed beside it, ` +
        `${r.ceiling.peakGflops.toFixed(2)} GFLOP/s in the ceiling section)`,
      holds: atB.every((m) => m.fractionOfPeak! >= 0.6),
    });
  }
  const tB = r.training.find((t) => t.batch === B);
  if (tB) {
    targets.push({
      name: `a whole training step at batch ${B} <= 1.25x the sum of its kernels alone`,
      target: '<= 1.25x',
      measured: `${tB.stepOverSum.toFixed(2)}x (median over interleaved rounds of trainer step / sum of its ${tB.dispatchesPerStep} ` +
        `kernels alone; medians ${tB.stepMs.toFixed(2)} / ${tB.sumStandaloneMs.toFixed(2)} ms; the step's list pipelined ` +
        `without the trainer: ${tB.pipelinedOverSum.toFixed(2)}x)`,
      holds: tB.stepOverSum <= 1.25,
    });
    targets.push({
      name: `no CPU<->GPU waits between read-back intervals (batch ${B})`,
      target: 'read-backs only at the end of each interval',
      measured: `${tB.readsPerReadback} buffer read-backs per interval of ${tB.readbackEvery} steps (counted), one submit per interval`,
      holds: tB.readsPerReadback <= 2,
    });
  }
  for (const t of r.training) {
    targets.push({
      name: `GPU buffer memory flat across timed epochs, batch ${t.batch}`,
      target: 'bytes after = bytes before',
      measured: `${t.liveBytes.before} -> ${t.liveBytes.after} bytes`,
      holds: t.liveBytes.before === t.liveBytes.after,
    });
  }
  return targets;
}

export async function runBench(
  ctx: GpuContext,
  options: BenchOptions,
  environment: BenchEnvironment,
  log: (line: string) => void,
  /** Checked before each section (Ctrl-C): the sections left are skipped and listed. */
  shouldStop: () => boolean = () => false,
): Promise<BenchResult> {
  const t0 = performance.now();
  const v = new Validator(log);
  const budget: TimingBudget = {
    repeats: options.repeats,
    targetMs: options.targetMs,
    maxInner: 1000,
    maxTotalMs: options.quick ? 4000 : 15000,
  };
  const skipped: BenchSection[] = [];
  // A section runs when asked for and no stop has been requested; the ones a stop skips are listed.
  const has = (s: BenchSection) => {
    if (!options.sections.includes(s)) return false;
    if (shouldStop()) skipped.push(s);
    return !skipped.includes(s);
  };
  const notes: string[] = [];
  if (ctx.adapter.isFallbackAdapter) {
    notes.push('CPU fallback adapter (isFallbackAdapter): every GPU figure here is a CPU running shaders, not a GPU.');
  }
  const result: BenchResult = {
    schema: 1,
    date: new Date().toISOString(),
    mode: options.quick ? 'quick' : 'full',
    options,
    environment,
    adapter: ctx.adapter,
    validation: { passed: true, checks: v.checks },
    ceiling: null,
    matmul: [],
    training: [],
    cpuReference: [],
    toy: null,
    data: null,
    interrupted: null,
    targets: [],
    notes,
    totalSeconds: 0,
  };

  let probe: PeakProbe | null = null;
  if (has('ceiling')) {
    log('ceiling: validating the bench kernels');
    const measured = await measureCeiling(ctx, budget, v, log);
    result.ceiling = measured?.ceiling ?? null;
    probe = measured?.probe ?? null;
    if (result.ceiling) {
      const c = result.ceiling;
      log(`ceiling: ${c.peakGflops.toFixed(2)} GFLOP/s peak, ${c.copyGBps.toFixed(2)} GB/s copy, ` +
        `${c.emptyDispatchUs.toFixed(1)} us per empty dispatch, ${c.submitReadbackMs.toFixed(3)} ms submit + read-back`);
    }
  }
  if (has('matmul')) {
    const { rows, skipped } = await benchMatmuls(ctx, { batches: options.batches, variants: options.variants, skipSlowerThan: 5 },
      budget, probe, v, log);
    result.matmul = rows;
    notes.push(...skipped);
  }
  probe?.release();
  const kernels = await chooseKernels(ctx);
  if (has('training')) {
    const { rows, cpu } = await benchTraining(ctx, kernels,
      { batches: options.batches, chunks: options.trainerChunks, readbackEvery: options.readbackEvery, evalSteps: 10, cpu: options.sections.includes('cpu') },
      { ...budget, maxTotalMs: options.quick ? 60_000 : 240_000 }, v, log);
    result.training = rows;
    result.cpuReference = cpu;
    notes.push('Training figures use synthetic MNIST-sized data; epoch times are extrapolated from the measured step and ' +
      'evaluation-step medians (ceil(60000/B) steps + ceil(10000/B) evaluation steps), not run.');
  }
  if (has('toy')) result.toy = await benchToy(ctx, options.toyWidths, budget, v, log);
  if (has('data')) {
    const rows = await benchData(ctx, { batches: options.batches, readbackEvery: options.readbackEvery },
      { ...budget, maxTotalMs: options.quick ? 30_000 : 120_000 }, v, log);
    // The verdict for the notebook's recipe (batch 32, 10 epochs), or the first batch measured.
    const row = rows.find((d) => d.batch === NOTEBOOK_RECIPE.batchSize) ?? rows[0];
    if (row) {
      const { choice, line } = dataVerdict(row, NOTEBOOK_RECIPE.epochs);
      // Where the shaders run on the CPU, both paths compete for the same cores as the trainer's
      // host code: the figures need not carry over to a GPU.
      const conclusion = ctx.adapter.isFallbackAdapter ? `${line} (Measured on a CPU fallback adapter: re-measure on a GPU ` +
        'before changing the trainer.)' : line;
      result.data = { rows, epochs: NOTEBOOK_RECIPE.epochs, choice, conclusion };
      log(`data: ${conclusion}`);
    }
  }

  // The CPU reference is timed inside the training section and goes with it.
  if (skipped.includes('training') && options.sections.includes('cpu')) skipped.push('cpu');
  if (skipped.length) result.interrupted = { skippedSections: skipped };
  result.validation.passed = v.passed;
  result.targets = checkTargets(result);
  result.totalSeconds = (performance.now() - t0) / 1000;
  return result;
}
