import { describe, it } from 'vitest';
import { activationBackwardCpu, squaredErrorCpu } from '../../src/reference/kernels.ts';
import { TOLERANCES } from '../../src/reference/tolerance.ts';
import { squaredErrorDispatch } from '../../src/gpu/kernels/squared-error.ts';
import { createRng } from '../../src/data/prng.ts';
import { useGpu } from './gpu-suite.ts';
import { checkKernel, WorstErrors } from './kernel-check.ts';

// The notebook's toy network (2 outputs, one row per step), MNIST-sized rows, and a ragged batch.
const SHAPES: [number, number][] = [[1, 2], [7, 10], [33, 3], [16, 1]];

describe('squared-error kernel vs squaredErrorCpu', () => {
  const gpu = useGpu();

  for (const sigmoidBackward of [false, true]) {
    it(`rowLoss, grad${sigmoidBackward ? ' through the output sigmoid' : ''} and argmax over sigmoid-range outputs`, async () => {
      const worst = new WorstErrors();
      for (const [B, C] of SHAPES) {
        const rng = createRng(B * 10 + C);
        const out = Float32Array.from({ length: B * C }, () => rng.next());
        const labels = Uint32Array.from({ length: B }, () => rng.int(C));
        // A tie for the largest output: the first index must win.
        if (C > 1) out.fill(0.75, (B - 1) * C, (B - 1) * C + 2);
        const ref = squaredErrorCpu(out, labels, B, C);
        worst.add(await checkKernel(gpu(), {
          what: `squared_error ${B}x${C}${sigmoidBackward ? ' +sigmoid-backward' : ''}`,
          buffers: { out, labels, grad: B * C, rowLoss: B, argmax: B },
          dispatches: (bufs) => squaredErrorDispatch(gpu(), bufs, { B, C, sigmoidBackward }),
          expect: () => ({
            // 2 (out - onehot) / B: one rounding more than the reference's for B not a power of
            // two; through the sigmoid, two more.
            grad: sigmoidBackward
              ? { ref: activationBackwardCpu(ref.grad, out, 'sigmoid'), tol: TOLERANCES.activationBackward }
              : { ref: ref.grad, tol: TOLERANCES.activationBackward },
            rowLoss: { ref: ref.rowLoss, tol: TOLERANCES.squaredErrorLoss },
            argmax: { ref: ref.argmax, tol: TOLERANCES.exact },
          }),
        }));
      }
      worst.log(`squared_error${sigmoidBackward ? ' +sigmoid-backward' : ''}`);
    });
  }
});
