// A run that ends near chance accuracy is almost always too short or too slow, not broken, and
// says so. On the MNIST this project ships, the notebook's sigmoid network starts on a loss
// plateau (its gradients are small until the hidden units specialise) and leaves it only after a
// few hundred steps at lr 0.5. Measured with `npm run train -- --runtime node` on SwiftShader
// (deterministic, so any adapter gives these): 2,000 images x 1 epoch (63 steps) 11.35%, at lr 2
// 15.82%; 10,000 x 2 (626 steps) 65.29%; 20,000 x 3 (1,875 steps) 90.37%. One hidden layer of 128
// leaves the plateau far sooner: 4,000 images x 1 epoch (125 steps) 84.63%. Any other run near
// chance gets the general advice.

import type { ModelSpec } from '../model/spec.ts';

/** Fewer steps than this and the plateau explains a near-chance result on MNIST. */
const PLATEAU_STEPS = 1000;

/** What a finished run says about itself. */
export interface RunOutcome {
  steps: number;
  /** Final test accuracy, %. */
  testAccuracy: number;
  model: ModelSpec;
  /** The optimizer's name: the plateau's cures were measured with SGD. */
  optimizer: string;
  /** The accuracy (%) of always answering the test set's most common class (chanceAccuracy). */
  chance: number;
  /** mnist: the MNIST the project ships, where the plateau was measured; features: rows of a CSV. */
  data: 'mnist' | 'images' | 'features';
}

/** Where the advice is read, and so how it names the settings. */
export type Audience = 'cli' | 'page' | 'library';

/** The accuracy (%) of always answering the most common class, from the test set's count per
 * class: what a network that learned nothing can score. NaN without samples. */
export function chanceAccuracy(countPerClass: ArrayLike<number>): number {
  let total = 0;
  let most = 0;
  for (let c = 0; c < countPerClass.length; c++) {
    total += countPerClass[c];
    most = Math.max(most, countPerClass[c]);
  }
  return total > 0 ? (100 * most) / total : NaN;
}

/** Each class's number of samples among `labels` (class indices below `classes`). */
export function classCounts(labels: ArrayLike<number>, classes: number): number[] {
  const counts = new Array<number>(classes).fill(0);
  for (let i = 0; i < labels.length; i++) counts[labels[i]]++;
  return counts;
}

/** Near chance: less than a tenth of the way from chance to 100% (19% for ten balanced classes). */
const nearChance = (accuracy: number, chance: number) => accuracy < chance + (100 - chance) / 10;

const SETTINGS: Record<Audience, { longer: string; smaller: string; adam: string; epochs: string }> = {
  cli: { longer: '--limit-train 20000 --epochs 3', smaller: '--hidden 128 --limit-train 4000', adam: '--optimizer adam', epochs: '--epochs' },
  page: {
    longer: '20,000 train images and 3 epochs', smaller: 'the model dense:128:sigmoid and 4,000 train images',
    adam: 'the optimizer Adam', epochs: 'epochs',
  },
  library: { longer: '20,000 training images and 3 epochs', smaller: 'layers [784, 128, 10] on 4,000 images', adam: "optimizer: { kind: 'adam' }", epochs: 'epochs' },
};

/** The note to print after a run that ended near chance, or null when its accuracy says it
 * learned. On MNIST with SGD and the all-sigmoid networks the plateau was measured on, and fewer steps
 * than leave it, the note names the plateau and its measured cures; otherwise general advice. */
export function nearChanceNote(o: RunOutcome, audience: Audience): string | null {
  if (!nearChance(o.testAccuracy, o.chance)) return null;
  const s = SETTINGS[audience];
  const acc = `Test accuracy ${o.testAccuracy.toFixed(2)}%`;
  if (o.data === 'mnist' && o.optimizer === 'sgd' && o.steps < PLATEAU_STEPS && o.model.every((l) => l.type === 'dense' && l.activation === 'sigmoid')) {
    return `${acc} is near chance (10%) after only ${o.steps} steps: the notebook's sigmoid network ` +
      `sits on a loss plateau for its first few hundred steps at lr 0.5, so this run ended before it learned. ` +
      `Train for more steps: ${s.longer} reaches 90% (10,000 images x 2 epochs: 65%); or, for a quick look, ` +
      `a smaller network leaves the plateau sooner: ${s.smaller} reaches 85% in one epoch.`;
  }
  const scales = o.data === 'features' ? ' Features are used as they are, not rescaled: columns on very different scales slow learning.' : '';
  // Measured on test/support/datasets.ts's Iris-like CSV (300 rows, 3 classes) with the defaults:
  // SGD at 33.33% for 6 epochs, 66.67% after 10 (at lr 2, or with ReLU, 33.33% after 10); Adam
  // 98.89% after 4 epochs, 100.00% after 10.
  const adam = o.optimizer === 'adam' ? '' : `${s.adam} (which adapts each weight's step; on a small CSV where SGD stayed at chance it reached 98.89% in 4 epochs), or `;
  return `${acc} is near chance (${o.chance.toFixed(2)}%, always answering the most common class) after ${o.steps} steps: ` +
    `the network has not learned yet. Try ${adam}more ${s.epochs}.${scales}`;
}
