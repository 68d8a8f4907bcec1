// A sweep's runs grouped by configuration (one group per configuration, its seeds summarised),
// best first: what the README, results.md, `sweep --from --top` and the dashboard's tuning
// homework all rank by. Computed from results.json alone; no rendering here, so the page can
// import it without the docs' chart renderer.
import type { RunRecord, SweepResults } from './run.ts';

export interface GroupSummary {
  group: string;
  label: string;
  seeds: number[];
  epochs: number;
  /** The fewest epochs any of its seeds trained (less than `epochs` when halving stopped it). */
  epochsRun: number;
  complete: boolean;
  finals: number[];
  finalMean: number;
  /** Sample standard deviation over the seeds (0 for one seed). */
  finalSd: number;
  bestMean: number;
  seconds: number;
  diverged: number;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: number[]) => (xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1)));

/** One summary per configuration: finished ones first, best mean final accuracy first. */
export function summarise(results: SweepResults): GroupSummary[] {
  const groups = new Map<string, RunRecord[]>();
  for (const r of results.runs) groups.set(r.group, [...(groups.get(r.group) ?? []), r]);
  const summaries = [...groups.values()].map((runs): GroupSummary => {
    runs.sort((a, b) => a.config.seed - b.config.seed);
    const finals = runs.map((r) => r.testAccuracy.at(-1) ?? NaN);
    const epochsRun = Math.min(...runs.map((r) => r.epochsRun));
    return {
      group: runs[0].group,
      label: runs[0].label,
      seeds: runs.map((r) => r.config.seed),
      epochs: runs[0].config.epochs,
      epochsRun,
      complete: runs.every((r) => r.epochsRun === r.config.epochs),
      finals,
      finalMean: mean(finals),
      finalSd: sd(finals),
      bestMean: mean(runs.map((r) => Math.max(...r.testAccuracy))),
      seconds: runs.reduce((a, r) => a + r.seconds, 0),
      diverged: runs.filter((r) => r.diverged !== null).length,
    };
  });
  const key = (s: GroupSummary) => (s.complete ? 1e6 : 0) + s.epochsRun * 1e3 + (Number.isNaN(s.finalMean) ? -1e3 : s.finalMean);
  return summaries.sort((a, b) => key(b) - key(a));
}
