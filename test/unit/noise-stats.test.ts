import { describe, expect, it } from 'vitest';
import { epochOrder } from '../../src/data/batches.ts';
import { createRng } from '../../src/data/prng.ts';
import { drawBatch, streamOrder } from '../../src/noise/measure.ts';
import {
  centredMovingAverage,
  cosine,
  dot,
  mean,
  meanWithSe,
  sampleStd,
  squaredDistance,
  stdAroundMovingAverage,
} from '../../src/noise/stats.ts';

describe('noise statistics, against hand-computed values', () => {
  it('mean, sample std and the standard error of a mean', () => {
    expect(mean([1, 2, 3, 4])).toBe(2.5);
    // Squared deviations from 5: 9+1+1+1+0+0+4+16 = 32, over n - 1 = 7.
    expect(sampleStd([2, 4, 4, 4, 5, 5, 7, 9])).toBeCloseTo(Math.sqrt(32 / 7), 12);
    // sampleStd([1, 2, 3, 4]) = sqrt(5/3); divided by sqrt(4).
    const { mean: m, se } = meanWithSe([1, 2, 3, 4]);
    expect(m).toBe(2.5);
    expect(se).toBeCloseTo(Math.sqrt(5 / 3) / 2, 12);
    expect(() => mean([])).toThrow(/empty/);
    expect(() => sampleStd([1])).toThrow(/at least 2/);
  });

  it('the centred moving average is null where the window does not fit', () => {
    // (1+2+3)/3, (2+3+10)/3, (3+10+5)/3
    expect(centredMovingAverage([1, 2, 3, 10, 5], 3)).toEqual([null, 2, 5, 6, null]);
    expect(centredMovingAverage([4, 8], 1)).toEqual([4, 8]);
    expect(() => centredMovingAverage([1, 2, 3, 4], 2)).toThrow(/odd/);
    expect(() => centredMovingAverage([1, 2], 3)).toThrow(/shorter/);
  });

  it('the std around the moving average: rms of the residuals where the window fits', () => {
    // Residuals 2-2, 3-5, 10-6 = 0, -2, 4: sqrt((0 + 4 + 16) / 3).
    expect(stdAroundMovingAverage([1, 2, 3, 10, 5], 3)).toBeCloseTo(Math.sqrt(20 / 3), 12);
    // A straight line (a smooth descent) has none.
    expect(stdAroundMovingAverage([5, 4, 3, 2, 1, 0], 3)).toBeCloseTo(0, 12);
    // ±1 alternating: each window averages to ∓1/3, so every residual is ±4/3.
    expect(stdAroundMovingAverage([1, -1, 1, -1, 1], 3)).toBeCloseTo(4 / 3, 12);
  });

  it('distances between vectors, and the variance of a set of vectors about their mean', () => {
    expect(dot([1, 2, 3], [4, 5, 6])).toBe(32);
    expect(squaredDistance([1, 2, 3], [0, 4, 3])).toBe(5);
    expect(cosine([1, 0], [1, 1])).toBeCloseTo(Math.SQRT1_2, 12);
    expect(() => dot([1], [1, 2])).toThrow(/different lengths/);
    // Four vectors with mean 0: variance 0.5 along x and 2 along y, so E||v - mean||² = 2.5.
    const vs = [[1, 0], [-1, 0], [0, 2], [0, -2]];
    expect(mean(vs.map((v) => squaredDistance(v, [0, 0])))).toBe(2.5);
  });
});

describe('batches of the noise measurement', () => {
  it('streamOrder cuts each shuffled epoch to whole batches and goes on with the next epoch', () => {
    // 10 images, batches of 3: 3 batches (9 images) per epoch; 5 steps take 3 from epoch 0, 2 from epoch 1.
    const { order, nextEpoch } = streamOrder(10, 7, 0, 3, 5);
    expect(Array.from(order)).toEqual([...epochOrder(10, 7, 0, true).subarray(0, 9), ...epochOrder(10, 7, 1, true).subarray(0, 6)]);
    expect(nextEpoch).toBe(2);
    expect(streamOrder(10, 7, 2, 3, 1).order).toEqual(epochOrder(10, 7, 2, true).subarray(0, 3));
    expect(() => streamOrder(10, 7, 0, 11, 1)).toThrow(/larger than/);
  });

  it('drawBatch draws distinct indices, each about equally often', () => {
    const pool = Uint32Array.from({ length: 20 }, (_, i) => i);
    const rng = createRng(3);
    const counts = new Array<number>(20).fill(0);
    for (let k = 0; k < 2000; k++) {
      const b = drawBatch(pool, 5, rng);
      expect(new Set(b).size).toBe(5);
      for (const i of b) counts[i]++;
    }
    // 2000 * 5 / 20 = 500 expected each; the binomial std is about 19.
    for (const c of counts) expect(Math.abs(c - 500)).toBeLessThan(100);
  });
});
