import { describe, it } from 'vitest';
import { matmulCpu, sgdUpdateCpu, sigmoidBackwardCpu, type MatmulShape, type SgdOptions } from '../../src/reference/kernels.ts';
import { MATMUL_VARIANTS, chooseMatmulVariant, matmulDispatch } from '../../src/gpu/kernels/matmul.ts';
import { createSgdHyper } from '../../src/gpu/kernels/sgd.ts';
import { runDispatches } from '../../src/gpu/runner.ts';
import { expectClose, randomArray, useGpu } from './gpu-suite.ts';

// f32 products summed over K terms on the GPU (fma, any order) against float64 sums: the error
// grows like sqrt(K) * eps32 * |terms|; with inputs in [-1, 1] and K <= 784 that stays below
// 1e-5 absolute. rtol covers the sigmoid epilogue's exp, whose accuracy WGSL leaves open.
const TOL = { atol: 2e-5, rtol: 1e-5 };

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

describe('matmul kernels vs matmulCpu', () => {
  const gpu = useGpu();
  for (const variant of MATMUL_VARIANTS) {
    it(`${variant}: every transpose combination over odd and model shapes`, async () => {
      const ctx = gpu();
      let worst = 0;
      for (const [M, N, K] of SHAPES) {
        for (const [transA, transB] of TRANSPOSES) {
          const shape: MatmulShape = { M, N, K, transA, transB };
          const a = randomArray(M * K, M * 1000 + K);
          const b = randomArray(K * N, N * 1000 + K + 1);
          const bufs = { a: ctx.storage('A', a), b: ctx.storage('B', b), c: ctx.storage('C', M * N * 4) };
          await runDispatches(ctx, [matmulDispatch(ctx, variant, bufs, shape)]);
          const got = await ctx.readF32(bufs.c, M * N);
          worst = Math.max(worst, expectClose(`${variant} ${M}x${N}x${K} tA=${transA} tB=${transB}`, got, matmulCpu(a, b, null, shape), TOL));
          for (const buf of Object.values(bufs)) ctx.destroyBuffer(buf);
        }
      }
      console.log(`matmul ${variant}: max |gpu - ref| ${worst.toExponential(2)} over ${SHAPES.length * 4} shape/transpose cases`);
    });

    it(`${variant}: fused bias and sigmoid epilogue, forward layer shapes`, async () => {
      const ctx = gpu();
      let worst = 0;
      for (const [M, N, K] of [[32, 512, 784], [7, 10, 256], [33, 256, 512]] as const) {
        const shape: MatmulShape = { M, N, K, transB: true, activation: 'sigmoid' };
        const a = randomArray(M * K, 7 + M);
        const b = randomArray(K * N, 11 + N, 0.1);
        const bias = randomArray(N, 13 + N);
        const bufs = { a: ctx.storage('A', a), b: ctx.storage('B', b), bias: ctx.storage('bias', bias), c: ctx.storage('C', M * N * 4) };
        await runDispatches(ctx, [matmulDispatch(ctx, variant, bufs, shape)]);
        const got = await ctx.readF32(bufs.c, M * N);
        worst = Math.max(worst, expectClose(`${variant} sigmoid(x W^T + b) ${M}x${N}x${K}`, got, matmulCpu(a, b, bias, shape), TOL));
        for (const buf of Object.values(bufs)) ctx.destroyBuffer(buf);
      }
      console.log(`matmul ${variant} + bias + sigmoid: max |gpu - ref| ${worst.toExponential(2)}`);
    });
  }

  // The fused epilogues of the training step, against the composition of the CPU twins: the
  // input gradient times the sigmoid's derivative (y in (0, 1), so y (1 - y) <= 1/4 only shrinks
  // the product's error), and the weight gradient fed to an SGD step (lr <= 1 scales it down).
  const FUSED_SHAPES: [number, number, number][] = [[33, 512, 256], [7, 10, 33], [32, 256, 10]];
  const SGD_SHAPES: [number, number, number][] = [[256, 512, 32], [10, 256, 33], [13, 7, 5]];
  const SGD_CONFIGS: SgdOptions[] = [{ lr: 0.5 }, { lr: 0.1, momentum: 0.9, weightDecay: 0.01, nesterov: true }];
  for (const variant of MATMUL_VARIANTS) {
    it(`${variant}: dX fused with the sigmoid backward equals matmul then sigmoid backward`, async () => {
      const ctx = gpu();
      for (const [M, N, K] of FUSED_SHAPES) {
        const shape: MatmulShape = { M, N, K };
        const a = randomArray(M * K, 3 * M + K);
        const b = randomArray(K * N, 5 * N + K);
        const y = randomArray(M * N, 7 * M + N).map((v) => 0.5 + 0.49 * v);
        const bufs = { a: ctx.storage('A', a), b: ctx.storage('B', b), y: ctx.storage('y', y), c: ctx.storage('C', M * N * 4) };
        await runDispatches(ctx, [matmulDispatch(ctx, variant, bufs, shape)]);
        const want = sigmoidBackwardCpu(matmulCpu(a, b, null, shape), y);
        expectClose(`${variant} (dz W) * y (1 - y) ${M}x${N}x${K}`, await ctx.readF32(bufs.c, M * N), want, TOL);
        for (const buf of Object.values(bufs)) ctx.destroyBuffer(buf);
      }
    });

    it(`${variant}: dW fused with the SGD step equals matmul then sgdUpdateCpu, twice`, async () => {
      const ctx = gpu();
      for (const opts of SGD_CONFIGS) {
        for (const [M, N, K] of SGD_SHAPES) {
          const shape: MatmulShape = { M, N, K, transA: true };
          const param = randomArray(M * N, 11 * M + N, 0.1);
          const velocity = opts.momentum ? new Float32Array(M * N) : null;
          const a = randomArray(M * K, 13 * M + K);
          const b = randomArray(K * N, 17 * N + K);
          const bufs = {
            a: ctx.storage('A', a), b: ctx.storage('B', b), c: ctx.storage('W', param),
            hyper: createSgdHyper(ctx, opts), velocity: velocity ? ctx.storage('velocity', velocity) : null,
          };
          const d = matmulDispatch(ctx, variant, bufs, shape);
          for (let step = 0; step < 2; step++) {
            await runDispatches(ctx, [d]);
            sgdUpdateCpu(param, matmulCpu(a, b, null, shape), velocity, opts);
            const what = `${variant} W -= SGD(dz^T x) ${M}x${N}x${K} ${JSON.stringify(opts)} step ${step}`;
            expectClose(`${what} param`, await ctx.readF32(bufs.c, M * N), param, TOL);
            if (velocity) expectClose(`${what} velocity`, await ctx.readF32(bufs.velocity!, M * N), velocity, TOL);
          }
          for (const buf of Object.values(bufs)) if (buf) ctx.destroyBuffer(buf);
        }
      }
    });
  }

  it('a timed trial picks a variant for this adapter', async () => {
    const { variant, trials } = await chooseMatmulVariant(gpu());
    console.log(`matmul variant chosen: ${variant}; trials (ms, 32x784x512): ${trials.map((t) => `${t.variant} ${t.ms.toFixed(2)}`).join(', ')}`);
  });
});
