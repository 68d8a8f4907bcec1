import { describe, expect, it } from 'vitest';
import { erf } from '../../src/reference/erf.ts';

// Python's math.erf (the C library's, correctly rounded to within an ulp or so) on both sides of
// the switch from the series to the continued fraction at |x| = 3, at tiny |x| and in saturation.
const PYTHON_ERF: [number, number][] = [
  [-6, -1.0],
  [-3.5, -0.9999992569016276],
  [-3, -0.9999779095030014],
  [-2.9999, -0.9999778955735178],
  [-1, -0.8427007929497149],
  [-0.3, -0.3286267594591274],
  [-1e-10, -1.1283791670955126e-10],
  [0, 0.0],
  [1e-300, 1.1283791670955126e-300],
  [0.001, 0.0011283787909692365],
  [0.5, 0.5204998778130465],
  [1.2345, 0.9191623964135658],
  [2.5, 0.999593047982555],
  [2.9999, 0.9999778955735178],
  [3, 0.9999779095030014],
  [3.0001, 0.9999779234241298],
  [4.2, 0.9999999971445058],
  [5.5, 0.9999999999999927],
  [6, 1.0],
  [27, 1.0],
];

describe('erf (float64)', () => {
  it('matches math.erf within 8 float64 ulps of the value', () => {
    for (const [x, ref] of PYTHON_ERF) {
      expect(Math.abs(erf(x) - ref), `erf(${x})`).toBeLessThanOrEqual(8 * Number.EPSILON * Math.abs(ref));
    }
  });

  it('is odd and propagates NaN', () => {
    expect(erf(-0.7)).toBe(-erf(0.7));
    expect(erf(NaN)).toBeNaN();
  });
});
