import { describe, it } from 'vitest';
import { sigmoidBackwardCpu, sigmoidCpu } from '../../src/reference/kernels.ts';
import { TOLERANCES } from '../../src/reference/tolerance.ts';
import { sigmoidBackwardDispatch, sigmoidDispatch } from '../../src/gpu/kernels/sigmoid.ts';
import { randomArray, useGpu } from './gpu-suite.ts';
import { checkKernel, WorstErrors } from './kernel-check.ts';

// The hidden layers' sizes at batch 32 and 7, and a single element.
const SIZES = [1, 7 * 256, 32 * 512 + 3];
// Saturated inputs, where a naive 1 / (1 + e^-x) meets exp's overflow (x < -88).
const EXTREMES = [-100, 100, -88.8, 88.8, -20, 20, 0, -1e-30, 1e30, -1e30];

describe('sigmoid kernels vs sigmoidCpu and sigmoidBackwardCpu', () => {
  const gpu = useGpu();

  it('forward over activation-like inputs and saturated extremes, no NaN', async () => {
    const worst = new WorstErrors();
    for (const n of SIZES) {
      const x = randomArray(n, n, 8);
      x.set(EXTREMES.slice(0, n));
      worst.add(await checkKernel(gpu(), {
        what: `sigmoid n=${n}`,
        buffers: { x, y: n },
        dispatches: (bufs) => sigmoidDispatch(gpu(), bufs, n),
        expect: () => ({ y: { ref: sigmoidCpu(x), tol: TOLERANCES.sigmoid } }),
      }));
    }
    worst.log('sigmoid forward');
  });

  it('backward from forward outputs in [0, 1], including saturated 0 and 1', async () => {
    const worst = new WorstErrors();
    for (const n of SIZES) {
      const g = randomArray(n, n + 1, 2);
      const y = sigmoidCpu(randomArray(n, n + 2, 8));
      y.set([0, 1, 0.5].slice(0, n));
      worst.add(await checkKernel(gpu(), {
        what: `sigmoid backward n=${n}`,
        buffers: { g, y, dx: n },
        dispatches: (bufs) => sigmoidBackwardDispatch(gpu(), bufs, n),
        expect: () => ({ dx: { ref: sigmoidBackwardCpu(g, y), tol: TOLERANCES.sigmoidBackward } }),
      }));
    }
    worst.log('sigmoid backward');
  });
});
