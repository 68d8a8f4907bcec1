// The library's datasets beyond MNIST (CPU reference): f32 feature rows, CSV text and IDX bytes
// through the public API. A CSV fit is the path `npm run train -- --data x.csv` takes (the same
// per-step losses); IDX bytes give the arrays the CLI's loader reads; bad files and bad features
// are typed errors that name them.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { runTrainCli } from '../../src/cli/train.ts';
import { loadData } from '../../src/data/mnist-node.ts';
import { ConfigError, createTrainer, csvDatasets, CsvError, DataError, DatasetError, idxDataset, IdxError } from '../../src/lib/index.ts';
import { blobsCsv, blockImages, idxBytes, writeBlockIdxSet } from '../support/datasets.ts';
import { thrown } from '../support/thrown.ts';

const dir = mkdtempSync(join(tmpdir(), 'lib-data-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TRAIN_CSV = blobsCsv(150, 1);
const TEST_CSV = blobsCsv(60, 2);
const CSV_RECIPE = { hidden: 16, activation: 'tanh', lr: 0.1, epochs: 2, batch: 10 } as const;

describe('CSV text', () => {
  it('gives f32 datasets and the class names; a fit has the per-step losses of npm run train on the same files', async () => {
    const { train, test, classNames } = csvDatasets({ train: TRAIN_CSV, test: TEST_CSV }, { labelColumn: 'species' });
    expect(classNames).toEqual(['setosa', 'versicolor', 'virginica']);
    expect(train.shape).toEqual([150, 4]);
    expect(train.images).toBeInstanceOf(Float32Array);
    // Columns in file order, the label column left out: sepal_length, sepal_width, petal_length, petal_width.
    const firstRow = TRAIN_CSV.split('\n')[1].split(',');
    expect(Array.from(train.images.subarray(0, 4))).toEqual([0, 1, 3, 4].map((i) => Math.fround(Number(firstRow[i]))));
    expect(train.labels[0]).toBe(classNames.indexOf(firstRow[2]));
    expect(test?.shape).toEqual([60, 4]);

    writeFileSync(join(dir, 'train.csv'), TRAIN_CSV);
    writeFileSync(join(dir, 'test.csv'), TEST_CSV);
    const json = join(dir, 'csv.json');
    const err: string[] = [];
    const r = CSV_RECIPE;
    const code = await runTrainCli(['--device', 'cpu', '--data', join(dir, 'train.csv'), '--test-data', join(dir, 'test.csv'), '--label-column', 'species',
      '--hidden', String(r.hidden), '--activation', r.activation, '--lr', String(r.lr), '--epochs', String(r.epochs), '--batch', String(r.batch),
      '--json', json, '--no-progress'], { out: () => {}, err: (s) => err.push(s) });
    expect(code, err.join('\n')).toBe(0);
    const cli = JSON.parse(readFileSync(json, 'utf8')) as { stepLosses: number[]; epochs: { testAccuracy: number }[] };

    const trainer = await createTrainer({ layers: [4, r.hidden, classNames.length], activation: r.activation, optimizer: { lr: r.lr }, batch: r.batch, device: 'cpu' });
    const fit = await trainer.fit(train, { epochs: r.epochs, validation: test });
    expect(fit.stepLosses).toHaveLength(2 * 15);
    expect(fit.stepLosses).toEqual(cli.stepLosses);
    expect(fit.epochs[1].testAccuracy).toBe(cli.epochs[1].testAccuracy);
    expect(fit.epochs[1].testAccuracy).toBeGreaterThan(90);

    // predict takes f32 rows too.
    const p = await trainer.predict(test!.images.subarray(0, 3 * 4));
    expect(p.classes).toHaveLength(3);
    expect(p.probabilities).toHaveLength(3 * 3);
  });

  it('a training text alone; the classes are its labels', () => {
    const { train, test, classNames } = csvDatasets({ train: 'a,b,label\n1,2,10\n3,4,2\n5,6,10\n' });
    expect(test).toBeUndefined();
    // Numeric labels sort as numbers.
    expect(classNames).toEqual(['2', '10']);
    expect(Array.from(train.labels)).toEqual([1, 0, 1]);
    expect(train.name).toBe('train.csv');
  });

  it.each([
    [{ train: 'a,b,label\n1,2,x\n' }, { labelColumn: 'species' }, CsvError, /^train\.csv: no column named "species" for the labels; the header has "a", "b", "label"/],
    [{ train: 'a,b,label\n1,2,x\n', test: 'a,c,label\n1,2,x\n' }, { names: { test: 'held-out.csv' } }, CsvError, /^held-out\.csv: its columns differ from the training file's: missing "b"; extra "c"/],
    [{ train: 'a,b,label\n1,two,x\n' }, {}, CsvError, /^train\.csv: row 1 \(line 2\), column "b": "two" is not a number/],
    [{ train: new Uint8Array(3) }, {}, DatasetError, /^train\.csv must be the CSV file's text \(a string\), got Uint8Array/],
  ])('refuses %j', (texts, options, type, message) => {
    const err = thrown(() => csvDatasets(texts as never, options));
    expect(err).toBeInstanceOf(type);
    expect(err.message).toMatch(message);
  });
});

describe('IDX bytes', () => {
  it('plain or gzip-compressed, give the arrays the CLI loads from a folder of the same files', async () => {
    const idxDir = join(dir, 'blocks');
    mkdirSync(idxDir);
    await writeBlockIdxSet(idxDir, { train: 40, test: 13, rows: 12, cols: 10, classes: 13 });
    const { data } = await loadData({ data: idxDir });
    const read = (f: string) => new Uint8Array(readFileSync(join(idxDir, f)));
    const train = await idxDataset(read('train-images-idx3-ubyte'), read('train-labels-idx1-ubyte'), 'blocks train');
    expect(train.shape).toEqual([40, 12, 10]);
    expect(train.images).toEqual(data.train.features);
    expect(train.labels).toEqual(data.train.labels);
    const gz = await idxDataset(gzipSync(read('t10k-images-idx3-ubyte')), gzipSync(read('t10k-labels-idx1-ubyte')));
    expect(gz.images).toEqual(data.test.features);
    expect(gz.name).toBe('idx');

    // Rank-2 samples are rows of bytes, [count, values].
    const rows = await idxDataset(idxBytes([3, 5], new Uint8Array(15)), idxBytes([3], [0, 1, 2]));
    expect(rows.shape).toEqual([3, 5]);
  });

  it('names the file in its errors', async () => {
    const { images, labels } = blockImages(4, 4, 4, 2, 1);
    const [img, lab] = [idxBytes([4, 4, 4], images), idxBytes([4], labels)];
    const swapped = await idxDataset(lab, img, 'mine').catch((e: unknown) => e);
    expect(swapped).toBeInstanceOf(IdxError);
    expect(swapped).toBeInstanceOf(DataError);
    expect((swapped as Error).message).toMatch(/^mine images: is a rank-1 IDX file of 4 values, which is the shape of a labels file; the samples file must be rank 3/);
    await expect(idxDataset(img, idxBytes([3], [0, 1, 0]))).rejects.toThrow(/^idx labels: 3 labels but idx images has 4 samples/);
    await expect(idxDataset(img.subarray(0, 2), lab)).rejects.toThrow(IdxError);
    await expect(idxDataset([0, 0, 8, 1] as never, lab)).rejects.toThrow(/^idx images must be the file's bytes as a Uint8Array, got Array/);
  });
});

describe('f32 features', () => {
  const layers = [4, 8, 3];

  it('a non-finite feature is refused naming the sample', async () => {
    const images = new Float32Array(8);
    images[6] = NaN;
    const t = await createTrainer({ layers, device: 'cpu' });
    const err = await t.fit({ images, labels: new Uint8Array(2), shape: [2, 4] }, { epochs: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetError);
    expect((err as Error).message).toBe('dataset.images [6] (sample 1) is NaN: features must be finite numbers');
    await expect(t.predict(Float32Array.of(1, 2, Infinity, 4))).rejects.toThrow(/^images \[2\] \(sample 0\) is Infinity/);
  });

  it('are never shifted: augmentShift is refused for them, even shaped as images', async () => {
    const t = await createTrainer({ layers, device: 'cpu', augmentShift: 1, batch: 2 });
    const err = await t.fit({ images: new Float32Array(8), labels: new Uint8Array(2), shape: [2, 2, 2] }, { epochs: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(/^augmentShift shifts images, but this data holds rows of features, not images: it must be 0, got 1/);
  });
});
