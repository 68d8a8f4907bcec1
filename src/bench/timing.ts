// How the benchmark times things: a warm-up that is never counted, then `repeats` timed runs of
// which the median is reported. GPU work is timed from the submit to the end of a 4-byte
// read-back (ctx.sync), with enough dispatches per submit that the read-back is a small share.
import type { GpuContext } from '../gpu/context.ts';
import type { Dispatch } from '../gpu/dispatch.ts';
import { runDispatches } from '../gpu/runner.ts';

export interface Timing {
  /** Median milliseconds of one unit (a dispatch, a step, an epoch), over the repeats. */
  ms: number;
  min: number;
  max: number;
  /** Timed runs (after the warm-up). */
  repeats: number;
  /** Units per timed run (dispatches per submit for GPU kernels). */
  inner: number;
}

export interface TimingBudget {
  repeats: number;
  /** Each timed run should take about this long: the number of units per run is set from the
   * warm-up so that a fixed cost per run (the read-back) is amortised. */
  targetMs: number;
  /** Cap on units per timed run. */
  maxInner: number;
  /** Fewer repeats (never below 1) when repeats * a run would exceed this. */
  maxTotalMs: number;
}

export const median = (xs: readonly number[]): number => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

const now = (): number => performance.now();

/** Times `run(inner)`, which performs `inner` units and resolves when they are done. */
export async function timeUnits(run: (inner: number) => Promise<void>, budget: TimingBudget): Promise<Timing> {
  const { timings } = await timeInterleaved([run], budget);
  return timings[0];
}

/** Chooses units per timed run for `run`: two warm-ups (the first compiles), then as many units
 * as fill about targetMs. */
async function calibrate(run: (inner: number) => Promise<void>, budget: TimingBudget): Promise<{ inner: number; perUnit: number }> {
  await run(1);
  let t0 = now();
  await run(1);
  const first = now() - t0;
  let inner = Math.max(1, Math.min(budget.maxInner, Math.round(budget.targetMs / Math.max(first, 1e-3))));
  let perUnit = first;
  if (inner > 1) {
    t0 = now();
    await run(inner);
    perUnit = (now() - t0) / inner;
    inner = Math.max(1, Math.min(budget.maxInner, Math.round(budget.targetMs / Math.max(perUnit, 1e-3))));
  }
  return { inner, perUnit };
}

/** Times several things in rounds: each round runs every one of them once, so a change in the
 * machine's load (other processes on a shared CPU) hits all of them alike, and ratios taken within
 * a round (samples[a][r] / samples[b][r]) are far steadier than ratios of separate medians.
 * Each thing's units per run are calibrated separately first (warm-up, never counted). */
export async function timeInterleaved(
  runs: readonly ((inner: number) => Promise<void>)[],
  budget: TimingBudget,
): Promise<{ timings: Timing[]; samples: number[][] }> {
  const cal: { inner: number; perUnit: number }[] = [];
  for (const run of runs) cal.push(await calibrate(run, budget));
  const perRound = cal.reduce((sum, c) => sum + c.inner * c.perUnit, 0);
  const rounds = Math.max(1, Math.min(budget.repeats, Math.floor(budget.maxTotalMs / Math.max(perRound, 1e-3))));
  const samples: number[][] = runs.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (const [i, run] of runs.entries()) {
      const t0 = now();
      await run(cal[i].inner);
      samples[i].push((now() - t0) / cal[i].inner);
    }
  }
  const timings = samples.map((xs, i) => ({ ms: median(xs), min: Math.min(...xs), max: Math.max(...xs), repeats: xs.length, inner: cal[i].inner }));
  return { timings, samples };
}

/** Median over rounds of a per-round ratio of two interleaved series. */
export const medianRatio = (num: readonly number[], den: readonly number[]): number => median(num.map((x, i) => x / den[i]));

/** Median milliseconds of one pass through `list` (one dispatch when it holds one). */
export function timeDispatches(ctx: GpuContext, list: readonly Dispatch[], budget: TimingBudget): Promise<Timing> {
  return timeUnits((inner) => runDispatches(ctx, list, inner), budget);
}
