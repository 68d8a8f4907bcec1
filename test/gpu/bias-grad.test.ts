import { describe, it } from 'vitest';
import { biasGradCpu, sgdUpdateCpu, type SgdOptions } from '../../src/reference/kernels.ts';
import { biasGradSgdTolerance, biasGradTolerance } from '../../src/reference/tolerance.ts';
import { BIAS_GRAD_VARIANTS, biasGradDispatch } from '../../src/gpu/kernels/bias-grad.ts';
import { SgdParams } from '../../src/gpu/kernels/sgd.ts';
import { randomArray, useGpu } from './gpu-suite.ts';
import { checkKernel, WorstErrors } from './kernel-check.ts';

// M: batch 1, 7, the notebook's 32, 33, and 784 rows (a long column). N: one column, the logits'
// 10, a hidden layer's 256 and 513, one past a multiple of both variants' column groups.
const MS = [1, 7, 32, 33, 784];
const NS = [1, 10, 256, 513];

describe('bias-gradient kernels vs biasGradCpu', () => {
  const gpu = useGpu();
  for (const variant of BIAS_GRAD_VARIANTS) {
    it(`${variant}: column sums over batch and layer shapes`, async () => {
      const worst = new WorstErrors();
      for (const M of MS) {
        for (const N of NS) {
          const dY = randomArray(M * N, M * 1000 + N);
          worst.add(await checkKernel(gpu(), {
            what: `bias_grad_${variant} ${M}x${N}`,
            buffers: { dY, db: N },
            dispatches: (bufs) => biasGradDispatch(gpu(), variant, bufs, { M, N }),
            expect: () => ({ db: { ref: biasGradCpu(dY, M, N), tol: biasGradTolerance(M) } }),
          }));
        }
      }
      worst.log(`bias_grad_${variant}`);
    });

    // The training step's fused form: the column sums are the bias's gradient and feed an SGD
    // step in place.
    const CONFIGS: SgdOptions[] = [{ lr: 0.5 }, { lr: 0.1, momentum: 0.9, weightDecay: 0.01, nesterov: true }];
    it(`${variant}: fused with the SGD step equals biasGradCpu then sgdUpdateCpu, twice`, async () => {
      const ctx = gpu();
      for (const opts of CONFIGS) {
        for (const [M, N] of [[32, 512], [7, 10], [33, 513]] as const) {
          const dY = randomArray(M * N, 3 * M + N);
          const bias = randomArray(N, 5 * N, 0.1);
          const velocity = opts.momentum ? new Float32Array(N) : null;
          const sgd = SgdParams.create(ctx, opts);
          await checkKernel(ctx, {
            what: `bias_grad_${variant} +sgd ${M}x${N} ${JSON.stringify(opts)}`,
            buffers: { dY, db: bias.slice(), ...(velocity ? { velocity: velocity.slice() } : {}) },
            dispatches: (bufs) => biasGradDispatch(ctx, variant, bufs, { M, N }, { kind: 'sgd', sgd, velocity: bufs.velocity ?? null }),
            runs: 2,
            expect: () => {
              sgdUpdateCpu(bias, biasGradCpu(dY, M, N), velocity, opts);
              const tol = biasGradSgdTolerance(M);
              return { db: { ref: bias, tol }, ...(velocity ? { velocity: { ref: velocity, tol } } : {}) };
            },
          });
          ctx.destroyBuffer(sgd.buffer);
        }
      }
    });
  }
});
