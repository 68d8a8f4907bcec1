// A first run that ends near chance accuracy is almost always too short, not broken: the notebook's
// sigmoid network starts on a loss plateau (its gradients are small until the hidden units
// specialise) and leaves it only after a few hundred steps at lr 0.5. Measured with
// `npm run train -- --runtime node` on SwiftShader (deterministic, so any adapter gives these):
// 2,000 images x 1 epoch (63 steps) 11.35%, at lr 2 15.82%; 10,000 x 2 (626 steps) 65.29%;
// 20,000 x 3 (1,875 steps) 90.37%. One hidden layer of 128 leaves the plateau far sooner:
// 4,000 images x 1 epoch (125 steps) 84.63%.

import type { ModelSpec } from '../model/spec.ts';

/** Below this final test accuracy (%) a run counts as near chance (10% for ten digits). */
const NEAR_CHANCE = 20;
/** Fewer steps than this and the plateau explains a near-chance result. */
const PLATEAU_STEPS = 1000;

/** What a finished run says about itself: its steps, its final test accuracy and its model. */
export interface RunOutcome {
  steps: number;
  testAccuracy: number;
  model: ModelSpec;
}

/** The note to print after a run, or null when its accuracy says it learned, when it ran long
 * enough that the plateau is not the explanation, or when it is not the sigmoid network the
 * plateau was measured on (a ReLU network has no such plateau to blame). `cli`: advice as
 * command-line options, else as the dashboard's fields. */
export function plateauNote({ steps, testAccuracy, model }: RunOutcome, cli: boolean): string | null {
  if (!(testAccuracy < NEAR_CHANCE) || steps >= PLATEAU_STEPS || !model.every((l) => l.type === 'dense' && l.activation === 'sigmoid')) return null;
  const longer = cli ? '--limit-train 20000 --epochs 3' : '20,000 train images and 3 epochs';
  const smaller = cli ? '--hidden 128 --limit-train 4000' : 'the model dense:128:sigmoid and 4,000 train images';
  return `Test accuracy ${testAccuracy.toFixed(2)}% is near chance (10%) after only ${steps} steps: the notebook's sigmoid network ` +
    `sits on a loss plateau for its first few hundred steps at lr 0.5, so this run ended before it learned. ` +
    `Train for more steps: ${longer} reaches 90% (10,000 images x 2 epochs: 65%); or, for a quick look, ` +
    `a smaller network leaves the plateau sooner: ${smaller} reaches 85% in one epoch.`;
}
