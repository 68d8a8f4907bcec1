import { describe, it } from 'vitest';
import { sigmoidBackwardCpu, sigmoidCpu } from '../../src/reference/kernels.ts';
import { sigmoidBackwardDispatch, sigmoidDispatch } from '../../src/gpu/kernels/sigmoid.ts';
import { runDispatches } from '../../src/gpu/runner.ts';
import { expectClose, randomArray, useGpu } from './gpu-suite.ts';

// WGSL bounds exp's error by 3 + 2|x| ULP and leaves it to the implementation within that; the
// sigmoid turns a relative error in e^-|x| into at most the same relative error of a value in
// [0, 1], so for the |x| <= 8 of real activations 2e-6 absolute is ample. Past that the outputs
// are within 3e-4 of 0 or 1 and the absolute error only shrinks.
const FORWARD_TOL = { atol: 2e-6, rtol: 0 };
// g * y * (1 - y): two f32 roundings more than the float64 reference, nothing implementation-defined.
const BACKWARD_TOL = { atol: 1e-7, rtol: 1e-6 };

// The hidden layers' sizes at batch 32 and 7, and a single element.
const SIZES = [1, 7 * 256, 32 * 512 + 3];
// Saturated inputs, where a naive 1 / (1 + e^-x) meets exp's overflow (x < -88).
const EXTREMES = [-100, 100, -88.8, 88.8, -20, 20, 0, -1e-30, 1e30, -1e30];

describe('sigmoid kernels vs sigmoidCpu and sigmoidBackwardCpu', () => {
  const gpu = useGpu();

  it('forward over activation-like inputs and saturated extremes, no NaN', async () => {
    const ctx = gpu();
    let maxErr = 0;
    for (const n of SIZES) {
      const x = randomArray(n, n, 8);
      x.set(EXTREMES.slice(0, n));
      const bufs = { x: ctx.storage('x', x), y: ctx.storage('y', n * 4) };
      await runDispatches(ctx, [sigmoidDispatch(ctx, bufs, n)]);
      maxErr = Math.max(maxErr, expectClose(`sigmoid n=${n}`, await ctx.readF32(bufs.y, n), sigmoidCpu(x), FORWARD_TOL));
      for (const buf of Object.values(bufs)) ctx.destroyBuffer(buf);
    }
    console.log(`sigmoid forward: max |gpu - ref| = ${maxErr.toExponential(2)}`);
  });

  it('backward from forward outputs in [0, 1], including saturated 0 and 1', async () => {
    const ctx = gpu();
    let maxErr = 0;
    for (const n of SIZES) {
      const g = randomArray(n, n + 1, 2);
      const y = sigmoidCpu(randomArray(n, n + 2, 8));
      y.set([0, 1, 0.5].slice(0, n));
      const bufs = { g: ctx.storage('g', g), y: ctx.storage('y', y), dx: ctx.storage('dx', n * 4) };
      await runDispatches(ctx, [sigmoidBackwardDispatch(ctx, bufs, n)]);
      maxErr = Math.max(maxErr, expectClose(`sigmoid backward n=${n}`, await ctx.readF32(bufs.dx, n), sigmoidBackwardCpu(g, y), BACKWARD_TOL));
      for (const buf of Object.values(bufs)) ctx.destroyBuffer(buf);
    }
    console.log(`sigmoid backward: max |gpu - ref| = ${maxErr.toExponential(2)}`);
  });
});
