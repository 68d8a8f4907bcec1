// The bench's time to accuracy (--time-to-accuracy) on a tiny budget: the recipes on the
// first MNIST images, with a low target it reaches, a target it cannot reach within its epochs,
// and a stop request.
import { describe, expect, it } from 'vitest';
import { ACCURACY_RECIPES, timeToAccuracy, type AccuracyRecipe } from '../../src/bench/accuracy.ts';
import type { DataSet } from '../../src/data/dataset.ts';
import { KernelChooser } from '../../src/gpu/kernel-choice.ts';
import { validateConfig, type TrainConfig } from '../../src/train/config.ts';
import { loadTestMnist, useGpu } from './gpu-suite.ts';

const recipe = (model: 'mlp' | 'cnn', targetPercent: number, epochs: number, change: Partial<TrainConfig> = {}): AccuracyRecipe => {
  const r = ACCURACY_RECIPES.find((x) => x.model === model)!;
  return { model, targetPercent, config: validateConfig({ ...r.config, epochs, ...change }) };
};

describe('bench time to accuracy', () => {
  const gpu = useGpu();
  let mnist: DataSet;
  // One chooser for every run: its per-shape trials happen once.
  let kernels: KernelChooser;
  const run = async (r: AccuracyRecipe, limitTrain: number, stop = () => false) => {
    mnist ??= await loadTestMnist();
    kernels ??= await KernelChooser.create(gpu(), { cache: null });
    return timeToAccuracy(gpu(), mnist, r, { limitTrain, limitTest: 200, kernels }, () => {}, stop);
  };

  it('the issue\'s recipes: 97.5% for the MLP, 99.0% for the CNN with its recipe', () => {
    expect(ACCURACY_RECIPES.map((r) => [r.model, r.targetPercent, r.config.optimizer, r.config.lr, r.config.weightDecay, r.config.batchSize, r.config.lrSchedule, r.config.augmentShift])).toEqual([
      ['mlp', 97.5, 'sgd', 0.5, 0, 32, 'constant', 0],
      ['cnn', 99.0, 'adamw', 3e-3, 0.05, 32, 'cosine', 1],
    ]);
  });

  // The notebook's sigmoid MLP at SGD lr 0.5 sits near chance for its first few hundred steps:
  // Adam gets its tiny run past 40% within an epoch or two, as the CNN's own recipe does.
  it.each([
    ['mlp', 640, { optimizer: 'adam', lr: 1e-3 }, '"optimizer":"adam"'],
    ['cnn', 320, {}, '"optimizer":"adamw"'],
  ] as const)('%s: stops at the first epoch whose test accuracy reaches a low target', async (model, limit, change, inRecipe) => {
    const row = await run(recipe(model, 40, 4, change), limit);
    expect(row).toMatchObject({ model, trainSamples: limit, testSamples: 200, stopped: false });
    expect(row.epochsToTarget).not.toBeNull();
    expect(row.accuracies).toHaveLength(row.epochsToTarget!);
    expect(row.accuracies.at(-1)).toBeGreaterThanOrEqual(40);
    expect(row.accuracies.slice(0, -1).every((a) => a < 40)).toBe(true);
    expect(row.seconds).toBeCloseTo(row.epochSeconds.reduce((a, b) => a + b, 0), 1);
    expect(row.recipe).toContain(inRecipe);
  });

  it('a target not reached within the recipe\'s epochs: null, with every epoch\'s accuracy', async () => {
    const row = await run(recipe('mlp', 100, 2), 320);
    expect(row.epochsToTarget).toBeNull();
    expect(row.accuracies).toHaveLength(2);
    expect(row.stopped).toBe(false);
  });

  it('a stop request ends the run before its next epoch completes', async () => {
    const row = await run(recipe('mlp', 100, 3), 320, () => true);
    expect(row).toMatchObject({ stopped: true, epochsToTarget: null, accuracies: [] });
  });
});
