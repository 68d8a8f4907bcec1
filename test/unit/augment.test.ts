import { describe, expect, it } from 'vitest';
import { augmentSalt, hashU32, shiftAt } from '../../src/data/augment.ts';
import { gatherU8Cpu } from '../../src/reference/kernels.ts';

describe('augmentation shifts', () => {
  it('hashU32 is lowbias32 (values from an independent Python implementation, masked to 32 bits)', () => {
    expect([0, 1, 0x12345678, 0xffffffff].map(hashU32)).toEqual([0, 1753845952, 4125564054, 1734902346]);
    expect(new Set(Array.from({ length: 1000 }, (_, i) => hashU32(i))).size).toBe(1000);
  });

  it('draws every shift in [-s, s] x [-s, s], about equally often, deterministically', () => {
    const salt = augmentSalt(1, 0);
    expect(augmentSalt(1, 0)).toBe(salt);
    expect(augmentSalt(1, 1)).not.toBe(salt);
    expect(augmentSalt(2, 0)).not.toBe(salt);
    const counts = new Map<string, number>();
    for (let p = 0; p < 25_000; p++) {
      const { dx, dy } = shiftAt(salt, p, 2);
      expect(Math.abs(dx)).toBeLessThanOrEqual(2);
      expect(Math.abs(dy)).toBeLessThanOrEqual(2);
      counts.set(`${dx},${dy}`, (counts.get(`${dx},${dy}`) ?? 0) + 1);
    }
    expect(counts.size).toBe(25);
    // 1,000 expected per cell; a fair draw stays well within +-15%.
    for (const c of counts.values()) expect(Math.abs(c - 1000)).toBeLessThan(150);
    expect(shiftAt(salt, 7, 0)).toEqual({ dx: 0, dy: 0 });
  });
});

describe('gatherU8Cpu with shifts', () => {
  it('moves each image by its drawn shift, with zeros shifted in', () => {
    const width = 4;
    const rowLen = 12; // 4 x 3
    const images = Uint8Array.from({ length: 2 * rowLen }, (_, i) => 1 + i);
    const salt = augmentSalt(5, 0);
    const out = gatherU8Cpu(images, [1, 0], rowLen, { shift: 1, width, salt, firstPosition: 10 });
    for (const [r, sample] of [[0, 1], [1, 0]]) {
      const { dx, dy } = shiftAt(salt, 10 + r, 1);
      for (let py = 0; py < 3; py++) {
        for (let px = 0; px < width; px++) {
          const sx = px - dx;
          const sy = py - dy;
          const want = sx >= 0 && sx < width && sy >= 0 && sy < 3 ? images[sample * rowLen + sy * width + sx] / 255 : 0;
          expect(out[r * rowLen + py * width + px]).toBe(Math.fround(want));
        }
      }
    }
    // Shift 0 (or no augmentation) is the plain gather.
    expect(gatherU8Cpu(images, [1, 0], rowLen, { shift: 0, width, salt, firstPosition: 0 })).toEqual(gatherU8Cpu(images, [1, 0], rowLen));
  });
});
