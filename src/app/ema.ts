// The smoothed train-loss line: an exponential moving average, debiased as TensorBoard's smoothing
// is (divided by 1 - beta^n), so the first points are not dragged toward zero.

export function emaSeries(values: ArrayLike<number>, beta: number): number[] {
  if (!(beta >= 0 && beta < 1)) throw new RangeError(`emaSeries: beta must be in [0, 1), got ${beta}`);
  const out = new Array<number>(values.length);
  let avg = 0;
  let weight = 1;
  for (let i = 0; i < values.length; i++) {
    avg = beta * avg + (1 - beta) * values[i];
    weight *= beta;
    out[i] = avg / (1 - weight);
  }
  return out;
}
