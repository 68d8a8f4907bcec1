// IDX data sets in MNIST's layout: four files with MNIST's names (train-images-idx3-ubyte, ...),
// as Fashion-MNIST and KMNIST ship too, of any image size and any number of classes. Pixels and
// labels stay u8 and are converted to floats on the GPU. Browser-safe: no Node imports here; the
// Node loaders live in mnist-node.ts.

import { checkSplitsMatch, DataError, type DataSet, type Split } from './dataset.ts';
import { IdxError, parseIdx, type IdxTensor } from './idx.ts';

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

/** Names accepted for one file, in order of preference: the canonical name, the
 * `t10k-images.idx3-ubyte` spelling some mirrors use, and each of those gzip-compressed. */
export function idxCandidateNames(canonical: string): string[] {
  const dotted = canonical.replace(/-(idx\d)/, '.$1');
  return [canonical, dotted, canonical + '.gz', dotted + '.gz'];
}

/** A split from its samples file, (count, rows, cols) images or (count, ...) rows of bytes, and
 * its labels, (count) bytes: class indices 0..255, within MAX_CLASSES by their type. */
export function idxSplit(samplesIdx: IdxTensor, labelsIdx: IdxTensor, samplesName: string, labelsName: string): Split {
  if (samplesIdx.dims.length < 2) {
    throw new IdxError(
      samplesName,
      `is a rank-1 IDX file of ${samplesIdx.dims[0]} values, which is the shape of a labels file; the samples file must be ` +
        'rank 3, (count, rows, cols) images, or rank 2, (count, values) rows of bytes. Are the images and labels files swapped?',
    );
  }
  if (labelsIdx.dims.length !== 1) {
    throw new IdxError(
      labelsName,
      `is a rank-${labelsIdx.dims.length} IDX file (${labelsIdx.dims.join('x')}), which is the shape of a samples file; ` +
        'the labels file must be rank 1, (count) one byte per sample. Are the images and labels files swapped?',
    );
  }
  const [count, ...sample] = samplesIdx.dims;
  const labels = labelsIdx.data;
  if (labels.length !== count) {
    throw new IdxError(
      labelsName,
      `${labels.length} labels but ${samplesName} has ${count} samples. ` +
        'Images and labels must come from the same split (train with train, t10k with t10k).',
    );
  }
  const width = sample.reduce((a, b) => a * b, 1);
  const image = sample.length === 2 ? { rows: sample[0], cols: sample[1] } : null;
  return { features: samplesIdx.data, labels, count, width, image };
}

export function idxDataFromBytes(files: Record<MnistFileKey, NamedBytes>, source: string): DataSet {
  const parsed = (key: MnistFileKey): IdxTensor => parseIdx(files[key].bytes, files[key].name);
  const train = idxSplit(parsed('trainImages'), parsed('trainLabels'), files.trainImages.name, files.trainLabels.name);
  const test = idxSplit(parsed('testImages'), parsed('testLabels'), files.testImages.name, files.testLabels.name);
  checkSplitsMatch(train, test, files.trainImages.name, files.testImages.name);
  return { train, test, source, classNames: null };
}

/** gzip's two magic bytes (RFC 1952); an IDX file starts with 0x00 0x00, so the two never clash. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** The longest text a JS engine holds as one string (V8: 2^29 - 24 UTF-16 units): the most a CSV
 * file can be and still be read. */
export const MAX_TEXT_BYTES = 2 ** 29 - 24;

/** Bytes enough to hold an IDX header of any rank (4). */
const IDX_HEAD = 20;

/** The most that data starting with `head` may decompress to: an IDX file exactly its header's
 * size (a few KB of gzip can expand a thousandfold, so nothing is taken on trust), anything else
 * (a CSV) the longest text it could be read as. */
function decompressedLimit(head: Uint8Array, name: string, textLimit: number): { bytes: number; error: () => DataError } {
  const rank = head[3];
  if (head[0] === 0 && head[1] === 0 && head[2] === 0x08 && rank >= 1 && rank <= 4 && head.length >= 4 + 4 * rank) {
    const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
    const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i));
    const bytes = 4 + 4 * rank + dims.reduce((a, b) => a * b, 1);
    return { bytes, error: () => new IdxError(name, `decompresses to more than the ${bytes} bytes its header gives (dims ${dims.join('x')}). The file is corrupt; fetch it again.`) };
  }
  return { bytes: textLimit, error: () => new DataError(name, `decompresses to more than ${textLimit} bytes, the most a CSV file can be read as text here. Split the data.`) };
}

/** gzip data decompressed, refused (a DataError naming `name`) past what its start allows
 * (decompressedLimit), before holding more than that. */
export async function gunzip(bytes: Uint8Array, name = 'data', textLimit = MAX_TEXT_BYTES): Promise<Uint8Array> {
  // Copy into a fresh ArrayBuffer-backed array: BlobPart rejects views of SharedArrayBuffer.
  const reader = new Blob([new Uint8Array(bytes)]).stream().pipeThrough(new DecompressionStream('gzip')).getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  let limit: ReturnType<typeof decompressedLimit> | null = null;
  for (let r = await reader.read(); !r.done; r = await reader.read()) {
    chunks.push(r.value);
    total += r.value.length;
    if (limit === null && total >= IDX_HEAD) limit = decompressedLimit(concatBytes(chunks, IDX_HEAD), name, textLimit);
    if (limit !== null && total > limit.bytes) {
      await reader.cancel();
      throw limit.error();
    }
  }
  return concatBytes(chunks, total);
}

/** The first `length` bytes of `chunks` joined. */
function concatBytes(chunks: readonly Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(Math.min(length, chunks.reduce((a, c) => a + c.length, 0)));
  let pos = 0;
  for (const c of chunks) {
    if (pos >= out.length) break;
    out.set(c.subarray(0, out.length - pos), pos);
    pos += c.length;
  }
  return out;
}

/** Decides by content, not by name: a server may send `x.gz` already decoded (Content-Encoding). */
export async function gunzipIfNeeded(bytes: Uint8Array, name: string): Promise<Uint8Array> {
  if (!isGzip(bytes)) return bytes;
  try {
    return await gunzip(bytes, name);
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw new IdxError(name, `gzip data is corrupt (${(e as Error).message}). Fetch the file again.`);
  }
}

export type FetchFn = (url: string) => Promise<Response>;

/** Fetches `file` under `base` as its plain name or, failing that, name + '.gz' (`.gz` first with
 * gzipFirst: a static build holds only those, and each miss is a logged 404), decompressed by
 * content; `hint` ends the message when neither comes. */
export async function fetchDataFile(base: string, file: string, fetchFn: FetchFn, gzipFirst: boolean, hint: string): Promise<NamedBytes> {
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
  throw new Error(`could not fetch the data file ${file}: ${failures.join('; ')}. ${hint}`);
}

/** The four IDX files with MNIST's names under `baseUrl`. */
export async function loadMnistFromUrl(
  baseUrl: string,
  fetchFn: FetchFn = (url) => fetch(url),
  gzipFirst = false,
): Promise<DataSet> {
  const base = baseUrl.endsWith('/') ? baseUrl : baseUrl + '/';
  const hint = `Serve the four IDX files with MNIST's names (plain or .gz) under ${base}.`;
  const keys = Object.keys(MNIST_FILES) as MnistFileKey[];
  const fetched = await Promise.all(keys.map((k) => fetchDataFile(base, MNIST_FILES[k], fetchFn, gzipFirst, hint)));
  const files = Object.fromEntries(keys.map((k, i) => [k, fetched[i]])) as Record<MnistFileKey, NamedBytes>;
  return idxDataFromBytes(files, base);
}
