import { describe, expect, it } from 'vitest';
import { createRng, deriveRng } from '../../src/data/prng.ts';

describe('mulberry32', () => {
  it('is deterministic per seed and differs across seeds', () => {
    const a = createRng(1), b = createRng(1), c = createRng(2);
    const sa = Array.from({ length: 5 }, a.next);
    expect(Array.from({ length: 5 }, b.next)).toEqual(sa);
    expect(Array.from({ length: 5 }, c.next)).not.toEqual(sa);
  });
  it('matches the published mulberry32 sequence for seed 0', () => {
    // First outputs of the reference C implementation for state 0, divided by 2^32.
    const r = createRng(0);
    expect(Math.round(r.next() * 4294967296)).toBe(1144304738);
  });
  it('has a mean near 1/2 and stays in [0, 1)', () => {
    const r = createRng(42);
    let sum = 0;
    let outside = 0;
    for (let i = 0; i < 100000; i++) {
      const v = r.next();
      if (!(v >= 0 && v < 1)) outside++;
      sum += v;
    }
    expect(outside).toBe(0);
    expect(Math.abs(sum / 100000 - 0.5)).toBeLessThan(0.01);
  });
  it('derived streams are independent of each other', () => {
    expect(deriveRng(1, 0).next()).not.toBe(deriveRng(1, 1).next());
    expect(deriveRng(1, 3).next()).toBe(deriveRng(1, 3).next());
  });
  it('rejects a seed that is not a 32-bit unsigned integer', () => {
    expect(() => createRng(-1)).toThrow(/seed must be an integer/);
    expect(() => createRng(1.5)).toThrow(/seed must be an integer/);
  });
});
