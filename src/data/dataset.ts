// A classification data set as the trainers see it, whatever file it came from: MNIST or any IDX
// set (u8 images), or a CSV (f32 feature rows). Browser-safe: no Node imports.

/** One split: `count` samples, each a row of `width` values, and one label per sample. */
export interface Split {
  /** Row-major (count, width). u8: pixels (or other bytes), scaled to [0, 1] on their way into the
   * network, and kept as bytes on the GPU (47 MB for MNIST's training images instead of 188 MB as
   * f32). f32: feature values (a CSV's), used as they are. */
  features: Uint8Array | Float32Array;
  /** One class index per sample, 0 .. classes - 1 (so at most MAX_CLASSES classes). */
  labels: Uint8Array;
  count: number;
  /** Values per sample: the network's input width. */
  width: number;
  /** An image set's height and width (rows * cols = width): what random shifts move and the
   * dashboard draws. null for rows that are not images (a CSV's features, an IDX file of rank 2). */
  image: { rows: number; cols: number } | null;
}

export interface DataSet {
  train: Split;
  test: Split;
  /** Where the data came from, for logs, reports and the dashboard. */
  source: string;
  /** Class i's name, when the data named its classes (a CSV's label column); null when the labels
   * are the class indices themselves (IDX). */
  classNames: string[] | null;
}

/** Labels are stored as bytes (on the GPU as well), so 256 classes at most. */
export const MAX_CLASSES = 256;

/** A data file (or its contents) that cannot be used; `file` is the name the caller gave it. */
export class DataError extends Error {
  override name = 'DataError';
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`${file}: ${detail}`);
  }
}

/** A data set's splits; the test split may be missing (a library fit without validation data). */
export type Splits = Pick<DataSet, 'train'> & { test: Split | null; classNames?: string[] | null };

/** How many classes the data has: its named classes, else one more than the largest label of any
 * split (MNIST: 10). The width of the network's output layer comes from here and nowhere else. */
export function classCount(data: Splits): number {
  if (data.classNames) return data.classNames.length;
  let max = 0;
  for (const s of [data.train, data.test]) for (let i = 0; i < (s?.count ?? 0); i++) max = Math.max(max, s!.labels[i]);
  return max + 1;
}

/** Whether the samples are u8 (scaled by 1/255 on the way in) or f32 (used as they are). */
export const featureType = (split: Pick<Split, 'features'>): 'u8' | 'f32' => (split.features instanceof Float32Array ? 'f32' : 'u8');

const shapeOf = (s: Split) => (s.image ? `${s.image.rows}x${s.image.cols} images` : `rows of ${s.width} ${featureType(s) === 'f32' ? 'features' : 'bytes'}`);

/** The test split must be shaped as the training split: the network's input width comes from the
 * training samples, and a test set of another width would be read as misaligned rows. */
export function checkSplitsMatch(train: Split, test: Split, trainName: string, testName: string): void {
  if (train.width !== test.width || featureType(train) !== featureType(test) || !train.image !== !test.image ||
    (train.image && test.image && train.image.cols !== test.image.cols)) {
    throw new DataError(testName, `holds ${shapeOf(test)}, but the training data (${trainName}) holds ${shapeOf(train)}. ` +
      'Both splits must have the same shape.');
  }
}

/** One line on what was loaded, as the CLI prints it and the dashboard shows it. */
export function describeData(data: DataSet): string {
  const n = (x: number) => x.toLocaleString('en-US');
  return `${n(data.train.count)} training / ${n(data.test.count)} test samples, ${shapeOf(data.train)}, ${classCount(data)} classes`;
}

/** The class names and their indices ("0 = setosa, 1 = versicolor, ..."), null for IDX labels. */
export function classMapping(data: Pick<DataSet, 'classNames'>): string | null {
  return data.classNames?.map((name, i) => `${i} = ${name}`).join(', ') ?? null;
}

/** Classes with no training sample (labels 0..k-1 with gaps): the network still has an output
 * for each, which training only pushes down. */
function classesWithoutTraining(data: DataSet): number[] {
  const seen = new Uint8Array(classCount(data));
  for (let i = 0; i < data.train.count; i++) seen[data.train.labels[i]] = 1;
  return Array.from(seen.keys()).filter((c) => !seen[c]);
}

/** The note the CLI prints and the dashboard logs when some classes have no training sample. */
export function untrainedNote(data: DataSet): string | null {
  const untrained = classesWithoutTraining(data);
  if (untrained.length === 0) return null;
  return `note: no training sample has label ${untrained.join(', ')}; the network keeps an output for ${untrained.length === 1 ? 'it' : 'each'}, never the right answer`;
}

/** A fingerprint of the data's content (every split's samples and labels), so that a checkpoint
 * knows the data it trained on by content, not by path: FNV-1a over the bytes, in two lanes of
 * different offset bases, as 16 hex digits. About 0.1 s for MNIST in Node. */
export function contentHash(data: Splits): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x9e3779b9;
  for (const split of [data.train, data.test]) {
    if (!split) continue;
    for (const view of [split.features, split.labels]) {
      const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
      for (let i = 0; i < bytes.length; i++) {
        a = Math.imul(a ^ bytes[i], 0x01000193);
        b = Math.imul(b ^ bytes[i], 0x01000193) ^ (b >>> 15);
      }
    }
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
}
