// CSV data sets (src/data/csv.ts), the choice of a set's files (src/data/sources.ts), and --data,
// --test-data and --label-column as loadData resolves them, IDX sets of other shapes included.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { csvDataFromText, CsvError, type NamedText } from '../../src/data/csv.ts';
import { classCount, classMapping, describeData } from '../../src/data/dataset.ts';
import { networkFor } from '../../src/reference/mlp.ts';
import { loadData } from '../../src/data/mnist-node.ts';
import { CSV_SPLIT_FILES, loadDataFromUrl, pickDataFiles } from '../../src/data/sources.ts';
import { ConfigError } from '../../src/train/config.ts';
import { denseSpec, denseWidths } from '../../src/model/spec.ts';
import { blobsCsv, writeBlockIdxSet } from '../support/datasets.ts';
import { thrown } from '../support/thrown.ts';

const csv = (text: string, name = 'train.csv'): NamedText => ({ text, name });
const TEST = csv('a,b,label\n1,2,cat\n', 'test.csv');
const load = (train: string, test: NamedText = TEST, labelColumn = 'label') => csvDataFromText(csv(train), test, { labelColumn }, 'mem');

describe('csvDataFromText', () => {
  it('reads f32 features, maps the sorted labels of both files to classes, and keeps their names', () => {
    const d = load('a,b,label\n1.5,-2,dog\n3e2,.25,cat\n0,7,bird\n', csv('b,label,a\n9,cat,8\n', 'test.csv'));
    expect(d.classNames).toEqual(['bird', 'cat', 'dog']);
    expect(Array.from(d.train.labels)).toEqual([2, 1, 0]);
    expect(d.train.features).toBeInstanceOf(Float32Array);
    expect(Array.from(d.train.features)).toEqual([1.5, -2, 300, 0.25, 0, 7]);
    // The test file's columns are taken by name, in the training file's order.
    expect(Array.from(d.test.features)).toEqual([8, 9]);
    expect([d.train.count, d.train.width, d.train.image, d.test.count]).toEqual([3, 2, null, 1]);
    expect(denseWidths(networkFor(d, { model: denseSpec([5], ['relu']), loss: 'nll' }))).toEqual([2, 5, 3]);
    expect(classMapping(d)).toBe('0 = bird, 1 = cat, 2 = dog');
    expect(describeData(d)).toBe('3 training / 1 test samples, rows of 2 features, 3 classes');
  });

  it('sorts numeric labels as numbers, so "10" comes after "2"', () => {
    const d = load('a,label\n1,10\n2,2\n3,1\n', csv('a,label\n4,2\n', 'test.csv'));
    expect(d.classNames).toEqual(['1', '2', '10']);
    expect(Array.from(d.train.labels)).toEqual([2, 1, 0]);
  });

  it('counts a label seen only in the test file as a class', () => {
    const d = load('a,label\n1,x\n', csv('a,label\n2,y\n', 'test.csv'));
    expect(classCount(d)).toBe(2);
  });

  it('takes RFC 4180: quotes, "" escapes, CRLF, a byte-order mark, blank lines, spaces around cells', () => {
    const d = load('\ufeffa,"b",label\r\n 1 , 2 ,"Quoted, ""odd"" name"\r\n\r\n3,4,plain\r\n', csv('a,b,label\n1,2,plain\n', 'test.csv'));
    expect(d.classNames).toEqual(['Quoted, "odd" name', 'plain']);
    expect(Array.from(d.train.features)).toEqual([1, 2, 3, 4]);
  });

  it('names the row, its line, the column, the cell and the fix for a non-numeric feature', () => {
    const e = thrown(() => load('a,b,label\n1,2,x\n\n3,"red",y\n'));
    expect(e).toBeInstanceOf(CsvError);
    expect(e.message).toBe('train.csv: row 2 (line 4), column "b": "red" is not a number. Feature columns must be numeric: drop the ' +
      'column or encode it as numbers (one column per category, say), or name it with --label-column if it holds the labels.');
  });

  it('counts lines inside a quoted field that spans lines', () => {
    expect(load.bind(null, 'a,label\n1,"two\nline label"\nx,y\n')).toThrow('train.csv: row 2 (line 4), column "a": "x" is not a number');
  });

  it.each([
    ['an empty feature cell', 'a,b,label\n1,,x\n', 'train.csv: row 1 (line 2), column "b": the cell is empty. Fill in the missing value, or drop the row.'],
    ['an empty label', 'a,label\n1, \n', 'train.csv: row 1 (line 2): the label (column "label") is empty. Give every row its label, or drop the row.'],
    ['a short row', 'a,b,label\n1,2,x\n1,2\n', 'train.csv: row 2 (line 3) has 2 cells, the header has 3. Every row needs one value per column.'],
    ['a long row', 'a,label\n1,x,9\n', 'train.csv: row 1 (line 2) has 3 cells, the header has 2.'],
    ['NaN', 'a,label\nNaN,x\n', '"NaN" is not a number'],
    ['a hexadecimal number', 'a,label\n0x10,x\n', '"0x10" is not a number'],
    ['a value past float32', 'a,label\n1e39,x\n', 'train.csv: row 1 (line 2), column "a": 1e39 is outside the float32 range (about ±3.4e38). Rescale the column.'],
    ['no label column', 'a,b,species\n1,2,x\n', 'train.csv: no column named "label" for the labels; the header has "a", "b", "species". Name the label column with --label-column.'],
    ['only the label column', 'label\nx\n', 'train.csv: the only column is the label column "label"; a sample needs at least one feature column.'],
    ['a column named twice', 'a,a,label\n1,2,x\n', 'train.csv: the header names column "a" twice. Column names must be unique.'],
    ['a column without a name', 'a,,label\n1,2,x\n', 'train.csv: column 2 of the header row has no name. Every column needs a name in the first row.'],
    ['an empty file', '', 'train.csv: the file is empty. It needs a header row, then one row per sample.'],
    ['a header without rows', 'a,label\n', 'train.csv: the file has a header but no rows. It needs one row per sample after the header.'],
    ['an unterminated quote', 'a,label\n1,"x\n', 'train.csv: line 2: Quoted field unterminated. Close every quoted field with a double quote'],
  ])('refuses %s', (_, text, message) => {
    expect(thrown(() => load(text)).message).toContain(message);
  });

  it('refuses a test file whose columns differ, naming the missing and the extra ones', () => {
    const e = thrown(() => load('a,b,label\n1,2,x\n', csv('a,c,d,label\n1,2,3,x\n', 'test.csv')));
    expect(e.message).toBe('test.csv: its columns differ from the training file\'s: missing "b"; extra "c", "d". Both files need the same columns (in any order).');
  });

  it('refuses more than 256 classes, suspecting a feature column named as the label', () => {
    const rows = Array.from({ length: 257 }, (_, i) => `1,${i}`).join('\n');
    expect(thrown(() => load(`a,label\n${rows}\n`, csv('a,label\n1,0\n', 'test.csv'))).message).toBe('train.csv: column "label" holds 257 distinct labels; the trainer takes ' +
      'at most 256 classes (labels are stored as bytes). Is --label-column naming a feature column?');
  });

  it('refuses a label column of one class, naming the file and the class', () => {
    expect(thrown(() => load('a,label\n1,x\n2,x\n', csv('a,label\n3,x\n', 'test.csv'))).message).toBe('train.csv: column "label" holds one class only, ' +
      '"x", in every row of the data; a classifier needs samples of at least two classes. Is --label-column naming the label column?');
  });

  it('reads the label column the user names, wherever it stands', () => {
    const d = csvDataFromText(csv(blobsCsv(30, 1)), csv(blobsCsv(9, 2), 'test.csv'), { labelColumn: 'species' }, 'blobs');
    expect(d.classNames).toEqual(['setosa', 'versicolor', 'virginica']);
    expect([d.train.width, d.train.count, d.test.count]).toEqual([4, 30, 9]);
    expect(Array.from(d.train.labels.subarray(0, 4))).toEqual([0, 1, 2, 0]);
  });
});

describe('pickDataFiles', () => {
  it('picks a training and a test CSV by their names, else the four IDX files', () => {
    expect(pickDataFiles(['README', 'iris-test.csv', 'iris-train.csv.gz'], 'x')).toEqual({ format: 'csv', files: { train: 'iris-train.csv.gz', test: 'iris-test.csv' } });
    expect(pickDataFiles(['train-images-idx3-ubyte.gz', 'train-labels-idx1-ubyte', 't10k-images.idx3-ubyte', 't10k-labels-idx1-ubyte'], 'x').format).toBe('idx');
  });

  it('refuses CSV files whose names do not tell the splits apart', () => {
    expect(() => pickDataFiles(['a.csv', 'b.csv'], 'the drop')).toThrow('the drop has CSV files (a.csv, b.csv) but not one whose name says "train" and one that says "test". ' +
      'Name them so, train.csv and test.csv for instance.');
    expect(() => pickDataFiles(['train.csv', 'train2.csv', 'test.csv'], 'x')).toThrow(/not one whose name says "train"/);
  });

  it('names the missing IDX files and the CSV alternative', () => {
    expect(() => pickDataFiles(['train-images-idx3-ubyte'], 'x')).toThrow(/^x is missing 3 files: train-labels-idx1-ubyte .* or a training and a test CSV file/);
  });
});

describe('loadData: --data, --test-data, --label-column', () => {
  const dirs: string[] = [];
  const tempDir = async () => {
    const d = await mkdtemp(join(tmpdir(), 'data-test-'));
    dirs.push(d);
    return d;
  };
  afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it('an IDX folder of 12x10 images in 13 classes: the shape and the classes come from the files', async () => {
    const dir = await tempDir();
    await writeBlockIdxSet(dir, { train: 130, test: 26, rows: 12, cols: 10, classes: 13 });
    const { data, format, served } = await loadData({ data: dir });
    expect(format).toEqual({ format: 'idx' });
    expect([data.train.count, data.train.width, data.train.image, data.test.count]).toEqual([130, 120, { rows: 12, cols: 10 }, 26]);
    expect(denseWidths(networkFor(data, { model: denseSpec([32], ['relu']), loss: 'nll' }))).toEqual([120, 32, 13]);
    expect(served['t10k-labels-idx1-ubyte']).toBe(join(dir, 't10k-labels-idx1-ubyte'));
  });

  it('a folder with train.csv and test.csv (gzip-compressed too)', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'train.csv'), blobsCsv(30, 1));
    await writeFile(join(dir, 'test.csv.gz'), gzipSync(blobsCsv(9, 2)));
    const { data, format, served } = await loadData({ data: dir, labelColumn: 'species' });
    expect(format).toEqual({ format: 'csv', labelColumn: 'species' });
    expect([data.train.count, data.test.count, data.source]).toEqual([30, 9, dir]);
    expect(served).toEqual({ [CSV_SPLIT_FILES.train]: join(dir, 'train.csv'), [CSV_SPLIT_FILES.test]: join(dir, 'test.csv.gz') });
  });

  it('a CSV file with --test-data', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'a.csv'), blobsCsv(30, 1));
    await writeFile(join(dir, 'b.csv'), blobsCsv(9, 2));
    const { data } = await loadData({ data: join(dir, 'a.csv'), testData: join(dir, 'b.csv'), labelColumn: 'species' });
    expect(data.source).toBe(`${join(dir, 'a.csv')} + ${join(dir, 'b.csv')}`);
    expect(data.classNames).toEqual(['setosa', 'versicolor', 'virginica']);
  });

  it('refuses wrong combinations, naming the option', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'a.csv'), blobsCsv(3, 1));
    await writeFile(join(dir, 'notes.txt'), 'x');
    await mkdir(join(dir, 'sub'));
    const err = (o: Parameters<typeof loadData>[0]) => loadData(o).then(() => null, (e: Error) => e);
    const noTest = await err({ data: join(dir, 'a.csv') });
    expect(noTest).toBeInstanceOf(ConfigError);
    expect(noTest?.message).toBe(`--test-data is needed with --data ${join(dir, 'a.csv')}: name the test split's .csv file (or pass --data a folder holding train.csv and test.csv)`);
    expect((await err({ testData: 'x.csv' }))?.message).toBe('--test-data needs --data: the training .csv file it goes with');
    expect((await err({ data: join(dir, 'sub'), testData: 'x.csv' }))?.message).toMatch(/^--test-data goes with a \.csv file in --data; the folder .*sub holds its own test split$/);
    expect((await err({ data: join(dir, 'a.csv'), testData: join(dir, 'notes.txt') }))?.message).toMatch(/^--test-data must name a \.csv file/);
    expect((await err({ data: join(dir, 'notes.txt') }))?.message).toMatch(/notes\.txt is a file, not a folder or a \.csv file\. --data takes a folder of four IDX files/);
  });

  it('the headless page reads the served CSV files the same way (loadDataFromUrl)', async () => {
    const files = new Map([['https://x.test/d/train.csv', blobsCsv(30, 1)], ['https://x.test/d/test.csv', blobsCsv(9, 2)]]);
    const fetchFn = async (url: string) => (files.has(url) ? new Response(files.get(url)) : new Response('', { status: 404 }));
    const d = await loadDataFromUrl('https://x.test/d', { format: 'csv', labelColumn: 'species' }, fetchFn);
    expect([d.train.count, d.test.count, d.classNames?.length]).toEqual([30, 9, 3]);
  });
});
