// The dashboard's pure pieces: MNIST-style preprocessing of a drawing, the loss EMA, the
// confusion matrix, model files with their activations.
import { denseSpec, parseModel, resolveNetwork } from '../../src/model/spec.ts';
import { describe, expect, it } from 'vitest';
import { confusionMatrix } from '../../src/app/confusion.ts';
import { mnistLike } from '../../src/app/digit-preprocess.ts';
import { emaSeries } from '../../src/app/ema.ts';
import { modelFileName, readModelFile } from '../../src/app/model-files.ts';
import { modelMisfit } from '../../src/app/config-form.ts';
import { validateConfig } from '../../src/train/config.ts';
import { loadEmbeddedMnist } from '../../src/data/mnist-node.ts';
import { initMlp, initNetwork, notebookSpec } from '../../src/reference/mlp.ts';
import { encodeSafetensors, SafetensorsError } from '../../src/train/safetensors.ts';

const W = 280;

/** A W x W drawing with the rectangle [x0, x0 + w) x [y0, y0 + h) inked at 255. */
function rectangle(x0: number, y0: number, w: number, h: number): Uint8Array {
  const g = new Uint8Array(W * W);
  for (let y = y0; y < y0 + h; y++) g.fill(255, y * W + x0, y * W + x0 + w);
  return g;
}

describe('mnistLike', () => {
  it('returns null for an empty drawing', () => {
    expect(mnistLike(new Uint8Array(W * W), W, W)).toBeNull();
  });

  it('fits the bounding box to 20 pixels keeping the aspect ratio, centred by mass', () => {
    const out = mnistLike(rectangle(50, 30, 100, 200), W, W)!;
    const inked: [number, number][] = [];
    out.forEach((v, i) => {
      if (v > 0) inked.push([i % 28, Math.floor(i / 28)]);
    });
    expect(inked.length).toBe(10 * 20);
    // Centre of mass at index 4.5 of 10 columns and 9.5 of 20 rows lands on (14, 14), rounded up.
    expect(Math.min(...inked.map(([x]) => x))).toBe(10);
    expect(Math.max(...inked.map(([x]) => x))).toBe(19);
    expect(Math.min(...inked.map(([, y]) => y))).toBe(5);
    expect(Math.max(...inked.map(([, y]) => y))).toBe(24);
    expect(out.every((v) => v === 0 || Math.abs(v - 1) < 1e-6)).toBe(true);
  });

  it('does not depend on where on the pad the digit is drawn', () => {
    expect(mnistLike(rectangle(0, 0, 40, 90), W, W)).toEqual(mnistLike(rectangle(200, 150, 40, 90), W, W));
  });

  it('gives back MNIST test digits drawn 10x larger, pixel for pixel', async () => {
    const { test } = await loadEmbeddedMnist();
    for (let n = 0; n < 20; n++) {
      const digit = test.features.subarray(n * 784, (n + 1) * 784);
      const big = new Uint8Array(W * W);
      for (let y = 0; y < W; y++) for (let x = 0; x < W; x++) big[y * W + x] = digit[Math.floor(y / 10) * 28 + Math.floor(x / 10)];
      const out = mnistLike(big, W, W)!;
      let diff = 0;
      for (let i = 0; i < 784; i++) diff += Math.abs(out[i] - digit[i] / 255);
      expect(diff / 784, `test digit ${n}`).toBeLessThan(1e-6);
    }
  });
});

describe('emaSeries', () => {
  it('is debiased: a constant series stays constant from the first point', () => {
    expect(emaSeries([2, 2, 2, 2], 0.9).every((v) => Math.abs(v - 2) < 1e-12)).toBe(true);
  });

  it('follows the recurrence avg = beta avg + (1 - beta) x, divided by 1 - beta^n', () => {
    const [a, b] = emaSeries([1, 3], 0.5);
    expect(a).toBeCloseTo(1, 12);
    expect(b).toBeCloseTo((0.5 * 0.5 * 1 + 0.5 * 3) / (1 - 0.25), 12);
  });

  it('is the series itself with beta 0, and rejects beta outside [0, 1)', () => {
    expect(emaSeries([5, 1, 4], 0)).toEqual([5, 1, 4]);
    expect(() => emaSeries([1], 1)).toThrow(RangeError);
  });
});

describe('confusionMatrix', () => {
  it('counts (true, predicted) pairs row-major', () => {
    const m = confusionMatrix([0, 0, 1, 2, 2], [0, 1, 1, 2, 0], 3);
    expect(m).toEqual([1, 1, 0, 0, 1, 0, 1, 0, 1]);
  });

  it('rejects mismatched lengths', () => {
    expect(() => confusionMatrix([1, 2], [1], 3)).toThrow(RangeError);
  });
});

describe('readModelFile', () => {
  const file = (metadata: Record<string, string>, sizes = [12, 5, 4, 3]) => new File([encodeSafetensors(initMlp(sizes, 1), metadata) as Uint8Array<ArrayBuffer>], 'model.safetensors');
  const rows12 = { inputShape: [12], classes: 3 };
  const NOTEBOOK = notebookSpec([784, 512, 256, 10]);

  it('reads the model and loss a download names, or the activations an older download named', async () => {
    const { mlp, spec } = await readModelFile(file({ model: 'dense:5:relu,dense:4:tanh', loss: 'squared' }), rows12, NOTEBOOK);
    expect(mlp.sizes).toEqual([12, 5, 4, 3]);
    expect(spec).toEqual({ model: denseSpec([5, 4], ['relu', 'tanh']), loss: 'squared' });
    expect((await readModelFile(file({ activation: 'relu,tanh', loss: 'squared' }), rows12, NOTEBOOK)).spec).toEqual(spec);
    // One activation for all, as --activation takes it; a missing loss is the notebook's.
    expect((await readModelFile(file({ activation: 'relu' }), rows12, NOTEBOOK)).spec).toEqual({ model: denseSpec([5, 4], ['relu']), loss: 'nll' });
  });

  it('gives no spec for a file that names none (the CLI\'s --save, PyTorch\'s)', async () => {
    expect((await readModelFile(file({ epochs: '3' }), rows12, NOTEBOOK)).spec).toBeNull();
  });

  it('refuses metadata naming an unknown activation, or too many, and a network of another shape', async () => {
    await expect(readModelFile(file({ activation: 'swish' }), rows12, NOTEBOOK)).rejects.toThrow(
      new SafetensorsError(`model.safetensors: its metadata's model layer 1: dense activation must be one of sigmoid, relu, tanh, gelu, leaky_relu, got "swish"`));
    await expect(readModelFile(file({ activation: 'relu,relu,relu' }), rows12, NOTEBOOK)).rejects.toThrow(/its metadata's activation needs one activation for every hidden layer/);
    await expect(readModelFile(file({ model: 'dense:5:relu' }), rows12, NOTEBOOK)).rejects.toThrow(
      'model.safetensors: its metadata says the model dense:5:relu makes a 12-5-3 network, its weights are 12-5-4-3');
    await expect(readModelFile(file({}), { inputShape: [784], classes: 10 }, NOTEBOOK)).rejects.toThrow('the network is 12-5-4-3; a model of this data takes 784 inputs and gives 10 classes');
  });

  // A small CNN on 6x6 images: conv1 (2, 1, 3, 3), pool1, flatten1, fc1 (3, 18).
  const CNN = { model: parseModel('conv2d:2:k3:p1:relu,maxpool2d:2,flatten'), loss: 'nll' as const };
  const image6 = { inputShape: [1, 6, 6], classes: 3 };
  const cnnFile = (metadata: Record<string, string>) =>
    new File([encodeSafetensors(initNetwork(resolveNetwork(CNN.model, [1, 6, 6], 3, 'nll'), 1), metadata) as Uint8Array<ArrayBuffer>], 'cnn.safetensors');

  it('reads a CNN as its metadata names it, or as the form\'s model describes a file that names none', async () => {
    const named = await readModelFile(cnnFile({ model: 'conv2d:2:k3:p1:relu,maxpool2d:2,flatten', input_shape: '[1,6,6]' }), image6, NOTEBOOK);
    expect(named.spec).toEqual(CNN);
    expect(named.mlp.layers[0].params.map((p) => [p.name, p.shape])).toEqual([['conv1.weight', [2, 1, 3, 3]], ['conv1.bias', [2]]]);
    expect(named.mlp.inputShape).toEqual([1, 6, 6]);
    expect(modelFileName(named.mlp, CNN)).toBe('cnn-2-3.safetensors');
    expect((await readModelFile(cnnFile({}), image6, CNN)).spec).toEqual(CNN);
  });

  it('refuses a CNN file for other images, or one that names no model while the form\'s is dense', async () => {
    await expect(readModelFile(cnnFile({ model: 'conv2d:2:k3:p1:relu,maxpool2d:2,flatten', input_shape: '[1,6,6]' }), { inputShape: [1, 8, 8], classes: 3 }, NOTEBOOK))
      .rejects.toThrow('cnn.safetensors: its network takes samples of shape [1,6,6]; the data in use has [1, 8, 8]');
    await expect(readModelFile(cnnFile({}), image6, NOTEBOOK)).rejects.toThrow(/metadata names no model: set the Model field to its layers/);
  });

  it('names a dense download mlp-<widths>', () => {
    expect(modelFileName(initMlp([12, 5, 4, 3], 1), notebookSpec([12, 5, 4, 3]))).toBe('mlp-12-5-4-3.safetensors');
  });
});

describe('modelMisfit', () => {
  it('says why a model does not fit the data\'s samples, and nothing when it fits', () => {
    const cnn = validateConfig({ model: parseModel('cnn') });
    expect(modelMisfit(cnn, { inputShape: [1, 28, 28], classes: 10 })).toBeNull();
    expect(modelMisfit(cnn, { inputShape: [12], classes: 3 })).toMatch(/^conv1 is a convolution over images .* but its input is rows of 12 values/);
  });
});
