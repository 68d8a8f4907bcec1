import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTrainCli } from '../../src/cli/train.ts';
import { MATMUL_VARIANTS } from '../../src/gpu/kernels/matmul.ts';
import { initMlp, MNIST_MLP_SIZES, resolveMlp } from '../../src/reference/mlp.ts';
import { MODEL_PRESETS } from '../../src/model/spec.ts';
import { CNN_RECIPE, NOTEBOOK_RECIPE } from '../../src/train/config.ts';
import { decodeSafetensors, encodeSafetensors, readSafetensors } from '../../src/train/safetensors.ts';
import { trainingSets, writeTrainingSets } from '../support/datasets.ts';
import { captureCli } from '../support/cli.ts';

const cli = captureCli(runTrainCli);

const dir = mkdtempSync(join(tmpdir(), 'train-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const corrupt = join(dir, 'corrupt.safetensors');
writeFileSync(corrupt, 'this is not a safetensors file at all');
const narrow = join(dir, 'narrow.safetensors');
writeFileSync(narrow, encodeSafetensors(initMlp([784, 16, 10], 1)));

// A fast run on the CPU reference: 2 steps of 32, 64 test images.
const SMALL_RUN = ['--device', 'cpu', '--epochs', '1', '--limit-train', '64', '--limit-test', '64'];

describe('train CLI: bad options', () => {
  it.each([
    [['--lr', '0'], ['--lr', '> 0']],
    [['--lr', 'abc'], ['--lr', '> 0', '"abc"']],
    [['--batch', '0'], ['--batch', '>= 1']],
    [['--batch', '70000'], ['--batch', 'at most', '60000']],
    [['--epochs', '1.5'], ['--epochs', '>= 1', '"1.5"']],
    [['--hidden', '512,0'], ['--hidden', '>= 1', '"0"']],
    [['--hidden', 'abc'], ['--hidden', '>= 1', '"abc"']],
    [['--model', 'dense:128:swish'], ['--model layer 1 (dense:128:swish): dense activation must be one of sigmoid, relu']],
    [['--model', 'conv:8'], ['--model layer 1 "conv:8" has no known type (dense, conv2d, maxpool2d, flatten)', 'or a preset (mlp, cnn)']],
    [['--model', 'mlp', '--hidden', '128'], ['--hidden cannot be given with --model']],
    [['--activation', 'relu,relu,relu'], ['--activation needs one activation for every hidden layer', '3 given for 2']],
    [['--momentum', '1'], ['--momentum', '[0, 1)']],
    [['--seed', '-1'], ['--seed', '[0, 4294967295]']],
    [['--device', 'tpu'], ['--device', 'gpu, cpu', '"tpu"']],
    [['--runtime', 'deno'], ['--runtime', 'browser, node', '"deno"']],
    [['--matmul', 'foo'], ['--matmul', MATMUL_VARIANTS.join(', '), '"foo"']],
    [['--limit-train', '0'], ['--limit-train', '>= 1']],
    [['--limit-train', '70000'], ['--limit-train', 'at most 60000']],
    [['--lr-schedule', 'foo'], ['--lr-schedule', 'constant, cosine, step']],
    [['--augment-shift', '9'], ['--augment-shift', '"9"']],
    [['--nesterov'], ['--nesterov', '--momentum > 0']],
    [['--data', '/nonexistent'], ['--data', '/nonexistent', 'four IDX files']],
    [['--init', '/nonexistent.safetensors'], ['--init', '/nonexistent.safetensors']],
    [['--init', corrupt], ['--init', corrupt, 'header length']],
    [['--init', narrow], ['--init', narrow, 'fc1.weight', '[16,784]', '784-512-256-10']],
    [['--bogus'], ["unknown option '--bogus'", '--lr']],
  ])('%j: exit 2, one error line naming the option', async (argv, pieces) => {
    // --device cpu first, so a bad --device given after it wins.
    const { code, out, err } = await cli('--device', 'cpu', ...argv);
    expect(code).toBe(2);
    expect(err).toHaveLength(1);
    expect(err[0]).not.toContain('\n');
    expect(err[0].startsWith('error:')).toBe(true);
    for (const piece of pieces) expect(err[0]).toContain(piece);
    // Nothing ran: the data and config lines come before any training.
    expect(out).toEqual([]);
  });
});

describe('train CLI: a preset brings its recipe, and each option given replaces its part', () => {
  const recipe = (c: typeof CNN_RECIPE) => ({ optimizer: c.optimizer, lr: c.lr, weightDecay: c.weightDecay, lrSchedule: c.lrSchedule, augmentShift: c.augmentShift, epochs: c.epochs });
  const cnn = recipe(CNN_RECIPE);
  it.each([
    ['--model cnn: the CNN recipe', ['--model', 'cnn'], cnn],
    ['--model mlp: the notebook recipe', ['--model', 'mlp', '--limit-train', '32'], recipe(NOTEBOOK_RECIPE)],
    ["the cnn's layers written out: the notebook recipe", ['--model', MODEL_PRESETS.cnn, '--epochs', '1'], { ...recipe(NOTEBOOK_RECIPE), epochs: 1 }],
    ['another optimizer takes its own lr and weight decay', ['--model', 'cnn', '--optimizer', 'adam', '--epochs', '1'], { ...cnn, optimizer: 'adam', lr: 1e-3, weightDecay: 0, epochs: 1 }],
    ['options given win', ['--model', 'cnn', '--lr', '0.01', '--weight-decay', '0', '--lr-schedule', 'step', '--augment-shift', '2', '--epochs', '2'],
      { ...cnn, lr: 0.01, weightDecay: 0, lrSchedule: 'step', augmentShift: 2, epochs: 2 }],
  ])('%s', async (_, argv, expected) => {
    const { code, out, err } = await cli('--device', 'cpu', '--limit-train', '32', '--limit-test', '32', ...argv);
    expect(err).toEqual([]);
    expect(code).toBe(0);
    const line = out.find((l) => l.startsWith('config: '))!;
    expect(JSON.parse(line.slice('config: '.length))).toMatchObject(expected);
    expect(out.filter((l) => l.startsWith('[EPOCH:'))).toHaveLength(expected.epochs);
  });
});

describe('train CLI: a real run on the CPU reference', () => {
  const json = join(dir, 'report.json');
  const saved = join(dir, 'weights.safetensors');

  it("prints the notebook's lines and writes the report and the weights", async () => {
    const { code, out, err } = await cli(...SMALL_RUN, '--batch', '32', '--log-interval', '1', '--json', json, '--save', saved);
    expect(err).toEqual([]);
    expect(code).toBe(0);
    expect(out).toContainEqual(expect.stringMatching(/^Train Epoch: 1 \[0\/ 64\(0%\)\]\tTrain Loss:\d+\.\d{6}$/));
    expect(out).toContainEqual(expect.stringMatching(/^Train Epoch: 1 \[32\/ 64\(50%\)\]\tTrain Loss:\d+\.\d{6}$/));
    expect(out).toContain('[EPOCH:1].  ');
    expect(out).toContainEqual(expect.stringMatching(/^Test Loss: \d+\.\d{4}, \t Test Accuracy: \d+\.\d{2}% $/));
    // Two steps leave the sigmoid network at chance: the run says why, and what to run instead.
    expect(out).toContainEqual(expect.stringMatching(/^note: Test accuracy \d+\.\d\d% is near chance \(10%\) after only 2 steps: .*plateau.*--limit-train 20000 --epochs 3/));

    const report = JSON.parse(readFileSync(json, 'utf8'));
    expect(report.config).toMatchObject({ epochs: 1, batchSize: 32, lr: 0.5, limitTrain: 64, limitTest: 64 });
    expect(report.stepLosses).toHaveLength(2);
    expect(report.stepLosses.every(Number.isFinite)).toBe(true);
    expect(report.epochs).toHaveLength(1);
    expect(report.epochs[0].testAccuracy).toBeGreaterThanOrEqual(0);
    expect(report.epochs[0].testAccuracy).toBeLessThanOrEqual(100);

    const weights = decodeSafetensors(new Uint8Array(readFileSync(saved)), resolveMlp(MNIST_MLP_SIZES));
    expect(weights.sizes).toEqual([784, 512, 256, 10]);
  });

  it('starts from the saved weights with --init', async () => {
    const { code, out, err } = await cli(...SMALL_RUN, '--init', saved);
    expect(err).toEqual([]);
    expect(code).toBe(0);
    expect(out).toContain('[EPOCH:1].  ');
  });

  it('--lr 1e6: a loss that explodes while staying finite stops the run, keeping the weights before it', async () => {
    const kept = join(dir, 'diverged.safetensors');
    const { code, out } = await cli(...SMALL_RUN, '--no-shuffle', '--lr', '1e6', '--readback-every', '1', '--json', join(dir, 'diverged.json'), '--save', kept);
    expect(code).toBe(1);
    const line = out.find((l) => l.startsWith('training diverged:'));
    expect(line).toMatch(/^training diverged: the mean loss of steps 1-1 of epoch 1 reached [\d.e+]+, over 230 \(100 x ln 10 classes; a uniform guess scores 2\.30\)\. The weights were restored to the last read-back before it\. Try a smaller --lr than 1000000 \(or --no-divergence-stop to train on\)\.$/);
    const report = JSON.parse(readFileSync(join(dir, 'diverged.json'), 'utf8'));
    expect(report.diverged).toBe(line);
    // Step 0 trained at the initial weights with an ordinary loss; its update made step 1 explode.
    expect(report.stepLosses).toHaveLength(1);
    expect(report.stepLosses[0]).toBeLessThan(5);
    // The same first step alone (the first 32 images in file order) gives the weights kept.
    const oneStep = join(dir, 'one-step.safetensors');
    expect((await cli(...SMALL_RUN, '--no-shuffle', '--lr', '1e6', '--limit-train', '32', '--save', oneStep)).code).toBe(0);
    const weights = decodeSafetensors(new Uint8Array(readFileSync(kept)), resolveMlp(MNIST_MLP_SIZES));
    expect(weights).toEqual(decodeSafetensors(new Uint8Array(readFileSync(oneStep)), resolveMlp(MNIST_MLP_SIZES)));
  });

  it('--no-divergence-stop trains on through the same finite explosion', async () => {
    const { code, out } = await cli(...SMALL_RUN, '--lr', '1e6', '--readback-every', '1', '--no-divergence-stop');
    expect(code).toBe(0);
    expect(out.some((l) => l.startsWith('training diverged'))).toBe(false);
    expect(out).toContain('[EPOCH:1].  ');
  });

  it('--init of the seed-1 initial weights reproduces the default run step for step', async () => {
    const initial = join(dir, 'initial.safetensors');
    writeFileSync(initial, encodeSafetensors(initMlp(MNIST_MLP_SIZES, 1)));
    const again = join(dir, 'again.json');
    const { code } = await cli(...SMALL_RUN, '--init', initial, '--json', again);
    expect(code).toBe(0);
    const first = JSON.parse(readFileSync(json, 'utf8'));
    expect(JSON.parse(readFileSync(again, 'utf8')).stepLosses).toEqual(first.stepLosses);
  });
});

describe('train CLI: data sets beyond MNIST, on the CPU reference', () => {
  const { idxDir, csvDir } = trainingSets(dir);
  beforeAll(() => writeTrainingSets(dir));
  const accuracy = (out: string[]) => Number(/final test accuracy ([\d.]+)%/.exec(out.find((l) => l.startsWith('done:'))!)![1]);

  it('an IDX set of 12x10 images in 13 classes: a 120-32-13 network learns it', async () => {
    const report = join(dir, 'blocks.json');
    const { code, out, err } = await cli('--device', 'cpu', '--data', idxDir, '--hidden', '32', '--epochs', '4', '--batch', '16', '--json', report);
    expect(err).toEqual([]);
    expect(code).toBe(0);
    expect(out).toContain(`data: ${idxDir}: 650 training / 130 test samples, 12x10 images, 13 classes`);
    expect(accuracy(out)).toBeGreaterThan(90);
    // No MNIST plateau advice for other data.
    expect(out.some((l) => l.startsWith('note:'))).toBe(false);
    expect(JSON.parse(readFileSync(report, 'utf8')).data).toMatchObject({ source: idxDir, train: 650, test: 130, classes: null });
  });

  it('a CSV with string labels: the mapping is printed and kept in the report, and the saved network is 4-16-3', async () => {
    const report = join(dir, 'iris.json');
    const saved = join(dir, 'iris.safetensors');
    const { code, out, err } = await cli('--device', 'cpu', '--data', join(csvDir, 'train.csv'), '--test-data', join(csvDir, 'test.csv'),
      '--label-column', 'species', '--hidden', '16', '--epochs', '5', '--batch', '10', '--json', report, '--save', saved);
    expect(err).toEqual([]);
    expect(code).toBe(0);
    expect(out).toContain('classes: 0 = setosa, 1 = versicolor, 2 = virginica');
    expect(out).toContainEqual(expect.stringMatching(/^data: .* 300 training \/ 90 test samples, rows of 4 features, 3 classes$/));
    expect(accuracy(out)).toBeGreaterThan(90);
    expect(JSON.parse(readFileSync(report, 'utf8')).data.classes).toEqual(['setosa', 'versicolor', 'virginica']);
    expect(decodeSafetensors(new Uint8Array(readFileSync(saved)), resolveMlp([4, 16, 3])).sizes).toEqual([4, 16, 3]);
    // For the ONNX export's metadata (npm run export).
    expect(readSafetensors(new Uint8Array(readFileSync(saved))).metadata.class_names).toBe('["setosa","versicolor","virginica"]');
  });

  it('a CSV run with the notebook\'s defaults that ends at chance says so, and what to try', async () => {
    // Measured: 33.33% (one class of three) for the first 6 of the default 10 epochs, 66.67% after 10;
    // with --optimizer adam 98.89% after 4.
    const { code, out } = await cli('--device', 'cpu', '--data', csvDir, '--label-column', 'species', '--epochs', '2');
    expect(code).toBe(0);
    expect(accuracy(out)).toBe(33.33);
    expect(out).toContain('note: Test accuracy 33.33% is near chance (33.33%, always answering the most common class) after 20 steps: ' +
      'the network has not learned yet. Try --optimizer adam (which adapts each weight\'s step; on a small CSV where SGD stayed at chance ' +
      'it reached 98.89% in 4 epochs), or more --epochs. Features are used as they are, not rescaled: columns on very different scales slow learning.');
  });

  it.each([
    [['--label-column', 'species', '--augment-shift', '1'], '--augment-shift shifts images, but this data holds rows of features, not images: it must be 0, got 1'],
    [['--label-column', 'kind'], 'no column named "kind" for the labels; the header has "sepal_length", "sepal_width", "species", "petal_length", "petal_width"'],
    [['--label-column', 'sepal_width'], '"setosa" is not a number'],
  ])('%j on the CSV folder: exit 2 before training, one line naming the problem', async (argv, message) => {
    const { code, out, err } = await cli('--device', 'cpu', '--data', csvDir, ...argv);
    expect(code).toBe(2);
    expect(err).toHaveLength(1);
    expect(err[0]).toContain(message);
    expect(out.filter((l) => l.startsWith('Train Epoch'))).toEqual([]);
  });
});
