// Epoch order and batching as index arithmetic: the GPU keeps the whole split resident as bytes and
// gathers each batch by index, so nothing here copies samples.

import type { Split } from './dataset.ts';
import { deriveRng } from './prng.ts';

/** Stream ids 1000 + epoch keep shuffling apart from the low streams weight init may use. */
const SHUFFLE_STREAM = 1000;

/** The sample order of one epoch: a Fisher–Yates shuffle seeded by (seed, epoch), so any epoch can
 * be reproduced (or resumed) on its own, or the identity when `shuffle` is false. */
export function epochOrder(count: number, seed: number, epoch: number, shuffle: boolean): Uint32Array {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`count must be a non-negative integer, got ${count}`);
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  if (!shuffle) return order;
  const rng = deriveRng(seed, SHUFFLE_STREAM + epoch);
  for (let i = count - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}

export function batchCount(count: number, batchSize: number): number {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  }
  return Math.ceil(count / batchSize);
}

/** Indices of batch `batch` as a view into `order`; the last batch is shorter when batchSize does
 * not divide the count (10000 / 32 leaves 16). */
export function batchIndices(order: Uint32Array, batch: number, batchSize: number): Uint32Array {
  const n = batchCount(order.length, batchSize);
  if (!Number.isInteger(batch) || batch < 0 || batch >= n) {
    throw new RangeError(`batch must be an integer in [0, ${n - 1}], got ${batch}`);
  }
  const start = batch * batchSize;
  return order.subarray(start, Math.min(start + batchSize, order.length));
}

/** The first n samples of a split, as views (for quick runs and tests). */
export function limitSplit(split: Split, n: number): Split {
  if (!Number.isInteger(n) || n < 1 || n > split.count) {
    throw new RangeError(`sample limit must be an integer in [1, ${split.count}], got ${n}`);
  }
  return {
    ...split,
    features: split.features.subarray(0, n * split.width),
    labels: split.labels.subarray(0, n),
    count: n,
  };
}
