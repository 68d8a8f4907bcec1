// A dataset as a library user hands it over (typed arrays and their shape), checked against the
// network before any work, and turned into the split the engine trains on; and datasets read
// from the bytes of IDX files or the text of CSV files, the formats the CLI's --data takes.
// Browser-safe: the caller reads the files (fetch, a file input, node:fs).
import { csvSplits, DEFAULT_LABEL_COLUMN } from '../data/csv.ts';
import type { Split } from '../data/dataset.ts';
import { denseWidths, type ResolvedLayer } from '../model/spec.ts';
import { parseIdx } from '../data/idx.ts';
import { gunzipIfNeeded, idxSplit } from '../data/mnist.ts';
import { isPositiveInt } from '../train/config.ts';
import { DatasetError, shown } from './errors.ts';

/** Samples and their labels: u8 values (pixels 0-255, scaled to [0, 1] on the device, as
 * MNIST's), or f32 features used as they are; row-major [count, rows, cols] (images) or
 * [count, features]. Only u8 images can be augmented (augmentShift). */
export interface Dataset {
  images: Uint8Array | Float32Array;
  /** One class index per sample, 0 to classes - 1. */
  labels: Uint8Array;
  shape: readonly [count: number, rows: number, cols: number] | readonly [count: number, features: number];
  /** Names the data in reports and checkpoints (default 'dataset'). */
  name?: string;
}

const typeName = (v: unknown) => (v === null ? 'null' : typeof v === 'object' ? (v as object).constructor?.name ?? 'object' : typeof v);

/** The rows of a [count, inputs] input array: its samples, checked against the network's inputs. */
function checkInputs(field: string, images: unknown, inputs: number): { images: Uint8Array | Float32Array; count: number } {
  if (!(images instanceof Uint8Array) && !(images instanceof Float32Array)) {
    throw new DatasetError(field, `must be a Uint8Array (pixels 0-255) or a Float32Array (features), got ${typeName(images)}`);
  }
  if (images.length === 0 || images.length % inputs !== 0) {
    throw new DatasetError(field, `holds ${images.length} values, not a whole number (>= 1) of samples of ${inputs} inputs (layers[0])`);
  }
  // One NaN or Inf feature would turn every loss after it into NaN.
  const bad = images instanceof Float32Array ? images.findIndex((v) => !Number.isFinite(v)) : -1;
  if (bad >= 0) {
    throw new DatasetError(field, `[${bad}] (sample ${Math.floor(bad / inputs)}) is ${images[bad]}: features must be finite numbers`);
  }
  return { images, count: images.length / inputs };
}

/** Checks a dataset against a network of `layers` and returns it as the engine's split. `field`
 * names it in errors ('dataset', 'validation'). */
export function toSplit(ds: Dataset, field: string, network: readonly ResolvedLayer[]): Split {
  const layers = denseWidths(network);
  if (typeof ds !== 'object' || ds === null) throw new DatasetError(field, `must be an object { images, labels, shape }, got ${typeName(ds)}`);
  const { shape, labels } = ds;
  if (!Array.isArray(shape) || (shape.length !== 2 && shape.length !== 3) || !shape.every(isPositiveInt)) {
    throw new DatasetError(`${field}.shape`, `must be [count, rows, cols] (images) or [count, features] of positive integers, got ${shown(shape)}`);
  }
  const [count, rows, cols] = shape.length === 3 ? shape : [shape[0], 1, shape[1]];
  const inputs = layers[0];
  if (rows * cols !== inputs) {
    throw new DatasetError(`${field}.shape`, `${shown(shape)} gives ${rows * cols} inputs per sample, the network takes ${inputs} (layers[0])`);
  }
  const { images } = checkInputs(`${field}.images`, ds.images, inputs);
  if (images.length !== count * inputs) {
    throw new DatasetError(`${field}.images`, `holds ${images.length} values, shape ${shown(shape)} needs ${count * inputs}`);
  }
  if (!(labels instanceof Uint8Array)) throw new DatasetError(`${field}.labels`, `must be a Uint8Array of class indices, got ${typeName(labels)}`);
  if (labels.length !== count) throw new DatasetError(`${field}.labels`, `holds ${labels.length} labels for ${count} samples (shape[0])`);
  const classes = layers[layers.length - 1];
  const bad = labels.findIndex((l) => l >= classes);
  if (bad >= 0) {
    throw new DatasetError(`${field}.labels`, `[${bad}] is ${labels[bad]}, but the network has ${classes} classes (the last of layers): labels must be 0 to ${classes - 1}`);
  }
  // The GPU shifts only u8 images (gather_u8): f32 rows are never an image to augment. A
  // network that takes images (a convolution's) reads them as images whatever their type.
  const image = shape.length === 3 && (images instanceof Uint8Array || network[0].inShape.length === 3) ? { rows, cols } : null;
  const want = network[0].inShape;
  if (want.length === 3 && (image?.rows !== want[1] || image.cols !== want[2])) {
    throw new DatasetError(`${field}.shape`, `${shown(shape)} is not [count, ${want[1]}, ${want[2]}]: the network takes ${want[1]}x${want[2]} images (layers[0])`);
  }
  return { features: images, labels, count, width: inputs, image };
}

/** Images to predict, [count, inputs] row-major, as a split whose labels are unused. */
export function inputSplit(images: Uint8Array | Float32Array, network: readonly ResolvedLayer[]): Split {
  const width = denseWidths(network)[0];
  const { images: samples, count } = checkInputs('images', images, width);
  const [, rows, cols] = network[0].inShape;
  return { features: samples, labels: new Uint8Array(count), count, width, image: network[0].inShape.length === 3 ? { rows, cols } : null };
}

/** An engine split as a Dataset. */
export function fromSplit(s: Split, name: string): Dataset {
  return { images: s.features, labels: s.labels, shape: s.image ? [s.count, s.image.rows, s.image.cols] : [s.count, s.width], name };
}

/** A dataset from two IDX files, as MNIST, Fashion-MNIST and KMNIST ship them: the samples
 * ((count, rows, cols) u8 images, or (count, values) u8 rows) and their labels ((count) u8), each
 * plain or gzip-compressed. `name` names the files in errors (IdxError) as `name` images/labels. */
export async function idxDataset(images: Uint8Array, labels: Uint8Array, name = 'idx'): Promise<Dataset> {
  const names = [`${name} images`, `${name} labels`] as const;
  for (const [i, bytes] of [images, labels].entries()) {
    if (!(bytes instanceof Uint8Array)) throw new DatasetError(names[i], `must be the file's bytes as a Uint8Array, got ${typeName(bytes)}`);
  }
  const [samplesIdx, labelsIdx] = await Promise.all([images, labels].map(async (b, i) => parseIdx(await gunzipIfNeeded(b, names[i]), names[i])));
  return fromSplit(idxSplit(samplesIdx, labelsIdx, ...names), name);
}

export interface CsvDatasetOptions {
  /** The header name of the column holding the labels (default 'label'). */
  labelColumn?: string;
  /** Name the texts in errors (CsvError) and reports (default 'train.csv', 'test.csv'). */
  names?: { train?: string; test?: string };
}

export interface CsvDatasets {
  /** f32 feature rows, [count, features] (the label column left out, the others in the training
   * file's order), and their labels. */
  train: Dataset;
  /** Absent when no test text was given. */
  test?: Dataset;
  /** Class i's label as the files write it: the distinct labels of both files, sorted (numerically
   * when all are numbers). */
  classNames: string[];
}

/** Datasets from CSV text: a header row, then one row a sample; every column a number except the
 * label column, which may hold any text. The test text needs the training text's columns (in any
 * order). Build the network with layers [train.shape[1], ..., classNames.length]. */
export function csvDatasets(texts: { train: string; test?: string }, options: CsvDatasetOptions = {}): CsvDatasets {
  const { labelColumn = DEFAULT_LABEL_COLUMN, names = {} } = options;
  const files = [{ text: texts?.train, name: names.train ?? 'train.csv' }];
  if (texts?.test !== undefined) files.push({ text: texts.test, name: names.test ?? 'test.csv' });
  for (const f of files) {
    if (typeof f.text !== 'string') throw new DatasetError(f.name, `must be the CSV file's text (a string), got ${typeName(f.text)}`);
  }
  const { splits, classNames } = csvSplits(files, { labelColumn });
  const [train, test] = splits.map((s, i) => fromSplit(s, files[i].name));
  return { train, ...(test ? { test } : {}), classNames };
}
