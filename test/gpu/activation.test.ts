import { describe, it } from 'vitest';
import { activationBackwardCpu, activationCpu, HIDDEN_ACTIVATIONS } from '../../src/reference/kernels.ts';
import { TOLERANCES } from '../../src/reference/tolerance.ts';
import { activationBackwardDispatch, activationDispatch } from '../../src/gpu/kernels/activation.ts';
import { randomArray, useGpu } from './gpu-suite.ts';
import { checkKernel, WorstErrors } from './kernel-check.ts';

// The hidden layers' sizes at batch 32 and 7, and a single element.
const SIZES = [1, 7 * 256, 32 * 512 + 3];
// Saturated inputs, where a naive sigmoid or tanh meets exp's overflow (|x| > 88), and zero, where
// ReLU's derivative switches.
const EXTREMES = [-100, 100, -88.8, 88.8, -20, 20, 0, -1e-30, 1e30, -1e30];

describe('activation kernels vs activationCpu and activationBackwardCpu', () => {
  const gpu = useGpu();

  for (const activation of HIDDEN_ACTIVATIONS) {
    it(`${activation}: forward over activation-like inputs and saturated extremes, no NaN`, async () => {
      const worst = new WorstErrors();
      for (const n of SIZES) {
        const x = randomArray(n, n, 8);
        x.set(EXTREMES.slice(0, n));
        worst.add(await checkKernel(gpu(), {
          what: `${activation} n=${n}`,
          buffers: { x, y: n },
          dispatches: (bufs) => activationDispatch(gpu(), activation, bufs, n),
          expect: () => ({ y: { ref: activationCpu(x, activation), tol: TOLERANCES.activation } }),
        }));
      }
      worst.log(`${activation} forward`);
    });

    it(`${activation}: backward from forward outputs, saturated and zero ones included`, async () => {
      const worst = new WorstErrors();
      for (const n of SIZES) {
        const g = randomArray(n, n + 1, 2);
        const y = activationCpu(randomArray(n, n + 2, 8), activation);
        y.set(activationCpu(Float32Array.from([-100, 100, 0]), activation).slice(0, n));
        worst.add(await checkKernel(gpu(), {
          what: `${activation} backward n=${n}`,
          buffers: { g, y, dx: n },
          dispatches: (bufs) => activationBackwardDispatch(gpu(), activation, bufs, n),
          expect: () => ({ dx: { ref: activationBackwardCpu(g, y, activation), tol: TOLERANCES.activationBackward } }),
        }));
      }
      worst.log(`${activation} backward`);
    });
  }
});
