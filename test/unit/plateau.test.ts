import { describe, expect, it } from 'vitest';
import { denseSpec } from '../../src/model/spec.ts';
import { plateauNote } from '../../src/train/plateau.ts';

const sigmoid = (steps: number, testAccuracy: number) => ({ steps, testAccuracy, model: denseSpec([512, 256], ['sigmoid']) });

describe('the plateau note after a run', () => {
  it('explains a short run that ended near chance, in CLI options or in the page words', () => {
    // 2,000 images x 1 epoch: 63 steps, 11.35% (measured).
    expect(plateauNote(sigmoid(63, 11.35), true)).toMatch(/11\.35% is near chance .* 63 steps: .*plateau.*--limit-train 20000 --epochs 3/);
    expect(plateauNote(sigmoid(63, 11.35), true)).toMatch(/--hidden 128 --limit-train 4000 reaches 85%/);
    expect(plateauNote(sigmoid(63, 11.35), false)).toMatch(/20,000 train images and 3 epochs.*the model dense:128:sigmoid and 4,000 train images/);
  });

  it('says nothing when the run learned, or ran long enough that the plateau is not why', () => {
    expect(plateauNote(sigmoid(626, 65.29), true)).toBeNull();
    expect(plateauNote(sigmoid(5000, 11), true)).toBeNull();
    expect(plateauNote(sigmoid(63, NaN), true)).toBeNull();
  });

  it('says nothing of the sigmoid plateau to a network that is not all sigmoid', () => {
    expect(plateauNote({ steps: 63, testAccuracy: 11, model: denseSpec([128], ['relu']) }, true)).toBeNull();
    expect(plateauNote({ steps: 63, testAccuracy: 11, model: denseSpec([128, 64], ['sigmoid', 'tanh']) }, true)).toBeNull();
  });
});
