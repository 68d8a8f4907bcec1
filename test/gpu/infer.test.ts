// The inference entry against the Trainer's predict from the same weights, on 1,000 MNIST test
// images: the notebook MLP and the `cnn` preset, each read from a checkpoint and from a weights
// file, on WebGPU and on the CPU fallback. In Node (Dawn) and in Chromium from the sources; in
// Chromium also the built, minified build/lib/browser/infer.js (`npm run build:lib` first), whose
// WGSL is trimmed to the forward entry points (src/bundle/wgsl-trim.ts).
import { beforeAll, describe, expect, it } from 'vitest';
import { createTrainer, type Dataset, type Trainer } from '../../src/lib/index.ts';
import { loadModel, type InferenceModel } from '../../src/lib/infer.ts';
import { formatModel, MODEL_PRESETS, parseModel } from '../../src/model/spec.ts';
import { TOLERANCES } from '../../src/reference/tolerance.ts';
import { encodeTensors } from '../../src/train/safetensors.ts';
import { expectClose, loadTestMnist } from './gpu-suite.ts';

const PIXELS = 28 * 28;
const COUNT = 1000;
/** Training images: enough steps that the classes are not a near-tie of untrained logits. */
const TRAIN = 1024;
let train: Dataset;
let images: Dataset['images'];
let labels: Uint8Array;
beforeAll(async () => {
  const mnist = await loadTestMnist();
  train = { images: mnist.train.features.subarray(0, TRAIN * PIXELS), labels: mnist.train.labels.subarray(0, TRAIN), shape: [TRAIN, 28, 28] };
  labels = mnist.test.labels.subarray(0, COUNT);
  images = mnist.test.features.subarray(0, COUNT * PIXELS);
});

/** A weights file as `npm run train -- --save` writes one: the tensors, the model, loss and input shape. */
function savedWeights(trainer: Trainer, model: string): Uint8Array {
  const tensors = trainer.parameters().map(({ name, shape, data }) => ({ name, shape, data }));
  return encodeTensors(tensors, { model: formatModel(parseModel(model)), loss: 'nll', input_shape: JSON.stringify(inputShapeOf(model)) });
}

const inputShapeOf = (model: string) => (model === 'cnn' ? [1, 28, 28] : [PIXELS]);

async function expectSamePredictions(model: InferenceModel, trainer: Trainer): Promise<void> {
  const [mine, theirs] = [await model.predict(images), await trainer.predict(images)];
  expect(model.classes).toBe(10);
  expect(mine.probabilities).toHaveLength(COUNT * 10);
  expect(mine.classes).toEqual(theirs.classes);
  // Two GPU forward passes (or the float64 CPU twin) of f32 sums: the Trainer's kernels may be
  // other matmul variants, which sum in another order.
  const maxAbs = expectClose('probabilities', mine.probabilities, theirs.probabilities, TOLERANCES.matmul);
  const correct = mine.classes.filter((c, i) => c === labels[i]).length;
  console.log(`${model.device}: ${correct / 10}% of ${COUNT} test images right, classes identical, max |probability difference| ${maxAbs.toExponential(2)}`);
}

const networks = {
  'the notebook MLP': { layers: [PIXELS, 512, 256, 10], preset: 'mlp' },
  'the cnn preset': { layers: [[1, 28, 28], ...parseModel(MODEL_PRESETS.cnn), 10], preset: 'cnn' },
} as const;

describe.each(Object.entries(networks))('the inference entry with %s', (_name, { layers, preset }) => {
  let trainer: Trainer;
  beforeAll(async () => {
    trainer = await createTrainer({ layers: layers as never, optimizer: { kind: 'adam', lr: 2e-3 }, batch: 32 });
    const fit = await trainer.fit(train, { epochs: 1 });
    console.log(`${preset}: trained on ${TRAIN} images, last step loss ${fit.stepLosses.at(-1)!.toFixed(3)}`);
  });

  it('predicts as the Trainer does on WebGPU, from a checkpoint and from a weights file', async () => {
    for (const [kind, bytes] of [['checkpoint', trainer.save()], ['weights', savedWeights(trainer, preset)]] as const) {
      // The weights file runs the matmul a GPU gets by default (a CPU adapter's is vec4).
      const model = await loadModel(bytes, { name: `${preset} ${kind}`, device: 'gpu', ...(kind === 'weights' ? { matmul: 'tiled32' as const } : {}) });
      try {
        expect(model.device).toBe('gpu');
        // A dense network trained on images keeps their shape; it reads them as rows of 784.
        expect(preset === 'cnn' ? model.inputShape : [model.inputShape.reduce((a, b) => a * b)]).toEqual(inputShapeOf(preset));
        await expectSamePredictions(model, trainer);
      } finally {
        model.dispose();
      }
    }
  });

  it('predicts as the Trainer does on the CPU fallback', async () => {
    const model = await loadModel(trainer.save(), { device: 'cpu' });
    expect(model.device).toBe('cpu');
    expect(model.adapter).toBeNull();
    await expectSamePredictions(model, trainer);
  });

  it('predicts as the Trainer does with the built, minified bundle (Chromium)', async (t) => {
    if (typeof window === 'undefined') return t.skip();
    const built = '/build/lib/browser/infer.js';
    const { loadModel: loadBuilt } = (await import(/* @vite-ignore */ built)) as typeof import('../../src/lib/infer.ts');
    const model = await loadBuilt(trainer.save(), { device: 'gpu' });
    try {
      await expectSamePredictions(model, trainer);
    } finally {
      model.dispose();
    }
  });
});
