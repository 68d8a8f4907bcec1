import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { README_SWEEPS, renderReadmeResults, renderSweepMarkdown, replaceReadmeResults } from '../../src/docs/sweep-report.ts';
import { summarise } from '../../src/sweep/summary.ts';
import { runSweepCli } from '../../src/cli/sweep.ts';
import { expandPoints, parseGrid, planRuns, type PlannedRun } from '../../src/sweep/plan.ts';
import { emptyResults, mergeResults, parseResults, resultsProblem, runSweep, type SweepResults } from '../../src/sweep/run.ts';
import type { TrainReport } from '../../src/train/session.ts';
import { captureCli } from '../support/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'sweep-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A runner whose accuracy after epoch e is lr * 10 + e (seed adds 0.1): lr ranks the groups. */
function fakeRunner(calls: string[], divergeLr?: number) {
  return {
    run: async (r: PlannedRun, epochs: number): Promise<TrainReport> => {
      calls.push(`${r.label} seed=${r.config.seed} x${epochs}`);
      const diverged = r.config.lr === divergeLr;
      const n = diverged ? 1 : epochs;
      const epochsOut = Array.from({ length: n }, (_, e) => ({
        epoch: e + 1, lr: r.config.lr, trainLoss: 1, trainAccuracy: 50, trainSeconds: 1, samplesPerSec: 1,
        testLoss: 0.1, meanTestLoss: 1, testAccuracy: r.config.lr * 10 + e + 1 + r.config.seed / 10,
      }));
      return { config: r.config, device: 'cpu', adapter: null, kernels: null, data: { source: 'fake', train: 1, test: 1, classes: null },
        stepLosses: [], epochs: epochsOut, samplesPerSec: 1, totalSeconds: n, gpuBytes: null,
        diverged: diverged ? 'training diverged: the loss became NaN. Try a smaller --lr' : null, stopped: false };
    },
  };
}

const plan = (grid: string[]) => planRuns(expandPoints(null, parseGrid(grid)), {});
const quiet = (saved: SweepResults[]) => ({ log: () => {}, persist: async (r: SweepResults) => void saved.push(structuredClone(r)) });

describe('runSweep', () => {
  it('trains every configuration to the end without halving, saving after each run', async () => {
    const calls: string[] = [], saved: SweepResults[] = [];
    const res = await runSweep(plan(['lr=1,2', 'epochs=4']), fakeRunner(calls), emptyResults(null), null, quiet(saved));
    expect(calls).toEqual(['lr=1 epochs=4 seed=1 x4', 'lr=2 epochs=4 seed=1 x4']);
    expect(saved).toHaveLength(2);
    expect(res.runs.map((r) => r.epochsRun)).toEqual([4, 4]);
  });

  it('halving: rung budgets 1, 3, 9 for 9 configurations, the best third going on, restarted from epoch 0', async () => {
    const calls: string[] = [];
    const p = plan(['lr=0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9', 'epochs=9', 'seed=1,2']);
    const res = await runSweep(p, fakeRunner(calls), emptyResults({ eta: 3, minEpochs: 1 }), { eta: 3, minEpochs: 1 }, quiet([]));
    expect(calls.filter((c) => c.endsWith('x1'))).toHaveLength(18);
    expect(calls.filter((c) => c.endsWith('x3'))).toEqual(['lr=0.7 epochs=9 seed=1 x3', 'lr=0.7 epochs=9 seed=2 x3', 'lr=0.8 epochs=9 seed=1 x3',
      'lr=0.8 epochs=9 seed=2 x3', 'lr=0.9 epochs=9 seed=1 x3', 'lr=0.9 epochs=9 seed=2 x3']);
    expect(calls.filter((c) => c.endsWith('x9'))).toEqual(['lr=0.9 epochs=9 seed=1 x9', 'lr=0.9 epochs=9 seed=2 x9']);
    expect(res.rungs.map((d) => d.kept.length)).toEqual([3, 1]);
    expect(res.rungs[0].ranked[0].score).toBeCloseTo(9 + 1 + 0.15, 10);
    const s = summarise(res);
    expect(s[0]).toMatchObject({ label: 'lr=0.9 epochs=9', complete: true, epochsRun: 9, seeds: [1, 2] });
    expect(s[1]).toMatchObject({ complete: false, epochsRun: 3 });
    expect(renderSweepMarkdown(res)).toContain('3 of 9 (stopped early)');
  });

  it('resumes: runs already in the results are not trained again; a diverged run is not retried', async () => {
    const calls: string[] = [];
    const p = plan(['lr=1,2,3', 'epochs=3']);
    const first = await runSweep(p, fakeRunner(calls, 2), emptyResults(null), null, quiet([]));
    expect(first.runs.find((r) => r.config.lr === 2)?.diverged).toContain('diverged');
    calls.length = 0;
    const partial = { ...first, runs: first.runs.filter((r) => r.config.lr !== 3) };
    await runSweep(p, fakeRunner(calls), partial, null, quiet([]));
    expect(calls).toEqual(['lr=3 epochs=3 seed=1 x3']);
  });

  it('halving ranks a diverged configuration last', async () => {
    const calls: string[] = [];
    const res = await runSweep(plan(['lr=1,2,3', 'epochs=3']), fakeRunner(calls, 3), emptyResults(null), { eta: 3, minEpochs: 1 }, quiet([]));
    expect(res.rungs[0].ranked.map((r) => r.score)).toEqual([21, 11, -Infinity].map((x) => x + 0.1));
    expect(res.rungs[0].kept).toEqual([res.rungs[0].ranked[0].group]);
  });
});

describe('two sweeps writing one folder (mergeResults)', () => {
  it('keeps the runs and command lines of both, and per run the record that trained further', async () => {
    const start: SweepResults = { ...emptyResults(null), commands: ['c0'] };
    const a = await runSweep(plan(['lr=1,2', 'epochs=3']), fakeRunner([]), { ...start, commands: ['c0', 'a'] }, null, quiet([]));
    const b = await runSweep(plan(['lr=2,3', 'epochs=3']), fakeRunner([]), { ...start, commands: ['c0', 'b'] }, null, quiet([]));
    const shorter = { ...b, runs: b.runs.map((r) => (r.config.lr === 2 ? { ...r, epochsRun: 2, testAccuracy: r.testAccuracy.slice(0, 2) } : r)) };
    // a writes, then b (which trained lr=2 less far), then a again: nothing is lost or doubled.
    const afterB = mergeResults(mergeResults(start, a), shorter);
    const afterA = mergeResults(afterB, a);
    expect(afterA.runs.map((r) => [r.config.lr, r.epochsRun])).toEqual([[1, 3], [2, 3], [3, 3]]);
    expect(afterA.commands).toEqual(['c0', 'a', 'b']);
    // The same command twice in a row (a rerun) is two entries, as before.
    expect(mergeResults({ ...start, commands: ['c'] }, { ...start, commands: ['c', 'c'] }).commands).toEqual(['c', 'c']);
  });
});

describe('the sweep report', () => {
  it('writes a halving rung\'s diverged configuration as diverged, also once read back from results.json (null)', () => {
    const results = parseResults(readFileSync('sweeps/tuning/results.json', 'utf8'), 'results.json');
    results.rungs[0].ranked[0].score = -Infinity;
    const rungLine = (r: SweepResults) => renderSweepMarkdown(r).split('\n').find((l) => l.startsWith('- rung 1'));
    expect(rungLine(results)).toMatch(/^- rung 1 \(after [\d/]+ epochs\): lr=2 epochs=40 schedule=cosine diverged, /);
    expect(rungLine(parseResults(JSON.stringify(results), 'results.json'))).toBe(rungLine(results));
  });
});

describe('resultsProblem', () => {
  it('names the entry at fault in a hand-edited file, and accepts the committed sweeps', async () => {
    const good = await runSweep(plan(['lr=1', 'epochs=2']), fakeRunner([]), emptyResults(null), null, quiet([]));
    expect(resultsProblem(good)).toBeNull();
    const edit = (f: (r: Record<string, unknown>) => void) => {
      const copy = structuredClone(good) as unknown as { runs: Record<string, unknown>[] };
      f(copy.runs[0]);
      return resultsProblem(copy);
    };
    expect(edit((r) => (r.testAccuracy = 'high'))).toBe('runs[0].testAccuracy must be a list of 2 numbers, one per epoch run');
    expect(edit((r) => delete r.config)).toBe('runs[0].config must be an object');
    expect(edit((r) => ((r.config as { lr: number }).lr = -1))).toBe('runs[0].config: --lr must be a finite number > 0, got -1');
    expect(edit((r) => (r.epochsRun = 5))).toBe('runs[0].epochsRun must be a whole number of epochs from 0 to config.epochs (2)');
    expect(resultsProblem({ version: 2 })).toBe('is not a results file of this sweep version (version 1)');
    // Found by fuzzing: a valid file with these edits passed, and its report failed with a TypeError.
    const halved = JSON.parse(readFileSync('sweeps/tuning/results.json', 'utf8')) as Record<string, unknown>;
    expect(resultsProblem({ ...halved, halving: [], rungs: [[]] })).toBe('halving must be null or { eta, minEpochs }, whole numbers from 2 and from 1');
    expect(resultsProblem({ ...halved, rungs: [[]] })).toBe('rungs[0].rung must be a whole number');
    expect(resultsProblem({ ...halved, rungs: [{ rung: 0, epochs: {}, ranked: [{ group: 'a', score: '97' }], kept: [] }] }))
      .toBe('rungs[0].ranked must be a list of { group, score }');
    for (const d of ['sweeps/notebook', 'sweeps/tuned', 'sweeps/tuning', 'sweeps/augment']) {
      expect(resultsProblem(JSON.parse(readFileSync(join(d, 'results.json'), 'utf8'))), d).toBeNull();
    }
  });
});

const cli = captureCli(runSweepCli);

describe('sweep CLI', () => {
  const out = join(dir, 'small');
  const args = ['--device', 'cpu', '--limit-train', '96', '--limit-test', '64', '--grid', 'lr=0.5,2', '--grid', 'epochs=1', '--out', out];

  it('trains on the CPU reference and writes results.json, results.md and accuracy.svg; a rerun skips', async () => {
    const first = await cli(...args);
    expect(first.err).toEqual([]);
    expect(first.code).toBe(0);
    expect(first.out).toContain('device: CPU reference (plain TypeScript, float64 accumulation)');
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as SweepResults;
    expect(results.runs.map((r) => r.label)).toEqual(['epochs=1', 'lr=2 epochs=1']);
    expect(results.runs.every((r) => r.testAccuracy.length === 1 && r.adapter === 'cpu reference')).toBe(true);
    expect(readFileSync(join(out, 'results.md'), 'utf8')).toContain(`npm run sweep -- ${args.join(' ')}`);
    expect(readFileSync(join(out, 'accuracy.svg'), 'utf8')).toMatch(/^<svg/);
    const again = await cli(...args);
    expect(again.out.filter((l) => l.includes('in the results already, skipped'))).toHaveLength(2);
    expect((JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as SweepResults).commands).toHaveLength(2);
  }, 60_000);

  it('--from DIR --top N runs that sweep\'s best N with more seeds, reusing the runs it has', async () => {
    const verify = join(dir, 'verify');
    const r = await cli('--device', 'cpu', '--limit-train', '96', '--limit-test', '64', '--from', out, '--top', '1', '--grid', 'seed=1,2', '--out', verify);
    expect(r.err).toEqual([]);
    const results = JSON.parse(readFileSync(join(verify, 'results.json'), 'utf8')) as SweepResults;
    const source = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as SweepResults;
    const best = summarise(source)[0];
    expect(results.runs.map((x) => `${x.label} seed=${x.config.seed}`)).toEqual([`${best.label} seed=1`, `${best.label} seed=2`]);
    // Seed 1 is the source's run itself; only seed 2 was trained.
    expect(results.runs[0]).toEqual(source.runs.find((x) => x.group === best.group));
    expect(r.out.filter((l) => l.includes(': training '))).toHaveLength(1);
    expect(results.commands.slice(0, source.commands.length)).toEqual(source.commands);
  }, 60_000);

  it.each([
    [[], 'nothing to sweep'],
    [['--from', '/nonexistent-sweep'], '--from: /nonexistent-sweep/results.json does not exist; --from takes the --out folder of an earlier sweep'],
    [['--report-only'], `--out: ${join(dir, 'never', 'results.json')} does not exist; --report-only rewrites the report of the sweep in --out`],
    [['--from', '/x', '--list', '/y.json'], '--list and --from both'],
    [['--grid', 'lr=0'], '--lr must be a finite number > 0'],
    [['--grid', 'foo=1'], 'unknown setting "foo"'],
    [['--list', '/nonexistent.json'], '--list "/nonexistent.json" does not exist'],
    [['--grid', 'lr=1', '--halving', '--eta', '1'], '--eta'],
    [['--grid', 'lr=1', '--runtime', 'deno'], '--runtime'],
  ])('refuses %j with a message naming the problem', async (argv, message) => {
    const r = await cli(...argv, '--out', join(dir, 'never'));
    expect(r.code).toBe(2);
    expect(r.err.join(' ')).toContain(message);
    expect(existsSync(join(dir, 'never'))).toBe(false);
  });

  it('refuses a corrupt results.json instead of overwriting it', async () => {
    const bad = join(dir, 'bad');
    await cli('--device', 'cpu', '--grid', 'lr=1', '--limit-train', '32', '--limit-test', '32', '--grid', 'epochs=1', '--out', bad);
    writeFileSync(join(bad, 'results.json'), '{"runs": [');
    const r = await cli('--device', 'cpu', '--grid', 'lr=1', '--out', bad);
    expect(r.code).toBe(2);
    expect(r.err.join(' ')).toContain('not valid JSON');
    expect(readFileSync(join(bad, 'results.json'), 'utf8')).toBe('{"runs": [');
  }, 60_000);
});

describe('README results table', () => {
  it('is what `npm run sweep -- --readme` renders from the committed sweeps', () => {
    const read = (d: string) => JSON.parse(readFileSync(join(d, 'results.json'), 'utf8')) as SweepResults;
    const block = renderReadmeResults(read(README_SWEEPS.notebook), read(README_SWEEPS.tuned));
    const readme = readFileSync('README.md', 'utf8');
    expect(readme).toContain(block);
    expect(replaceReadmeResults(readme, block)).toBe(readme);
    // A clone has only the repository: every link of the block is a file inside it.
    const links = [...block.matchAll(/\]\(([^)#]+)[^)]*\)/g)].map((m) => m[1]);
    expect(links).toContain('docs/notebook.md');
    for (const link of links) {
      expect(link.startsWith('..')).toBe(false);
      expect(existsSync(link), link).toBe(true);
    }
    // The figures in it come from runs: three seeds of every configuration, each trained to its end.
    for (const d of [README_SWEEPS.notebook, README_SWEEPS.tuned]) {
      for (const s of summarise(read(d))) expect(s).toMatchObject({ complete: true, seeds: [1, 2, 3], diverged: 0 });
    }
  });
});
