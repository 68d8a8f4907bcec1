// The error function in float64, for the CPU twin of GELU: JavaScript has no Math.erf. Two forms,
// each used where it needs no cancellation, so both keep close to float64's precision:
//   |x| < 3:  erf x = (2 / sqrt pi) e^(-x^2) sum_n 2^n x^(2n+1) / (1 3 5 ... (2n+1)), every term
//             positive (the alternating Maclaurin series loses three digits to cancellation at 3);
//   |x| >= 3: erfc x = e^(-x^2) / sqrt pi / (x + (1/2) / (x + 1 / (x + (3/2) / (x + ...)))), the
//             continued fraction evaluated from its 60th level down, then erf x = 1 - erfc x.
// test/unit/erf.test.ts checks it against Python's math.erf.

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
const SERIES_LIMIT = 3;
const FRACTION_DEPTH = 60;

export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  const value = ax < SERIES_LIMIT ? erfSeries(ax) : 1 - erfcFraction(ax);
  return x < 0 ? -value : value;
}

function erfSeries(x: number): number {
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let n = 1; term > 1e-17 * sum; n++) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
  }
  return TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
}

function erfcFraction(x: number): number {
  let f = x;
  for (let n = FRACTION_DEPTH; n >= 1; n--) f = x + n / 2 / f;
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}
