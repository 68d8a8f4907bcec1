import { MODEL_PRESETS } from '../../src/model/spec.ts';
import { describe, expect, it } from 'vitest';
import { expandPoints, parseGrid, parseList, planRuns, SweepSpecError } from '../../src/sweep/plan.ts';
import { extraRungs, rankGroups, rungBudget, survivorCount } from '../../src/sweep/halving.ts';
import { NOTEBOOK_RECIPE } from '../../src/train/config.ts';

const specError = (f: () => unknown, ...parts: string[]) => {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(SweepSpecError);
  for (const p of parts) expect((err as Error).message).toContain(p);
};

describe('sweep plan', () => {
  it('crosses list entries with grid axes; a grid value overrides the entry', () => {
    const list = parseList('[{"lr": 2, "schedule": "cosine", "epochs": 20}, {"momentum": 0.9, "lr": 0.2, "nesterov": true}]', 'l.json');
    const points = expandPoints(list, parseGrid(['seed=1,2,3', 'epochs=5']));
    expect(points).toHaveLength(6);
    expect(points[0]).toEqual({ lr: 2, schedule: 'cosine', epochs: 5, seed: 1 });
    expect(points[5]).toEqual({ momentum: 0.9, lr: 0.2, nesterov: true, seed: 3, epochs: 5 });
  });

  it('expands a grid alone from the notebook recipe', () => {
    const runs = planRuns(expandPoints(null, parseGrid(['lr=0.5,1', 'batch=32,64'])), {});
    expect(runs.map((r) => [r.config.lr, r.config.batchSize])).toEqual([[0.5, 32], [0.5, 64], [1, 32], [1, 64]]);
    expect(runs[0].label).toBe('notebook recipe');
    expect(runs[3].label).toBe('lr=1 batch=64');
    expect(runs[0].config.model).toEqual(NOTEBOOK_RECIPE.model);
  });

  it('keys runs by every setting; the group leaves the seed out; duplicates run once', () => {
    const runs = planRuns(expandPoints(null, parseGrid(['seed=1,2,1'])), { limitTrain: 100, limitTest: null });
    expect(runs).toHaveLength(2);
    expect(runs[0].group).toBe(runs[1].group);
    expect(runs[0].key).not.toBe(runs[1].key);
    expect(runs[0].key).toContain('limit-train=100');
    expect(runs[0].key).toMatch(/lr=0.5 momentum=0 nesterov=false batch=32 epochs=10 schedule=constant weight-decay=0 limit-train=100 seed=1$/);
  });

  it('keys a later setting only when it is not at its default, so earlier results still resume', () => {
    const [plain, shifted] = planRuns(expandPoints(null, parseGrid(['augment-shift=0,2'])), {});
    expect(plain.key).not.toContain('augment-shift');
    expect(shifted.key).toContain('weight-decay=0 augment-shift=2 seed=1');
    expect(shifted.label).toBe('augment-shift=2');
  });

  it('sweeps models: grid values separated by semicolons, list entries, keyed as --model writes them', () => {
    const runs = planRuns(expandPoints(parseList('[{"model": "dense:64:gelu"}]', 'x.json'), parseGrid(['model= mlp ; dense:128:relu,dense:32 ', 'lr=0.1'])), {});
    expect(runs.map((r) => r.label)).toEqual(['lr=0.1', 'model=dense:128:relu,dense:32:sigmoid lr=0.1']);
    expect(runs[1].config.model).toEqual([{ type: 'dense', units: 128, activation: 'relu' }, { type: 'dense', units: 32, activation: 'sigmoid' }]);
    // The recipe's model is not keyed, so the keys of results written before models were swept stay valid.
    expect(runs[0].key).not.toContain('model');
    expect(runs[1].key).toContain('model=dense:128:relu,dense:32:sigmoid');
    expect(planRuns(parseList('[{"model": "dense:64:gelu"}]', 'x.json'), {})[0].label).toBe('model=dense:64:gelu');
    // A CNN in a grid: its spec's commas stay inside the value.
    expect(planRuns(expandPoints(null, parseGrid(['model=mlp;cnn'])), {}).map((r) => r.label)).toEqual(['notebook recipe', `model=${MODEL_PRESETS.cnn}`]);
  });

  it.each([
    [['model=dense:0'], ['--grid model=dense:0', 'model layer 1 (dense:0): dense units must be a positive integer']],
    [['lr'], ['--grid lr', 'key=value']],
    [['lr='], ['--grid lr=', 'key=value']],
    [['rate=1'], ['unknown setting "rate"', 'lr, momentum']],
    [['lr=abc'], ['lr must be a number', '"abc"']],
    [['schedule=linear'], ['schedule must be one of constant, cosine, step', '"linear"']],
    [['nesterov=yes'], ['nesterov must be true or false']],
    [['lr=1', 'lr=2'], ['lr is given twice']],
  ])('refuses --grid %j', (grid, parts) => specError(() => parseGrid(grid), ...parts));

  it.each([
    ['{', ['not valid JSON']],
    ['[]', ['non-empty JSON array']],
    ['[3]', ['entry 0', 'expected an object']],
    ['[{"lr": [1]}]', ['entry 0', 'lr must be a number, string or boolean']],
    ['[{}, {"hidden": 5}]', ['entry 1', 'unknown setting "hidden"']],
  ])('refuses the list %s', (json, parts) => specError(() => parseList(json, 'x.json'), '--list x.json', ...parts));

  it('checks every configuration with the trainer\'s rules and names the one that fails', () => {
    specError(() => planRuns(expandPoints(null, parseGrid(['lr=0.5,0'])), {}), 'configuration 2', '"lr":0', '--lr must be a finite number > 0');
    specError(() => planRuns(expandPoints(null, parseGrid(['batch=128'])), {}, { trainCount: 100, testCount: 10 }), '--batch must be at most');
    specError(() => planRuns(expandPoints(null, parseGrid(['nesterov=true'])), {}), '--nesterov needs --momentum > 0');
  });
});

describe('successive halving', () => {
  it('plans 12 configurations of 20 epochs as rungs of 2, 7 and 20 epochs (eta 3)', () => {
    const extra = extraRungs(12, 3);
    expect(extra).toBe(2);
    expect([0, 1, 2].map((r) => rungBudget(20, r, extra, 3, 1))).toEqual([2, 7, 20]);
    expect([0, 1, 2].map((r) => rungBudget(20, r, extra, 3, 4))).toEqual([4, 7, 20]);
    expect(survivorCount(12, 3)).toBe(4);
    expect(survivorCount(4, 3)).toBe(2);
    expect(survivorCount(1, 3)).toBe(1);
  });

  it('has no early rung for fewer than eta configurations', () => {
    expect(extraRungs(1, 3)).toBe(0);
    expect(extraRungs(2, 3)).toBe(0);
    expect(extraRungs(3, 3)).toBe(1);
    expect(extraRungs(9, 3)).toBe(2);
  });

  it('ranks by score, earlier first on ties, diverged (-inf) and NaN last', () => {
    const ranked = rankGroups([
      { group: 'a', score: 90 },
      { group: 'b', score: -Infinity },
      { group: 'c', score: 95 },
      { group: 'd', score: NaN },
      { group: 'e', score: 95 },
    ]);
    expect(ranked.map((r) => r.group)).toEqual(['c', 'e', 'a', 'b', 'd']);
  });
});
