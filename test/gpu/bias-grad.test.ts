import { describe, it } from 'vitest';
import { biasGradCpu, sgdUpdateCpu, type SgdOptions } from '../../src/reference/kernels.ts';
import { BIAS_GRAD_VARIANTS, biasGradDispatch } from '../../src/gpu/kernels/bias-grad.ts';
import { createSgdHyper } from '../../src/gpu/kernels/sgd.ts';
import { runDispatches } from '../../src/gpu/runner.ts';
import { expectClose, randomArray, useGpu } from './gpu-suite.ts';

// Column sums of M f32 terms in [-1, 1], in order (serial) or as 8 strided partials then a tree
// (workgroup), against float64. Each of the M additions rounds a partial sum of size ~sqrt(i) by
// up to 2^-24 relative, a random walk of about M * 2^-24 in all (4.7e-5 at M = 784, where serial
// showed 3.8e-5): four times that, which holds the batch-32 sums of the model to 8e-6.
const tolFor = (M: number) => ({ atol: 4 * M * 2 ** -24, rtol: 0 });

// M: batch 1, 7, the notebook's 32, 33, and 784 rows (a long column). N: one column, the logits'
// 10, a hidden layer's 256 and 513, one past a multiple of both variants' column groups.
const MS = [1, 7, 32, 33, 784];
const NS = [1, 10, 256, 513];

describe('bias-gradient kernels vs biasGradCpu', () => {
  const gpu = useGpu();
  for (const variant of BIAS_GRAD_VARIANTS) {
    it(`${variant}: column sums over batch and layer shapes`, async () => {
      const ctx = gpu();
      let maxErr = 0;
      for (const M of MS) {
        for (const N of NS) {
          const dY = randomArray(M * N, M * 1000 + N);
          const bufs = { dY: ctx.storage('dY', dY), db: ctx.storage('db', N * 4) };
          await runDispatches(ctx, [biasGradDispatch(ctx, variant, bufs, { M, N })]);
          maxErr = Math.max(maxErr, expectClose(`bias_grad_${variant} ${M}x${N}`, await ctx.readF32(bufs.db, N), biasGradCpu(dY, M, N), tolFor(M)));
          for (const buf of Object.values(bufs)) ctx.destroyBuffer(buf);
        }
      }
      console.log(`bias_grad_${variant}: max |gpu - ref| = ${maxErr.toExponential(2)}`);
    });

    // The training step's fused form: the column sums are the bias's gradient and feed an SGD
    // step in place. lr <= 1 scales the sums' error down; the SGD arithmetic adds an ULP or two.
    const CONFIGS: SgdOptions[] = [{ lr: 0.5 }, { lr: 0.1, momentum: 0.9, weightDecay: 0.01, nesterov: true }];
    it(`${variant}: fused with the SGD step equals biasGradCpu then sgdUpdateCpu, twice`, async () => {
      const ctx = gpu();
      for (const opts of CONFIGS) {
        for (const [M, N] of [[32, 512], [7, 10], [33, 513]] as const) {
          const dY = randomArray(M * N, 3 * M + N);
          const bias = randomArray(N, 5 * N, 0.1);
          const velocity = opts.momentum ? new Float32Array(N) : null;
          const bufs = {
            dY: ctx.storage('dY', dY), db: ctx.storage('bias', bias), hyper: createSgdHyper(ctx, opts),
            velocity: velocity ? ctx.storage('velocity', velocity) : null,
          };
          const d = biasGradDispatch(ctx, variant, bufs, { M, N });
          const tol = { atol: tolFor(M).atol + 2e-7, rtol: 2e-6 };
          for (let step = 0; step < 2; step++) {
            await runDispatches(ctx, [d]);
            sgdUpdateCpu(bias, biasGradCpu(dY, M, N), velocity, opts);
            const what = `bias_grad_${variant} +sgd ${M}x${N} ${JSON.stringify(opts)} step ${step}`;
            expectClose(`${what} bias`, await ctx.readF32(bufs.db, N), bias, tol);
            if (velocity) expectClose(`${what} velocity`, await ctx.readF32(bufs.velocity!, N), velocity, tol);
          }
          for (const buf of Object.values(bufs)) if (buf) ctx.destroyBuffer(buf);
        }
      }
    });
  }
});
