// MNIST as the trainer sees it: pixels and labels stay u8 (47 MB for the training images instead of
// 188 MB as f32) and are converted to floats on the GPU. Browser-safe: no Node imports here; the
// Node loaders live in mnist-node.ts.

import { IdxError, parseIdx, type IdxTensor } from './idx.ts';

export interface MnistSplit {
  /** Row-major (count, rows * cols), one byte per pixel, 0 = background. */
  images: Uint8Array;
  /** One label 0..9 per image. */
  labels: Uint8Array;
  count: number;
  rows: number;
  cols: number;
}

export interface MnistData {
  train: MnistSplit;
  test: MnistSplit;
  /** Where the data came from, for logs and the dashboard. */
  source: string;
}

export const MNIST_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

export type MnistFileKey = keyof typeof MNIST_FILES;

export interface NamedBytes {
  bytes: Uint8Array;
  /** Used in error messages: the file name, path or URL. */
  name: string;
}

export function mnistSplit(
  imagesIdx: IdxTensor,
  labelsIdx: IdxTensor,
  imagesName: string,
  labelsName: string,
): MnistSplit {
  if (imagesIdx.dims.length !== 3) {
    throw new IdxError(
      imagesName,
      `images must have rank 3 (count, rows, cols), found rank ${imagesIdx.dims.length} ` +
        `(${imagesIdx.dims.join('x')}). Is this a label file in the images slot?`,
    );
  }
  if (labelsIdx.dims.length !== 1) {
    throw new IdxError(
      labelsName,
      `labels must have rank 1 (count), found rank ${labelsIdx.dims.length} ` +
        `(${labelsIdx.dims.join('x')}). Is this an image file in the labels slot?`,
    );
  }
  const [count, rows, cols] = imagesIdx.dims;
  const labels = labelsIdx.data;
  if (labels.length !== count) {
    throw new IdxError(
      labelsName,
      `${labels.length} labels but ${imagesName} has ${count} images. ` +
        'Images and labels must come from the same split (train with train, t10k with t10k).',
    );
  }
  for (let i = 0; i < count; i++) {
    if (labels[i] > 9) {
      throw new IdxError(
        labelsName,
        `label ${labels[i]} at index ${i} is out of range 0..9. The file is corrupt or not MNIST.`,
      );
    }
  }
  return { images: imagesIdx.data, labels, count, rows, cols };
}

/** How many classes the splits' labels name: one more than the largest label (MNIST: 10). The
 * width of the network's output layer comes from here and nowhere else. */
export function classCount(...splits: Pick<MnistSplit, 'labels' | 'count'>[]): number {
  let max = 0;
  for (const s of splits) for (let i = 0; i < s.count; i++) max = Math.max(max, s.labels[i]);
  return max + 1;
}

/** Layer widths of an MLP for this data: its pixels in, `hidden`, its classes out. */
export function mlpSizesFor(data: Pick<MnistData, 'train' | 'test'>, hidden: readonly number[]): number[] {
  return [data.train.rows * data.train.cols, ...hidden, classCount(data.train, data.test)];
}

export function mnistFromBytes(files: Record<MnistFileKey, NamedBytes>, source: string): MnistData {
  const parsed = (key: MnistFileKey): IdxTensor => parseIdx(files[key].bytes, files[key].name);
  const train = mnistSplit(parsed('trainImages'), parsed('trainLabels'), files.trainImages.name, files.trainLabels.name);
  const test = mnistSplit(parsed('testImages'), parsed('testLabels'), files.testImages.name, files.testLabels.name);
  // The network's input width comes from the training images: a test set of another size would
  // be read as misaligned rows (or past the end of the buffer).
  if (train.rows !== test.rows || train.cols !== test.cols) {
    throw new IdxError(files.testImages.name, `images are ${test.rows}x${test.cols}, but the training images ` +
      `(${files.trainImages.name}) are ${train.rows}x${train.cols}. Both splits must have the same image size.`);
  }
  return { train, test, source };
}

/** gzip's two magic bytes (RFC 1952); an IDX file starts with 0x00 0x00, so the two never clash. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

export async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  // Copy into a fresh ArrayBuffer-backed array: BlobPart rejects views of SharedArrayBuffer.
  const stream = new Blob([new Uint8Array(bytes)]).stream().pipeThrough(new DecompressionStream('gzip'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** Decides by content, not by name: a server may send `x.gz` already decoded (Content-Encoding). */
export async function gunzipIfNeeded(bytes: Uint8Array, name: string): Promise<Uint8Array> {
  if (!isGzip(bytes)) return bytes;
  try {
    return await gunzip(bytes);
  } catch (e) {
    throw new IdxError(name, `gzip data is corrupt (${(e as Error).message}). Fetch the file again.`);
  }
}

export type FetchFn = (url: string) => Promise<Response>;

/** Fetches the four files from `baseUrl`, each as its plain name or, failing that, name + '.gz'
 * (`.gz` first with gzipFirst: a static build holds only those, and each miss is a logged 404). */
export async function loadMnistFromUrl(
  baseUrl: string,
  fetchFn: FetchFn = (url) => fetch(url),
  gzipFirst = false,
): Promise<MnistData> {
  const base = baseUrl.endsWith('/') ? baseUrl : baseUrl + '/';
  const fetchOne = async (file: string): Promise<NamedBytes> => {
    const failures: string[] = [];
    const urls = [base + file, base + file + '.gz'];
    for (const url of gzipFirst ? urls.reverse() : urls) {
      let response: Response;
      try {
        response = await fetchFn(url);
      } catch (e) {
        failures.push(`${url}: ${(e as Error).message}`);
        continue;
      }
      if (!response.ok) {
        failures.push(`${url}: HTTP ${response.status}${response.statusText ? ' ' + response.statusText : ''}`);
        continue;
      }
      const raw = new Uint8Array(await response.arrayBuffer());
      return { bytes: await gunzipIfNeeded(raw, url), name: url };
    }
    throw new Error(
      `could not fetch MNIST file ${file}: ${failures.join('; ')}. ` +
        `Serve the four MNIST files (plain or .gz) under ${base}.`,
    );
  };
  const keys = Object.keys(MNIST_FILES) as MnistFileKey[];
  const fetched = await Promise.all(keys.map((k) => fetchOne(MNIST_FILES[k])));
  const files = Object.fromEntries(keys.map((k, i) => [k, fetched[i]])) as Record<MnistFileKey, NamedBytes>;
  return mnistFromBytes(files, base);
}
