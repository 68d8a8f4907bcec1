import { describe, expect, it } from 'vitest';
import { denseSpec } from '../../src/model/spec.ts';
import { chanceAccuracy, classCounts, nearChanceNote, type RunOutcome } from '../../src/train/plateau.ts';

const sigmoid = (steps: number, testAccuracy: number): RunOutcome => ({ steps, testAccuracy, model: denseSpec([512, 256], ['sigmoid']), optimizer: 'sgd', chance: 10, data: 'mnist' });

describe('the plateau note after an MNIST run', () => {
  it('explains a short run that ended near chance, in CLI options or in the page words', () => {
    // 2,000 images x 1 epoch: 63 steps, 11.35% (measured).
    expect(nearChanceNote(sigmoid(63, 11.35), 'cli')).toMatch(/11\.35% is near chance .* 63 steps: .*plateau.*--limit-train 20000 --epochs 3/);
    expect(nearChanceNote(sigmoid(63, 11.35), 'cli')).toMatch(/--hidden 128 --limit-train 4000 reaches 85%/);
    expect(nearChanceNote(sigmoid(63, 11.35), 'page')).toMatch(/20,000 train images and 3 epochs.*the model dense:128:sigmoid and 4,000 train images/);
  });

  it('says nothing when the run learned', () => {
    expect(nearChanceNote(sigmoid(626, 65.29), 'cli')).toBeNull();
    expect(nearChanceNote(sigmoid(63, NaN), 'cli')).toBeNull();
    // Ten balanced classes: near chance below 19%.
    expect(nearChanceNote(sigmoid(63, 19), 'cli')).toBeNull();
  });

  it('gives the general advice where the plateau is not the explanation', () => {
    // Long enough to have left the plateau, a network that is not all sigmoid, data that is not
    // MNIST, an optimizer other than the SGD the cures were measured with.
    for (const o of [sigmoid(5000, 11), { ...sigmoid(63, 11), model: denseSpec([128], ['relu']) }, { ...sigmoid(63, 11), data: 'images' as const },
      { ...sigmoid(63, 11), optimizer: 'adam' }]) {
      const note = nearChanceNote(o, 'cli');
      expect(note).toMatch(/11\.00% is near chance \(10\.00%, always answering the most common class\) after \d+ steps/);
      expect(note).not.toContain('plateau');
    }
  });
});

describe('the near-chance note after any run', () => {
  // 300 rows of three balanced classes with the notebook's defaults: 33.33% after 5 epochs (measured).
  const csv: RunOutcome = { steps: 50, testAccuracy: 33.33, model: denseSpec([512, 256], ['sigmoid']), optimizer: 'sgd', chance: 100 / 3, data: 'features' };

  it('names chance from the test set\'s classes, and what to try, in each audience\'s words', () => {
    expect(nearChanceNote(csv, 'cli')).toBe('Test accuracy 33.33% is near chance (33.33%, always answering the most common class) after 50 steps: ' +
      'the network has not learned yet. Try --optimizer adam (which adapts each weight\'s step; on a small CSV where SGD stayed at chance ' +
      'it reached 98.89% in 4 epochs), or more --epochs. Features are used as they are, not rescaled: columns on very different scales slow learning.');
    expect(nearChanceNote(csv, 'page')).toMatch(/Try the optimizer Adam .*, or more epochs\./);
    expect(nearChanceNote(csv, 'library')).toMatch(/Try optimizer: \{ kind: 'adam' \} .*, or more epochs\./);
    // No Adam advice to an Adam run.
    expect(nearChanceNote({ ...csv, optimizer: 'adam' }, 'cli')).toMatch(/Try more --epochs\./);
  });

  it('counts a majority class as chance, and stays quiet once the run is well past it', () => {
    expect(chanceAccuracy(classCounts([0, 0, 0, 1], 2))).toBe(75);
    expect(chanceAccuracy([])).toBeNaN();
    expect(nearChanceNote({ ...csv, testAccuracy: 76, chance: 75 }, 'cli')).not.toBeNull();
    expect(nearChanceNote({ ...csv, testAccuracy: 66.67 }, 'cli')).toBeNull();
  });
});
