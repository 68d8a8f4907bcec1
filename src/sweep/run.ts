// The sweep loop, the same for every runtime: runs each planned configuration through a runner
// (the WebGPU trainer in Node or a headless browser, or the CPU reference), skips what the
// results already hold, and with successive halving stops poor configurations early.
import { MAX_JSON_DEPTH, nestedTooDeeply } from '../data/json.ts';
import { ConfigError, upgradeConfig, validateConfig } from '../train/config.ts';
import type { TrainReport } from '../train/session.ts';
import { testedEpoch } from '../train/trainer.ts';
import { extraRungs, rankGroups, rungBudget, survivorCount } from './halving.ts';
import type { PlannedRun } from './plan.ts';

/** One run as the results file keeps it: enough to rank, tabulate and plot it. */
export interface RunRecord {
  key: string;
  group: string;
  label: string;
  config: TrainReport['config'];
  /** Epochs trained: less than config.epochs when halving stopped it. */
  epochsRun: number;
  testAccuracy: number[];
  testLoss: number[];
  trainLoss: number[];
  seconds: number;
  diverged: string | null;
  adapter: string;
}

export interface RungDecision {
  rung: number;
  /** Epochs each group had trained when it was ranked (per group: schedules may differ). */
  epochs: Record<string, number>;
  /** Best first; a diverged configuration scores -Infinity, which results.json holds as null. */
  ranked: { group: string; score: number | null }[];
  kept: string[];
}

export interface HalvingOptions {
  eta: number;
  minEpochs: number;
}

export interface SweepResults {
  version: 1;
  /** Every command line that added to these results, oldest first. */
  commands: string[];
  halving: HalvingOptions | null;
  runs: RunRecord[];
  rungs: RungDecision[];
}

export interface SweepRunner {
  /** Trains `run` for its first `epochs` epochs (its schedule still spans config.epochs). */
  run(run: PlannedRun, epochs: number): Promise<TrainReport>;
}

export interface SweepHooks {
  log(line: string): void;
  /** Called after every finished run with the updated results, to save them (resumability). */
  persist(results: SweepResults): Promise<void>;
  /** True once the sweep should stop (Ctrl-C): no run starts after it. */
  shouldStop?(): boolean;
}

export const emptyResults = (halving: HalvingOptions | null): SweepResults => ({ version: 1, commands: [], halving, runs: [], rungs: [] });

function toRecord(run: PlannedRun, report: TrainReport): RunRecord {
  const a = report.adapter;
  return {
    key: run.key,
    group: run.group,
    label: run.label,
    config: report.config,
    epochsRun: report.epochs.length,
    testAccuracy: report.epochs.map((e) => testedEpoch(e).testAccuracy),
    testLoss: report.epochs.map((e) => testedEpoch(e).testLoss),
    trainLoss: report.epochs.map((e) => e.trainLoss),
    seconds: report.totalSeconds,
    diverged: report.diverged,
    adapter: a ? `${a.vendor} ${a.architecture || a.device} (${report.device}, ${a.runtime})` : `${report.device} reference`,
  };
}

/** A record that already answers "train `key` for `epochs` epochs": it trained that far, or it
 * diverged (training it again would diverge again). */
const satisfies = (r: RunRecord | undefined, epochs: number) => !!r && (r.epochsRun >= epochs || r.diverged !== null);

export async function runSweep(plan: PlannedRun[], runner: SweepRunner, previous: SweepResults, halving: HalvingOptions | null, hooks: SweepHooks): Promise<SweepResults> {
  const results: SweepResults = { ...previous, halving, runs: [...previous.runs], rungs: [] };
  const byKey = () => new Map(results.runs.map((r) => [r.key, r]));
  const groups = [...new Set(plan.map((r) => r.group))];
  const extra = halving ? extraRungs(groups.length, halving.eta) : 0;
  let alive = groups;
  for (let rung = 0; rung <= extra; rung++) {
    const budget = (r: PlannedRun) => (halving ? rungBudget(r.config.epochs, rung, extra, halving.eta, halving.minEpochs) : r.config.epochs);
    const todo = plan.filter((r) => alive.includes(r.group));
    for (const r of todo) {
      const epochs = budget(r);
      const tag = `[${halving ? `rung ${rung + 1}/${extra + 1}, ` : ''}${todo.indexOf(r) + 1}/${todo.length}] ${r.label} seed=${r.config.seed}`;
      if (satisfies(byKey().get(r.key), epochs)) {
        hooks.log(`${tag}: in the results already, skipped`);
        continue;
      }
      if (hooks.shouldStop?.()) return results;
      hooks.log(`${tag}: training ${epochs} of ${r.config.epochs} epochs`);
      const report = await runner.run(r, epochs);
      // An interrupted run is not a result: its checkpoint (the runner's) continues it next time.
      if (report.stopped) return results;
      const record = toRecord(r, report);
      results.runs = [...results.runs.filter((x) => x.key !== r.key), record];
      const acc = record.testAccuracy.at(-1);
      hooks.log(`${tag}: ${record.diverged ? `diverged (${record.diverged.split('.')[0]})` : `test accuracy ${acc?.toFixed(2)}% after ${record.epochsRun} epochs`}, ${record.seconds.toFixed(1)} s`);
      await hooks.persist(results);
    }
    if (rung === extra) break;
    // Rank by the seeds' mean test accuracy at this rung's epoch; a diverged run scores -inf.
    const records = byKey();
    const epochsOf: Record<string, number> = {};
    const scores = alive.map((group) => {
      const runs = plan.filter((r) => r.group === group);
      epochsOf[group] = budget(runs[0]);
      const accs = runs.map((r) => {
        const rec = records.get(r.key)!;
        return rec.diverged ? -Infinity : rec.testAccuracy[budget(r) - 1];
      });
      return { group, score: accs.reduce((a, b) => a + b, 0) / accs.length };
    });
    const ranked = rankGroups(scores);
    const kept = ranked.slice(0, survivorCount(alive.length, halving!.eta)).map((s) => s.group);
    results.rungs.push({ rung, epochs: epochsOf, ranked, kept });
    hooks.log(`rung ${rung + 1}: kept ${kept.length} of ${alive.length} configurations (${kept.join(' | ')})`);
    alive = kept;
    await hooks.persist(results);
  }
  return results;
}

/** A results file that is not JSON or not valid results: its message names the file and the entry at fault. */
export class SweepResultsError extends Error {
  override name = 'SweepResultsError';
}

/** A results file's text as results; anything else is refused with a SweepResultsError. */
export function parseResults(text: string, file: string): SweepResults {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new SweepResultsError(`${file} is not valid JSON (${(e as Error).message}); fix it`);
  }
  if (nestedTooDeeply(parsed)) throw new SweepResultsError(`${file} nests more than ${MAX_JSON_DEPTH} levels deep; fix it`);
  const problem = resultsProblem(parsed);
  if (problem) throw new SweepResultsError(`${file}: ${problem}; fix the entry`);
  return parsed as SweepResults;
}

/** Problems of a results file's content, described by path (e.g. "runs[3].testAccuracy must be
 * ..."): a hand-edited entry is refused with its place instead of failing later as a TypeError.
 * Configurations of an earlier version are brought up to date in place (upgradeConfig). */
export function resultsProblem(parsed: unknown): string | null {
  const r = parsed as Partial<SweepResults> | null;
  if (typeof r !== 'object' || r === null || r.version !== 1) return 'is not a results file of this sweep version (version 1)';
  if (!Array.isArray(r.runs)) return 'runs must be a list';
  if (!Array.isArray(r.commands) || !r.commands.every((c) => typeof c === 'string')) return 'commands must be a list of strings';
  if (!Array.isArray(r.rungs)) return 'rungs must be a list';
  const h = r.halving as Partial<HalvingOptions> | null;
  if (h !== null && !(typeof h === 'object' && Number.isInteger(h.eta) && h.eta! >= 2 && Number.isInteger(h.minEpochs) && h.minEpochs! >= 1)) {
    return 'halving must be null or { eta, minEpochs }, whole numbers from 2 and from 1';
  }
  for (const [i, d] of (r.rungs as Partial<RungDecision>[]).entries()) {
    const at = `rungs[${i}]`;
    if (typeof d !== 'object' || d === null) return `${at} must be an object`;
    if (!Number.isInteger(d.rung)) return `${at}.rung must be a whole number`;
    if (typeof d.epochs !== 'object' || d.epochs === null || !Object.values(d.epochs).every((e) => typeof e === 'number')) {
      return `${at}.epochs must map each configuration to its epochs`;
    }
    const scored = (s: Partial<RungDecision['ranked'][number]> | null) => typeof s?.group === 'string' && (typeof s.score === 'number' || s.score === null);
    if (!(Array.isArray(d.ranked) && d.ranked.every(scored))) return `${at}.ranked must be a list of { group, score }`;
    if (!(Array.isArray(d.kept) && d.kept.every((g) => typeof g === 'string'))) return `${at}.kept must be a list of configurations`;
  }
  const numbers = (v: unknown, n: number) => Array.isArray(v) && v.length === n && v.every((x) => typeof x === 'number');
  for (const [i, run] of (r.runs as Partial<RunRecord>[]).entries()) {
    const at = `runs[${i}]`;
    if (typeof run !== 'object' || run === null) return `${at} must be an object`;
    for (const k of ['key', 'group', 'label', 'adapter'] as const) if (typeof run[k] !== 'string') return `${at}.${k} must be a string`;
    if (typeof run.config !== 'object' || run.config === null) return `${at}.config must be an object`;
    try {
      run.config = validateConfig(upgradeConfig(run.config));
    } catch (e) {
      if (e instanceof ConfigError) return `${at}.config: ${e.message}`;
      throw e;
    }
    if (!(Number.isInteger(run.epochsRun) && run.epochsRun! >= 0 && run.epochsRun! <= run.config.epochs)) {
      return `${at}.epochsRun must be a whole number of epochs from 0 to config.epochs (${run.config.epochs})`;
    }
    for (const k of ['testAccuracy', 'testLoss', 'trainLoss'] as const) {
      if (!numbers(run[k], run.epochsRun!)) return `${at}.${k} must be a list of ${run.epochsRun} numbers, one per epoch run`;
    }
    if (typeof run.seconds !== 'number') return `${at}.seconds must be a number`;
    if (run.diverged !== null && typeof run.diverged !== 'string') return `${at}.diverged must be null or a message`;
  }
  return null;
}

/** The union of the results on disk and this sweep's: per run key, the record that trained
 * further (this sweep's on a tie), and the command lines of both (this sweep's began as a copy
 * of the file's), so two sweeps writing one folder lose nothing. */
export function mergeResults(disk: SweepResults, mine: SweepResults): SweepResults {
  const runs = new Map(disk.runs.map((r) => [r.key, r]));
  for (const r of mine.runs) {
    const other = runs.get(r.key);
    if (!other || r.epochsRun >= other.epochsRun) runs.set(r.key, r);
  }
  let shared = 0;
  while (shared < disk.commands.length && disk.commands[shared] === mine.commands[shared]) shared++;
  const theirs = disk.commands.slice(shared);
  const commands = [...disk.commands, ...mine.commands.slice(shared).filter((c) => !theirs.includes(c))];
  return { ...mine, commands, runs: [...runs.values()] };
}
