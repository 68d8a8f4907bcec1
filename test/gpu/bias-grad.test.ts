import { describe, it } from 'vitest';
import { biasGradCpu } from '../../src/reference/kernels.ts';
import { biasGradSgdTolerance, biasGradTolerance } from '../../src/reference/tolerance.ts';
import { BIAS_GRAD_VARIANTS, biasGradDispatch } from '../../src/gpu/kernels/bias-grad.ts';
import { caseName, OPTIMIZER_CASES, OptimizerRun } from './optimizer-cases.ts';
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

    // The training step's fused form: the column sums are the bias's gradient and feed an
    // optimizer step in place, three times so that the step count matters.
    it(`${variant}: fused with each optimizer's step equals biasGradCpu then optimizerUpdateCpu, three times`, async () => {
      const ctx = gpu();
      for (const settings of OPTIMIZER_CASES) {
        for (const [M, N] of [[32, 512], [7, 10], [33, 513]] as const) {
          const dY = randomArray(M * N, 3 * M + N);
          const bias = randomArray(N, 5 * N, 0.1);
          const run = new OptimizerRun(ctx, settings);
          const [state] = run.state(N);
          await checkKernel(ctx, {
            what: `bias_grad_${variant} +update ${M}x${N} ${caseName(settings)}`,
            buffers: { dY, db: bias.slice(), ...(state ? { state: state.slice() } : {}) },
            dispatches: (bufs) => biasGradDispatch(ctx, variant, bufs, { M, N }, { kind: 'update', optimizer: run.params, state: bufs.state ?? null, record: run.record }),
            runs: 3,
            beforeRun: (_bufs, r) => run.beforeRun(r, true),
            expect: () => {
              run.updateCpu(bias, biasGradCpu(dY, M, N), state);
              const tol = biasGradSgdTolerance(M);
              return { db: { ref: bias, tol }, ...(state ? { state: { ref: state, tol } } : {}) };
            },
          });
          run.destroy();
        }
      }
    });
  }
});
