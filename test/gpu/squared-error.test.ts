import { describe, it } from 'vitest';
import { logSoftmaxNllCpu, squaredErrorCpu } from '../../src/reference/kernels.ts';
import { squaredErrorDispatch } from '../../src/gpu/kernels/squared-error.ts';
import { runDispatches } from '../../src/gpu/runner.ts';
import { createRng } from '../../src/data/prng.ts';
import { expectClose, useGpu } from './gpu-suite.ts';

// Exact: out - onehot is one correctly rounded subtraction on both sides (WGSL requires it of
// f32 +, -, *), and doubling it is exact.
const GRAD_TOL = { atol: 0, rtol: 0 };
// A sum of C squares in f32 against float64: C roundings of values below 2 for C <= 10.
const LOSS_TOL = { atol: 1e-6, rtol: 1e-6 };
const EXACT = { atol: 0, rtol: 0 };

// The notebook's toy network (2 outputs, one row per step), MNIST-sized rows, and a ragged batch.
const SHAPES: [number, number][] = [[1, 2], [7, 10], [33, 3], [16, 1]];

describe('squared-error kernel vs squaredErrorCpu', () => {
  const gpu = useGpu();

  it('rowLoss, grad and argmax over sigmoid-range outputs', async () => {
    const ctx = gpu();
    const maxErr = { grad: 0, rowLoss: 0, loss: 0 };
    for (const [B, C] of SHAPES) {
      const rng = createRng(B * 10 + C);
      const out = Float32Array.from({ length: B * C }, () => rng.next());
      const labels = Uint32Array.from({ length: B }, () => rng.int(C));
      // A tie for the largest output: the first index must win.
      if (C > 1) out.fill(0.75, (B - 1) * C, (B - 1) * C + 2);
      const bufs = {
        out: ctx.storage('out', out),
        labels: ctx.storage('labels', labels),
        grad: ctx.storage('grad', B * C * 4),
        rowLoss: ctx.storage('rowLoss', B * 4),
        argmax: ctx.storage('argmax', B * 4),
      };
      await runDispatches(ctx, [squaredErrorDispatch(ctx, bufs, { B, C })]);
      const ref = squaredErrorCpu(out, labels, B, C);
      // The twin sums over the batch; per row, it is the twin on that row alone.
      const refRows = Float32Array.from({ length: B }, (_, r) =>
        squaredErrorCpu(out.subarray(r * C, (r + 1) * C), [labels[r]], 1, C).loss);
      const rowLoss = await ctx.readF32(bufs.rowLoss, B);
      const what = `squared_error ${B}x${C}`;
      maxErr.grad = Math.max(maxErr.grad, expectClose(`${what} grad`, await ctx.readF32(bufs.grad, B * C), ref.grad, GRAD_TOL));
      maxErr.rowLoss = Math.max(maxErr.rowLoss, expectClose(`${what} rowLoss`, rowLoss, refRows, LOSS_TOL));
      maxErr.loss = Math.max(maxErr.loss, expectClose(`${what} sum of rowLoss`, [rowLoss.reduce((a, b) => a + b, 0)], [ref.loss], LOSS_TOL));
      // logSoftmaxNllCpu's argmax is the same rule (first largest), and softmax keeps the order.
      expectClose(`${what} argmax`, await ctx.readU32(bufs.argmax, B), logSoftmaxNllCpu(out, labels, B, C).argmax, EXACT);
      for (const buf of Object.values(bufs)) ctx.destroyBuffer(buf);
    }
    console.log(`squared_error: max |gpu - ref| grad ${maxErr.grad.toExponential(2)}, rowLoss ${maxErr.rowLoss.toExponential(2)}, ` +
      `batch loss ${maxErr.loss.toExponential(2)}`);
  });
});
