import { describe, it } from 'vitest';
import { logSoftmaxNllCpu } from '../../src/reference/kernels.ts';
import { TOLERANCES } from '../../src/reference/tolerance.ts';
import { logSoftmaxNllDispatch } from '../../src/gpu/kernels/log-softmax.ts';
import { createRng } from '../../src/data/prng.ts';
import { randomArray, useGpu } from './gpu-suite.ts';
import { checkKernel, WorstErrors } from './kernel-check.ts';

/** Logits in [-1, 1] with every seventh one scaled by 20, so a softmax is not trivially flat; the
 * last row of a multi-class case holds a tie for its maximum, which the first index must win. */
function makeLogits(B: number, C: number, seed: number): Float32Array {
  const logits = randomArray(B * C, seed);
  for (let i = 0; i < logits.length; i += 7) logits[i] *= 20;
  if (C > 2) {
    logits[(B - 1) * C + 1] = 25;
    logits[(B - 1) * C + 2] = 25;
  }
  return logits;
}

function makeLabels(B: number, C: number, seed: number): Uint32Array {
  const rng = createRng(seed);
  return Uint32Array.from({ length: B }, () => rng.int(C));
}

const SHAPES: [number, number][] = [];
for (const B of [1, 7, 16, 33]) for (const C of [10, 3, 1]) SHAPES.push([B, C]);

describe('log-softmax + NLL kernel vs logSoftmaxNllCpu', () => {
  const gpu = useGpu();

  it('rowLoss, grad (scaled by 1/B) and argmax over outlier logits', async () => {
    const worst = new WorstErrors();
    for (const [B, C] of SHAPES) {
      const logits = makeLogits(B, C, B * 100 + C);
      const labels = makeLabels(B, C, B * 100 + C + 1);
      const ref = logSoftmaxNllCpu(logits, labels, B, C);
      worst.add(await checkKernel(gpu(), {
        what: `log_softmax_nll ${B}x${C}`,
        buffers: { logits, labels, grad: B * C, rowLoss: B, argmax: B },
        dispatches: (bufs) => logSoftmaxNllDispatch(gpu(), bufs, { B, C, gradScale: 1 / B }),
        expect: () => ({
          grad: { ref: ref.grad, tol: TOLERANCES.softmaxGrad },
          rowLoss: { ref: ref.rowLoss, tol: TOLERANCES.nllRowLoss },
          argmax: { ref: ref.argmax, tol: TOLERANCES.exact },
        }),
      }));
    }
    worst.log('log_softmax_nll');
  });
});
