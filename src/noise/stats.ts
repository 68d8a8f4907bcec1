// The statistics of `npm run noise`, in float64 whatever the inputs: moments of a list, the
// centred moving average of a loss curve and the spread around it, and distances between
// gradient vectors.

export function mean(xs: ArrayLike<number>): number {
  if (xs.length === 0) throw new RangeError('mean of an empty list');
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return s / xs.length;
}

/** Sample standard deviation (divides by n - 1). */
export function sampleStd(xs: ArrayLike<number>): number {
  if (xs.length < 2) throw new RangeError(`sampleStd needs at least 2 values, got ${xs.length}`);
  const m = mean(xs);
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += (xs[i] - m) ** 2;
  return Math.sqrt(s / (xs.length - 1));
}

function checkWindow(n: number, window: number): void {
  if (!Number.isInteger(window) || window < 1 || window % 2 === 0) {
    throw new RangeError(`the moving-average window must be an odd integer >= 1, got ${window}`);
  }
  if (n < window) throw new RangeError(`a curve of ${n} points is shorter than the moving-average window ${window}`);
}

/** Centred moving average: out[t] = mean(xs[t-h .. t+h]) with h = (window-1)/2, null within h of
 * either end, where the window does not fit. */
export function centredMovingAverage(xs: ArrayLike<number>, window: number): (number | null)[] {
  checkWindow(xs.length, window);
  const h = (window - 1) / 2;
  const prefix = new Float64Array(xs.length + 1);
  for (let i = 0; i < xs.length; i++) prefix[i + 1] = prefix[i] + xs[i];
  return Array.from({ length: xs.length }, (_, t) =>
    t < h || t + h >= xs.length ? null : (prefix[t + h + 1] - prefix[t - h]) / window);
}

/** Root mean square of xs[t] - MA[t] over the points where the centred window fits: how far each
 * step's loss jumps from the local trend. For white noise of std s it is s·sqrt(1 - 1/window). */
export function stdAroundMovingAverage(xs: ArrayLike<number>, window: number): number {
  const ma = centredMovingAverage(xs, window);
  let s = 0;
  let n = 0;
  ma.forEach((m, t) => {
    if (m === null) return;
    s += (xs[t] - m) ** 2;
    n++;
  });
  return Math.sqrt(s / n);
}

function checkSameLength(a: ArrayLike<number>, b: ArrayLike<number>): void {
  if (a.length !== b.length) throw new RangeError(`vectors of different lengths: ${a.length} and ${b.length}`);
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  checkSameLength(a, b);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** ||a - b||². */
export function squaredDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  checkSameLength(a, b);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return s;
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return dot(a, b) / Math.sqrt(dot(a, a) * dot(b, b));
}

/** The mean of independent samples and its standard error, sampleStd / sqrt(n). */
export function meanWithSe(xs: ArrayLike<number>): { mean: number; se: number } {
  return { mean: mean(xs), se: sampleStd(xs) / Math.sqrt(xs.length) };
}
