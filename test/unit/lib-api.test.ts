// The library API on the CPU reference: it is the path `npm run train` takes (the same per-step
// losses), its state carries over between calls and through save/load, abort continues exactly,
// and every bad input is a typed error naming the option.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTrainCli } from '../../src/cli/train.ts';
import { syntheticSplit } from '../../src/data/synthetic.ts';
import {
  ConfigError,
  createTrainer,
  DatasetError,
  DivergenceError,
  loadTrainer,
  SafetensorsError,
  TrainerStateError,
  TrainingAbortedError,
  type Dataset,
} from '../../src/lib/index.ts';
import { loadMnist, type Mnist } from '../../src/lib/mnist.ts';
import { encodeSafetensors } from '../../src/train/safetensors.ts';
import { readSavedModel } from '../../src/export/saved-model.ts';
import { formatModel } from '../../src/model/spec.ts';
import { initMlp } from '../../src/reference/mlp.ts';

const dir = mkdtempSync(join(tmpdir(), 'lib-api-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let mnist: Mnist;
beforeAll(async () => {
  mnist = await loadMnist();
});

/** The first n samples of a dataset, as views. */
function first(ds: Dataset, n: number): Dataset {
  const per = ds.images.length / ds.shape[0];
  return { images: ds.images.subarray(0, n * per), labels: ds.labels.subarray(0, n), shape: [n, ...ds.shape.slice(1)] as [number, number, number] };
}

/** A small synthetic set: fast, and reproducible. */
function synthetic(count: number, seed: number): Dataset {
  const s = syntheticSplit(count, seed);
  return { images: s.features, labels: s.labels, shape: [count, 28, 28] };
}

const SMALL = { layers: [784, 16, 10], device: 'cpu', optimizer: { lr: 0.1, momentum: 0.9 } } as const;

describe('the library is the path of npm run train', () => {
  it("the notebook's recipe on 320 images gives the CLI's per-step losses and test results (CPU reference)", async () => {
    const json = join(dir, 'cli.json');
    const lines: string[] = [];
    const code = await runTrainCli(['--device', 'cpu', '--limit-train', '320', '--limit-test', '100', '--epochs', '1', '--json', json, '--no-progress'],
      { out: () => {}, err: (s) => lines.push(s) });
    expect(code, lines.join('\n')).toBe(0);
    const cli = JSON.parse(readFileSync(json, 'utf8')) as { stepLosses: number[]; epochs: { testLoss: number; testAccuracy: number }[] };

    const trainer = await createTrainer({ layers: [784, 512, 256, 10], device: 'cpu' });
    const log: string[] = [];
    const fit = await trainer.fit(first(mnist.train, 320), { epochs: 1, validation: first(mnist.test, 100), onLog: (l) => log.push(l) });
    expect(fit.stepLosses).toHaveLength(10);
    expect(fit.stepLosses).toEqual(cli.stepLosses);
    expect(fit.epochs[0].testLoss).toBe(cli.epochs[0].testLoss);
    expect(fit.epochs[0].testAccuracy).toBe(cli.epochs[0].testAccuracy);
    expect(log.some((l) => l.startsWith('Train Epoch: 1 [0/ 320(0%)]'))).toBe(true);
    // 10 steps leave the sigmoid network at chance: the result says so, in the library's words.
    expect(fit.note).toMatch(/^Test accuracy \d+\.\d\d% is near chance \(\d+\.\d\d%, always answering the most common class\) after 10 steps: /);
    expect(fit.note).toMatch(/Try optimizer: \{ kind: 'adam' \} \(.*\), or more epochs\.$/);
  });
});

describe('state between calls', () => {
  it('two fits of one epoch equal one fit of two; evaluate and predict agree; save/load continues exactly', async () => {
    const data = synthetic(200, 3);
    const once = await createTrainer(SMALL);
    const both = await once.fit(data, { epochs: 2 });
    const twice = await createTrainer(SMALL);
    const a = await twice.fit(data, { epochs: 1 });
    const checkpoint = twice.save();
    const b = await twice.fit(data, { epochs: 1 });
    expect([...a.stepLosses, ...b.stepLosses]).toEqual(both.stepLosses);
    expect(twice.epochsDone).toBe(2);
    expect(twice.parameters()).toEqual(once.parameters());

    const loaded = await loadTrainer(checkpoint, { device: 'cpu' });
    expect(loaded.epochsDone).toBe(1);
    expect((await loaded.fit(data, { epochs: 1 })).stepLosses).toEqual(b.stepLosses);

    const test = synthetic(70, 4);
    const ev = await once.evaluate(test);
    expect(ev.count).toBe(70);
    const p = await once.predict(test.images);
    expect(p.classes).toEqual(ev.predictions);
    expect(p.probabilities).toHaveLength(70 * 10);
    const row0 = p.probabilities.subarray(0, 10);
    expect(row0.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
    expect(row0.indexOf(Math.max(...row0))).toBe(p.classes[0]);
    expect(ev.correct).toBe(p.classes.filter((c, i) => c === test.labels[i]).length);
  });

  it('an aborted fit rejects with TrainingAbortedError, and the next fit finishes the epoch exactly', async () => {
    const data = synthetic(320, 5);
    const full = await (await createTrainer({ ...SMALL, readbackEvery: 2 })).fit(data, { epochs: 1 });
    const trainer = await createTrainer({ ...SMALL, readbackEvery: 2 });
    const controller = new AbortController();
    const err = await trainer.fit(data, { epochs: 1, onStep: (s) => s.step === 3 && controller.abort(), signal: controller.signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrainingAbortedError);
    expect((err as TrainingAbortedError).name).toBe('AbortError');
    const done = (err as TrainingAbortedError).result.stepLosses;
    expect(done).toEqual(full.stepLosses.slice(0, 4));
    await expect(trainer.fit(synthetic(100, 5), { epochs: 1 })).rejects.toThrow(/320 samples.*finish the epoch/);
    const rest = await trainer.fit(data, { epochs: 1 });
    expect([...done, ...rest.stepLosses]).toEqual(full.stepLosses);
  });

  it('saveWeights() names the model, the loss and one sample\'s shape, so loadTrainer, the exporter and the inference entry read it untold', async () => {
    const t = await createTrainer({ layers: [[1, 28, 28], { type: 'conv2d', channels: 2, kernel: 5 }, { type: 'maxpool2d', kernel: 2 }, { type: 'flatten' }, 10], loss: 'squared', device: 'cpu' });
    const saved = readSavedModel(t.saveWeights(), 'w.safetensors', { model: [], loss: 'nll' });
    expect(saved.specFrom).toBe('file');
    expect(formatModel(saved.spec.model)).toBe('conv2d:2:k5:relu,maxpool2d:2,flatten');
    expect(saved.spec.loss).toBe('squared');
    expect(saved.weights.inputShape).toEqual([1, 28, 28]);
    expect(saved.weights.layers.flatMap((l) => l.params.map((p) => p.data))).toEqual(t.parameters().map((p) => p.data));

    const loaded = await loadTrainer(t.saveWeights(), { device: 'cpu', optimizer: { kind: 'adam' } });
    expect(loaded.settings.layers).toEqual(t.settings.layers);
    expect(loaded.settings.loss).toBe('squared');
    expect(loaded.settings.optimizer.kind).toBe('adam');
    expect(loaded.parameters()).toEqual(t.parameters());
    const images = synthetic(8, 3).images;
    expect((await loaded.predict(images)).probabilities).toEqual((await t.predict(images)).probabilities);
    await expect(loadTrainer(t.saveWeights(), { device: 'cpu', activation: 'tanh' })).rejects.toThrow(/^activation cannot be given with weights, whose metadata names its model and loss \(conv2d:2:k5:relu,maxpool2d:2,flatten, squared\)/);
  });

  it('takes layer specs beside widths, and refuses misspelt fit and load options', async () => {
    const gelu = { type: 'dense', units: 8, activation: 'gelu' } as const;
    const t = await createTrainer({ layers: [784, gelu, 6, 10], activation: 'tanh', device: 'cpu' });
    expect(t.layers).toEqual([784, 8, 6, 10]);
    expect(t.settings.layers).toEqual([784, gelu, { type: 'dense', units: 6, activation: 'tanh' }, 10]);
    const same = await createTrainer({ ...t.settings, device: 'cpu' });
    const data = synthetic(64, 1);
    expect((await same.fit(data, { epochs: 1 })).stepLosses).toEqual((await t.fit(data, { epochs: 1 })).stepLosses);
    await expect(t.fit(data, { epochs: 1, onstep: () => {} } as never)).rejects.toThrow(/^onstep is not an option: did you mean onStep\?/);
    await expect(loadTrainer(t.save(), { devices: 'cpu' } as never)).rejects.toThrow(/^devices is not an option: did you mean device\?/);
  });

  it('trains a CNN given layers from an image shape: fit, predict, and a checkpoint that continues it exactly', async () => {
    const layers = [[1, 28, 28], { type: 'conv2d', channels: 3, kernel: 3, padding: 1, activation: 'relu' }, { type: 'maxpool2d', kernel: 2 },
      { type: 'flatten' }, 10] as const;
    const t = await createTrainer({ layers, optimizer: { kind: 'adam', lr: 1e-3 }, batch: 16, device: 'cpu' });
    expect(t.layers).toEqual([784, 3 * 28 * 28, 3 * 14 * 14, 3 * 14 * 14, 10]);
    expect(t.settings.layers).toEqual([[1, 28, 28], { type: 'conv2d', channels: 3, kernel: 3, stride: 1, padding: 1, activation: 'relu' },
      { type: 'maxpool2d', kernel: 2 }, { type: 'flatten' }, 10]);
    expect(t.parameters().map((p) => [p.name, p.shape])).toEqual([['conv1.weight', [3, 1, 3, 3]], ['conv1.bias', [3]], ['fc1.weight', [10, 588]], ['fc1.bias', [10]]]);
    const data = synthetic(64, 2);
    const first = await t.fit(data, { epochs: 1 });
    const resumed = await loadTrainer(t.save(), { device: 'cpu' });
    const [a, b] = [await t.fit(data, { epochs: 1 }), await resumed.fit(data, { epochs: 1 })];
    expect(b.stepLosses).toEqual(a.stepLosses);
    expect(first.stepLosses).toHaveLength(4);
    const p = await resumed.predict(data.images.subarray(0, 3 * 784));
    expect(p.classes).toHaveLength(3);
    await expect(createTrainer({ layers: [784, ...layers.slice(1)], device: 'cpu' })).rejects.toThrow(/^layers conv1 is a convolution over images/);
    await expect(createTrainer({ layers: [[3, 28, 28], ...layers.slice(1)], device: 'cpu' })).rejects.toThrow(/^layers \[0\] gives images of 3 channels/);
    await expect(t.fit({ ...data, shape: [64, 784] }, { epochs: 1 })).rejects.toThrow(/the network takes 28x28 images/);
  });

  it('a weights file starts a new run from its weights; a checkpoint refuses other settings', async () => {
    const weights = initMlp([784, 16, 10], 9);
    const t = await loadTrainer(encodeSafetensors(weights), { device: 'cpu', activation: 'relu' });
    expect(t.layers).toEqual([784, 16, 10]);
    expect(t.settings.layers).toEqual([784, { type: 'dense', units: 16, activation: 'relu' }, 10]);
    expect(t.parameters()[0].data).toEqual(weights.layers[0].params[0].data);
    await expect(loadTrainer(t.save(), { device: 'cpu', batch: 64 })).rejects.toThrow(ConfigError);
    await expect(loadTrainer(new TextEncoder().encode('not safetensors'))).rejects.toThrow(SafetensorsError);
  });

  it('divergence rejects with DivergenceError naming the library option', async () => {
    const t = await createTrainer({ ...SMALL, optimizer: { lr: 1e6 } });
    const err = await t.fit(synthetic(320, 6), { epochs: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DivergenceError);
    expect((err as Error).message).toMatch(/smaller optimizer\.lr than 1000000/);
  });

  it('a disposed or busy trainer says so', async () => {
    const t = await createTrainer(SMALL);
    const running = t.fit(synthetic(64, 1), { epochs: 1 });
    await expect(t.evaluate(synthetic(64, 1))).rejects.toThrow(TrainerStateError);
    await running;
    t.dispose();
    await expect(t.predict(new Uint8Array(784))).rejects.toThrow(/disposed/);
  });
});

describe('bad input: typed errors naming the option', () => {
  it.each([
    [{ layers: [784, 10] }, ConfigError, /^layers must list/],
    [{ layers: [784, 16, 300] }, ConfigError, /^layers must end with the number of classes, 2 to 256/],
    [{ layers: [784, 16, 10], optimizer: { lr: 0 } }, ConfigError, /^optimizer\.lr must be a finite number > 0, got 0/],
    [{ layers: [784, 16, 10], optimizer: { nesterov: true } }, ConfigError, /^optimizer\.nesterov needs optimizer\.momentum > 0/],
    [{ layers: [784, 16, 10], activation: 'swish' }, ConfigError, /^activation must be sigmoid, relu, tanh, gelu, leaky_relu/],
    [{ layers: [784, 16, 8, 10], activation: ['relu', 'relu', 'relu'] }, ConfigError, /^activation needs one activation for every hidden layer/],
    [{ layers: [784, 16, 10], batch: 0 }, ConfigError, /^batch must be a positive integer/],
    [{ layers: [784, 16, 10], shuffle: 'yes' }, ConfigError, /^shuffle must be true or false/],
    [{ layers: [784, 16, 10], device: 'tpu' }, ConfigError, /^device must be 'gpu' or 'cpu'/],
    // A misspelt key would otherwise train on the default (the campaign's `optimiser: { lr: 5 }`).
    [{ layers: [784, 16, 10], optimiser: { lr: 5 } }, ConfigError, /^optimiser is not an option: did you mean optimizer\? \(valid: layers, activation,/],
    [{ layers: [784, 16, 10], optimizer: { momentun: 0.9 } }, ConfigError, /^optimizer\.momentun is not an option: did you mean momentum\?/],
    [{ layers: [784, 16, 10], optimizer: 'adam' }, ConfigError, /^optimizer must be an object such as \{ kind: 'adam', lr: 1e-3 \}, got "adam"/],
    [{ layers: [784, { type: 'dense', units: 8, activation: 'gelu' }, { type: 'dense', units: 0, activation: 'relu' }, 10] }, ConfigError,
      /^layers \[2\]: dense units must be a positive integer, got 0/],
    [{ layers: [784, { type: 'pool' }, 10] }, ConfigError, /^layers \[1\]: must be an object with a type of dense/],
    // Planned before any allocation (the campaign's RangeError), on either device.
    [{ layers: [1e12, 16, 10], device: 'cpu' }, ConfigError, /^layers dense:16:sigmoid needs about [\d.]+ GB of host memory on the CPU reference .* choose a smaller layers/],
    [{ layers: [784, 3e6, 10], device: 'cpu' }, ConfigError, /^layers dense:3000000:sigmoid needs about [\d.]+ GB of host memory on the CPU reference/],
    [{ layers: [784, 3e6, 10] }, ConfigError, /^layers dense:3000000:sigmoid needs about [\d.]+ GB of host memory on a GPU run/],
    // A wide convolution: the message names the layer holding most of the parameters.
    [{ layers: [[1, 28, 28], { type: 'conv2d', channels: 1000000, kernel: 3 }, 10], device: 'cpu' }, ConfigError,
      /^layers conv2d:1000000:k3:relu needs about [\d.]+ GB .*\(6,770,000,010 parameters, .*, 6,760,000,010 of them in fc1, .* choose a smaller layers/],
    [{ layers: [[1, 28, 28], { type: 'conv2d', channels: 8, kernel: 29 }, 10] }, ConfigError, /^layers conv1: a 29x29 kernel does not fit its 28x28 input with padding 0/],
  ])('%j', async (options, type, message) => {
    const err = await createTrainer(options as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(type);
    expect((err as Error).message).toMatch(message);
  });

  it.each([
    [{ images: [1, 2], labels: new Uint8Array(1), shape: [1, 784] }, /^dataset\.images must be a Uint8Array.*got Array/],
    [{ images: new Uint8Array(784), labels: new Uint8Array(1), shape: [1, 27, 28] }, /^dataset\.shape \[1,27,28\] gives 756 inputs per sample, the network takes 784/],
    [{ images: new Uint8Array(784), labels: new Uint8Array(1), shape: [2, 784] }, /^dataset\.images holds 784 values, shape \[2,784\] needs 1568/],
    [{ images: new Uint8Array(784), labels: new Uint8Array(2), shape: [1, 784] }, /^dataset\.labels holds 2 labels for 1 samples/],
    [{ images: new Uint8Array(784), labels: Uint8Array.of(10), shape: [1, 784] }, /^dataset\.labels \[0\] is 10, but the network has 10 classes/],
    [{ images: new Uint8Array(784), labels: new Uint8Array(1), shape: [1, 784, 1, 1] }, /^dataset\.shape must be \[count, rows, cols\]/],
  ])('dataset %#', async (ds, message) => {
    const t = await createTrainer(SMALL);
    const err = await t.fit(ds as never, { epochs: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetError);
    expect((err as Error).message).toMatch(message);
  });

  it('fit options and the data size', async () => {
    const t = await createTrainer({ ...SMALL, batch: 64 });
    await expect(t.fit(synthetic(10, 1), { epochs: 0 })).rejects.toThrow(/^epochs must be a positive integer, got 0/);
    // As written, not as JSON prints it (was: "got null").
    await expect(t.fit(synthetic(10, 1), { epochs: NaN })).rejects.toThrow(/^epochs must be a positive integer, got NaN$/);
    await expect(t.fit(synthetic(10, 1), { epochs: 1 })).rejects.toThrow(/^batch must be at most the number of training samples \(10\), got 64/);
    await expect(t.predict(new Uint8Array(785))).rejects.toThrow(/^images holds 785 values, not a whole number/);
  });
});
