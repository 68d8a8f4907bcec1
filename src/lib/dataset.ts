// A dataset as a library user hands it over (typed arrays and their shape), checked against the
// network before any work, and turned into the split the engine trains on.
import type { Split } from '../data/dataset.ts';
import { DatasetError } from './errors.ts';

/** Samples and their labels. Images are u8 pixels (0-255, scaled to [0, 1] on the device, as
 * MNIST's), row-major [count, rows, cols]; or f32 feature rows, [count, features]. */
export interface Dataset {
  images: Uint8Array | Float32Array;
  /** One class index per sample, 0 to classes - 1. */
  labels: Uint8Array;
  shape: readonly [count: number, rows: number, cols: number] | readonly [count: number, features: number];
  /** Names the data in reports and checkpoints (default 'dataset'). */
  name?: string;
}

const typeName = (v: unknown) => (v === null ? 'null' : typeof v === 'object' ? (v as object).constructor?.name ?? 'object' : typeof v);
const isPositiveInt = (v: unknown): v is number => Number.isInteger(v) && (v as number) > 0;

/** The rows of a [count, inputs] input array: its samples, checked against the network's inputs. */
function checkInputs(field: string, images: unknown, inputs: number): { images: Uint8Array; count: number } {
  if (images instanceof Float32Array) {
    // f32 feature rows need the f32 data path of the engine's split (issue 15's datasets part),
    // which lifts this refusal; until then only bytes reach the GPU.
    throw new DatasetError(field, 'is a Float32Array: f32 feature rows are not supported yet; pass u8 values (a Uint8Array of 0-255)');
  }
  if (!(images instanceof Uint8Array)) {
    throw new DatasetError(field, `must be a Uint8Array (pixels 0-255) or a Float32Array (features), got ${typeName(images)}`);
  }
  if (images.length === 0 || images.length % inputs !== 0) {
    throw new DatasetError(field, `holds ${images.length} values, not a whole number (>= 1) of samples of ${inputs} inputs (layers[0])`);
  }
  return { images, count: images.length / inputs };
}

/** Checks a dataset against a network of `layers` and returns it as the engine's split. `field`
 * names it in errors ('dataset', 'validation'). */
export function toSplit(ds: Dataset, field: string, layers: readonly number[]): Split {
  if (typeof ds !== 'object' || ds === null) throw new DatasetError(field, `must be an object { images, labels, shape }, got ${typeName(ds)}`);
  const { shape, labels } = ds;
  if (!Array.isArray(shape) || (shape.length !== 2 && shape.length !== 3) || !shape.every(isPositiveInt)) {
    throw new DatasetError(`${field}.shape`, `must be [count, rows, cols] (images) or [count, features] of positive integers, got ${JSON.stringify(shape)}`);
  }
  const [count, rows, cols] = shape.length === 3 ? shape : [shape[0], 1, shape[1]];
  const inputs = layers[0];
  if (rows * cols !== inputs) {
    throw new DatasetError(`${field}.shape`, `${JSON.stringify(shape)} gives ${rows * cols} inputs per sample, the network takes ${inputs} (layers[0])`);
  }
  const { images } = checkInputs(`${field}.images`, ds.images, inputs);
  if (images.length !== count * inputs) {
    throw new DatasetError(`${field}.images`, `holds ${images.length} values, shape ${JSON.stringify(shape)} needs ${count * inputs}`);
  }
  if (!(labels instanceof Uint8Array)) throw new DatasetError(`${field}.labels`, `must be a Uint8Array of class indices, got ${typeName(labels)}`);
  if (labels.length !== count) throw new DatasetError(`${field}.labels`, `holds ${labels.length} labels for ${count} samples (shape[0])`);
  const classes = layers[layers.length - 1];
  const bad = labels.findIndex((l) => l >= classes);
  if (bad >= 0) {
    throw new DatasetError(`${field}.labels`, `[${bad}] is ${labels[bad]}, but the network has ${classes} classes (the last of layers): labels must be 0 to ${classes - 1}`);
  }
  return { features: images, labels, count, width: inputs, image: shape.length === 3 ? { rows, cols } : null };
}

/** Images to predict, [count, inputs] row-major, as a split whose labels are unused. */
export function inputSplit(images: Uint8Array | Float32Array, layers: readonly number[]): Split {
  const { images: bytes, count } = checkInputs('images', images, layers[0]);
  return { features: bytes, labels: new Uint8Array(count), count, width: layers[0], image: null };
}
