import { describe, it, type TestContext } from 'vitest';
import { HIDDEN_ACTIVATIONS, readsInput } from '../../src/model/activations.ts';
import { activationBackwardCpu, biasGradCpu, keptForBackwardCpu, matmulCpu, type MatmulShape } from '../../src/reference/kernels.ts';
import { TOLERANCES } from '../../src/reference/tolerance.ts';
import { MATMUL_VARIANTS, matmulDispatch, matmulVariantsFor, type MatmulVariant } from '../../src/gpu/kernels/matmul.ts';
import type { GpuContext } from '../../src/gpu/context.ts';
import { randomArray, useGpu } from './gpu-suite.ts';
import { checkKernel, WorstErrors } from './kernel-check.ts';
import { caseName, OPTIMIZER_CASES, OptimizerRun } from './optimizer-cases.ts';

// Shapes: the model's own (K = 784, N = 10, batch 1 / 7 / 33 / 16), and sizes that are not
// multiples of any tile (16, 32, 64) so every edge path runs.
const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [7, 10, 33],
  [33, 10, 256],
  [16, 512, 784],
  [1, 7, 784],
  [65, 17, 3],
  [10, 33, 7],
  // vec4 needs K, and M or N on their contiguous side, in multiples of 4: these run it on
  // ragged 8x8 blocks instead of falling back.
  [12, 20, 8],
  [36, 44, 784],
  [4, 4, 4],
];
const TRANSPOSES = [[false, false], [true, false], [false, true], [true, true]] as const;

/** The device for a variant's test, or a visible skip where the device cannot run it
 * (skinny-subgroups without the 'subgroups' feature). */
function deviceFor(gpu: () => GpuContext, variant: MatmulVariant, t: TestContext): GpuContext {
  const ctx = gpu();
  if (!matmulVariantsFor(ctx).includes(variant)) t.skip(`${variant} needs the 'subgroups' feature, which this adapter lacks`);
  return ctx;
}

describe('matmul kernels vs matmulCpu', () => {
  const gpu = useGpu();
  for (const variant of MATMUL_VARIANTS) {
    it(`${variant}: every transpose combination over odd and model shapes`, async (t) => {
      deviceFor(gpu, variant, t);
      const worst = new WorstErrors();
      for (const [M, N, K] of SHAPES) {
        for (const [transA, transB] of TRANSPOSES) {
          const shape: MatmulShape = { M, N, K, transA, transB };
          const a = randomArray(M * K, M * 1000 + K);
          const b = randomArray(K * N, N * 1000 + K + 1);
          worst.add(await checkKernel(gpu(), {
            what: `${variant} ${M}x${N}x${K} tA=${transA} tB=${transB}`,
            buffers: { a, b, c: M * N },
            dispatches: (bufs) => matmulDispatch(gpu(), variant, bufs, shape),
            expect: () => ({ c: { ref: matmulCpu(a, b, null, shape), tol: TOLERANCES.matmul } }),
          }));
        }
      }
      worst.log(`matmul ${variant} over ${SHAPES.length * 4} shape/transpose cases`);
    });

    it(`${variant}: fused bias and activation epilogues, forward layer shapes`, async (t) => {
      deviceFor(gpu, variant, t);
      const worst = new WorstErrors();
      for (const activation of HIDDEN_ACTIVATIONS) {
        // fc1's full shape once, for the notebook's sigmoid; the others on the smaller shapes.
        const shapes = [[32, 512, 784], [7, 10, 256], [33, 256, 512]] as const;
        for (const [M, N, K] of activation === 'sigmoid' ? shapes : shapes.slice(1)) {
          const shape: MatmulShape = { M, N, K, transB: true, activation };
          const a = randomArray(M * K, 7 + M);
          const b = randomArray(K * N, 11 + N, 0.1);
          const bias = randomArray(N, 13 + N);
          // The pre-activation too, where the activation's backward reads it.
          const keep = readsInput(activation);
          worst.add(await checkKernel(gpu(), {
            what: `${variant} ${activation}(x W^T + b) ${M}x${N}x${K}`,
            buffers: { a, b, bias, c: M * N, pre: M * N },
            dispatches: (bufs) => matmulDispatch(gpu(), variant, bufs, shape, { kind: 'bias', bias: bufs.bias, activation, ...(keep ? { pre: bufs.pre } : {}) }),
            expect: () => ({
              c: { ref: matmulCpu(a, b, bias, shape), tol: TOLERANCES.matmul },
              ...(keep ? { pre: { ref: matmulCpu(a, b, bias, { ...shape, activation: 'none' }), tol: TOLERANCES.matmul } } : {}),
            }),
          }));
        }
      }
      worst.log(`matmul ${variant} + bias + ${HIDDEN_ACTIVATIONS.join('/')}`);
    });
  }

  // The fused epilogues of the training step, against the composition of the CPU twins: the
  // input gradient times the activation's derivative (at most 1, which only shrinks the product's
  // error), and the weight gradient fed to an SGD step (lr <= 1 scales it down).
  const FUSED_SHAPES: [number, number, number][] = [[33, 512, 256], [7, 10, 33], [32, 256, 10]];
  // Weight-gradient shapes: K = the batch; M and N past every tile size without the full 256 x 512
  // of fc2 (the skinny kernel's thousands of workgroups take minutes on a CPU adapter).
  const UPDATE_SHAPES: [number, number, number][] = [[100, 260, 32], [10, 256, 33], [13, 7, 5]];
  // Three steps, so that the step count t matters.
  for (const variant of MATMUL_VARIANTS) {
    it(`${variant}: dX fused with each activation's backward equals matmul then activationBackwardCpu`, async (t) => {
      deviceFor(gpu, variant, t);
      for (const activation of HIDDEN_ACTIVATIONS) {
        for (const [M, N, K] of activation === 'sigmoid' ? FUSED_SHAPES : FUSED_SHAPES.slice(1)) {
          const shape: MatmulShape = { M, N, K };
          const a = randomArray(M * K, 3 * M + K);
          const b = randomArray(K * N, 5 * N + K);
          // What the forward pass keeps of this activation (its output, zeros included where ReLU's
          // derivative switches, or its input).
          const kept = keptForBackwardCpu(randomArray(M * N, 7 * M + N, 3), activation);
          await checkKernel(gpu(), {
            what: `${variant} (dz W) * ${activation}'(z) ${M}x${N}x${K}`,
            buffers: { a, b, kept, c: M * N },
            dispatches: (bufs) => matmulDispatch(gpu(), variant, bufs, shape, { kind: 'activation-backward', kept: bufs.kept, activation }),
            expect: () => ({ c: { ref: activationBackwardCpu(matmulCpu(a, b, null, shape), kept, activation), tol: TOLERANCES.matmul } }),
          });
        }
      }
    });

    it(`${variant}: dW fused with each optimizer's step equals matmul then optimizerUpdateCpu, three times`, async (t) => {
      const ctx = deviceFor(gpu, variant, t);
      for (const settings of OPTIMIZER_CASES) {
        for (const [M, N, K] of UPDATE_SHAPES) {
          const shape: MatmulShape = { M, N, K, transA: true };
          const param = randomArray(M * N, 11 * M + N, 0.1);
          const run = new OptimizerRun(ctx, settings);
          const [state] = run.state(M * N);
          const a = randomArray(M * K, 13 * M + K);
          const b = randomArray(K * N, 17 * N + K);
          await checkKernel(ctx, {
            what: `${variant} W update(dz^T x) ${M}x${N}x${K} ${caseName(settings)}`,
            buffers: { a, b, c: param.slice(), ...(state ? { state: state.slice() } : {}) },
            dispatches: (bufs) => matmulDispatch(ctx, variant, bufs, shape, { kind: 'update', optimizer: run.params, state: bufs.state ?? null, record: run.record }),
            runs: 3,
            beforeRun: (_bufs, r) => run.beforeRun(r, true),
            expect: () => {
              run.updateCpu(param, matmulCpu(a, b, null, shape), state);
              return { c: { ref: param, tol: TOLERANCES.matmul }, ...(state ? { state: { ref: state, tol: TOLERANCES.matmul } } : {}) };
            },
          });
          run.destroy();
        }
      }
    });
  }

  // The weight gradient's dispatch also steps the layer's bias: its gradient is the row sums of
  // op(A) = dz^T, the column sums of dz as stored (K, M), taken by one extra column of workgroups
  // (matmul_vec4: by its first column, whose invocations past N still take their bias rows, as in
  // 132x12x8).
  for (const variant of MATMUL_VARIANTS) {
    it(`${variant}: dW and db fused with each optimizer's steps equal matmul, biasGradCpu and optimizerUpdateCpu, three times`, async (t) => {
      const ctx = deviceFor(gpu, variant, t);
      for (const settings of OPTIMIZER_CASES) {
        for (const [M, N, K] of [...UPDATE_SHAPES, [130, 70, 33], [70, 9, 1], [132, 12, 8]] as [number, number, number][]) {
          const shape: MatmulShape = { M, N, K, transA: true };
          const param = randomArray(M * N, 19 * M + N, 0.1);
          const bias = randomArray(M, 23 * M, 0.1);
          const run = new OptimizerRun(ctx, settings);
          const [state, biasState] = run.state(M * N, M);
          const a = randomArray(M * K, 29 * M + K);
          const b = randomArray(K * N, 31 * N + K);
          await checkKernel(ctx, {
            what: `${variant} W, b update(dz^T x, sums of dz) ${M}x${N}x${K} ${caseName(settings)}`,
            buffers: { a, b, c: param.slice(), bias: bias.slice(), ...(state ? { state: state.slice(), biasState: biasState!.slice() } : {}) },
            dispatches: (bufs) => matmulDispatch(ctx, variant, bufs, shape,
              { kind: 'update', optimizer: run.params, state: bufs.state ?? null, record: run.record, bias: { param: bufs.bias, state: bufs.biasState ?? null } }),
            runs: 3,
            beforeRun: (_bufs, r) => run.beforeRun(r, true),
            expect: () => {
              run.updateCpu(param, matmulCpu(a, b, null, shape), state);
              run.updateCpu(bias, biasGradCpu(a, K, M), biasState);
              const tol = TOLERANCES.matmul;
              return {
                c: { ref: param, tol },
                bias: { ref: bias, tol },
                ...(state ? { state: { ref: state, tol }, biasState: { ref: biasState!, tol } } : {}),
              };
            },
          });
          run.destroy();
        }
      }
    });
  }
});
