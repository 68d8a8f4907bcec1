import { describe, expect, it } from 'vitest';
import { batchCount, batchIndices, epochOrder, limitSplit } from '../../src/data/batches.ts';
import type { Split } from '../../src/data/dataset.ts';

function isPermutation(order: Uint32Array): boolean {
  const seen = new Uint8Array(order.length);
  for (const i of order) {
    if (i >= order.length || seen[i]) return false;
    seen[i] = 1;
  }
  return true;
}

describe('epochOrder', () => {
  it('is a permutation of 0..count-1', () => {
    for (const count of [0, 1, 2, 7, 60000]) expect(isPermutation(epochOrder(count, 42, 0, true))).toBe(true);
  });

  it('is deterministic for (seed, epoch)', () => {
    expect(epochOrder(1000, 7, 3, true)).toEqual(epochOrder(1000, 7, 3, true));
  });

  it('differs across epochs and seeds', () => {
    const a = epochOrder(1000, 7, 0, true);
    expect(epochOrder(1000, 7, 1, true)).not.toEqual(a);
    expect(epochOrder(1000, 8, 0, true)).not.toEqual(a);
  });

  it('actually shuffles: about as few fixed points as a random permutation', () => {
    const order = epochOrder(10000, 1, 0, true);
    let fixed = 0;
    for (let i = 0; i < order.length; i++) if (order[i] === i) fixed++;
    // A random permutation has 1 fixed point on average.
    expect(fixed).toBeLessThan(10);
  });

  it('is the identity without shuffling', () => {
    expect(Array.from(epochOrder(5, 7, 3, false))).toEqual([0, 1, 2, 3, 4]);
  });
});

describe('batches', () => {
  it('covers 10,000 samples in 313 batches of 32, the last one ragged with 16', () => {
    const order = epochOrder(10000, 3, 0, true);
    const n = batchCount(10000, 32);
    expect(n).toBe(313);
    expect(10000 % 32).toBe(16);
    const seen: number[] = [];
    for (let b = 0; b < n; b++) {
      const idx = batchIndices(order, b, 32);
      expect(idx.length).toBe(b === n - 1 ? 16 : 32);
      seen.push(...idx);
    }
    expect(seen).toEqual(Array.from(order));
  });

  it('returns views into the order', () => {
    const order = epochOrder(100, 3, 0, true);
    const idx = batchIndices(order, 2, 10);
    expect(idx.buffer).toBe(order.buffer);
    expect(idx[0]).toBe(order[20]);
  });

  it('has no ragged batch when the size divides the count', () => {
    expect(batchCount(60000, 100)).toBe(600);
    expect(batchIndices(epochOrder(60000, 1, 0, false), 599, 100).length).toBe(100);
  });

  it('rejects bad batch numbers and sizes', () => {
    const order = epochOrder(10, 1, 0, false);
    expect(() => batchIndices(order, 4, 3)).toThrow(/batch must be an integer in \[0, 3\], got 4/);
    expect(() => batchIndices(order, -1, 3)).toThrow(RangeError);
    expect(() => batchCount(10, 0)).toThrow(/batchSize must be a positive integer/);
    expect(() => batchCount(10, 2.5)).toThrow(RangeError);
  });
});

describe('limitSplit', () => {
  const split: Split = {
    features: Uint8Array.from({ length: 5 * 6 }, (_, i) => i),
    labels: Uint8Array.from([3, 1, 4, 1, 5]),
    count: 5,
    width: 6,
    image: { rows: 2, cols: 3 },
  };

  it('keeps the first n samples as views', () => {
    const s = limitSplit(split, 2);
    expect([s.count, s.width, s.image]).toEqual([2, 6, { rows: 2, cols: 3 }]);
    expect(Array.from(s.labels)).toEqual([3, 1]);
    expect(s.features.length).toBe(12);
    expect(s.features.buffer).toBe(split.features.buffer);
    expect(limitSplit(split, 5).count).toBe(5);
  });

  it('rejects n outside [1, count]', () => {
    expect(() => limitSplit(split, 0)).toThrow(/sample limit must be an integer in \[1, 5\], got 0/);
    expect(() => limitSplit(split, 6)).toThrow(RangeError);
    expect(() => limitSplit(split, 1.5)).toThrow(RangeError);
  });
});
