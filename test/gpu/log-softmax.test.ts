import { describe, it } from 'vitest';
import { logSoftmaxNllCpu } from '../../src/reference/kernels.ts';
import { logSoftmaxNllDispatch } from '../../src/gpu/kernels/log-softmax.ts';
import { runDispatches } from '../../src/gpu/runner.ts';
import { createRng } from '../../src/data/prng.ts';
import { expectClose, randomArray, useGpu } from './gpu-suite.ts';

// WGSL leaves exp and log to the implementation within bounds: exp(x) within 3 + 2|x| ULP, log
// within 2^-21 absolute on [0.5, 2] and 3 ULP elsewhere. The shader exponentiates x = logit - max,
// down to -40 with the x20 outliers below: up to 83 ULP = 1e-5 relative on each e^x, hence the
// rtol of the probabilities and of the gradient (which carries them, times 1/B); their atol covers
// the label's entry p - 1, whose relative error can grow as it nears 0.
const PROB_TOL = { atol: 1e-6, rtol: 1e-5 };
// rowLoss = log(sum) - (logit[label] - max): log's 2^-21 absolute error and the sum's few ULP
// (atol), plus two f32 roundings of values up to 40 where the reference rounds once from
// float64 (rtol).
const LOSS_TOL = { atol: 3e-6, rtol: 1e-6 };
const EXACT = { atol: 0, rtol: 0 };

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

  for (const withProbs of [false, true]) {
    it(`rowLoss, grad (scaled by 1/B) and argmax${withProbs ? ', and probs' : ''} over outlier logits`, async () => {
      const ctx = gpu();
      const maxErr = { grad: 0, rowLoss: 0, probs: 0 };
      for (const [B, C] of SHAPES) {
        const logits = makeLogits(B, C, B * 100 + C);
        const labels = makeLabels(B, C, B * 100 + C + 1);
        const bufs = {
          logits: ctx.storage('logits', logits),
          labels: ctx.storage('labels', labels),
          grad: ctx.storage('grad', B * C * 4),
          rowLoss: ctx.storage('rowLoss', B * 4),
          argmax: ctx.storage('argmax', B * 4),
          ...(withProbs ? { probs: ctx.storage('probs', B * C * 4) } : {}),
        };
        await runDispatches(ctx, [logSoftmaxNllDispatch(ctx, bufs, { B, C, gradScale: 1 / B })]);
        const ref = logSoftmaxNllCpu(logits, labels, B, C);
        const what = `log_softmax_nll ${B}x${C}`;
        maxErr.grad = Math.max(maxErr.grad, expectClose(`${what} grad`, await ctx.readF32(bufs.grad, B * C), ref.grad, PROB_TOL));
        maxErr.rowLoss = Math.max(maxErr.rowLoss, expectClose(`${what} rowLoss`, await ctx.readF32(bufs.rowLoss, B), ref.rowLoss, LOSS_TOL));
        expectClose(`${what} argmax`, await ctx.readU32(bufs.argmax, B), ref.argmax, EXACT);
        if (bufs.probs) {
          const probs = Float32Array.from(ref.logProbs, Math.exp);
          maxErr.probs = Math.max(maxErr.probs, expectClose(`${what} probs`, await ctx.readF32(bufs.probs, B * C), probs, PROB_TOL));
        }
        for (const buf of Object.values(bufs)) ctx.destroyBuffer(buf);
      }
      console.log(`log_softmax_nll: max |gpu - ref| grad ${maxErr.grad.toExponential(2)}, rowLoss ${maxErr.rowLoss.toExponential(2)}` +
        (withProbs ? `, probs ${maxErr.probs.toExponential(2)}` : ''));
    });
  }
});
