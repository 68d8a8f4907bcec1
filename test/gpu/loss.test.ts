// The loss kernels (shaders/log_softmax.wgsl, squared_error.wgsl, both on loss_fn.wgsl) vs their
// CPU twins, one case list per loss of LOSSES: the Record below makes a new loss name its kernel
// and inputs here before the suite type-checks.
import { describe, it } from 'vitest';
import { LOSSES, type LossKind } from '../../src/model/losses.ts';
import { activationBackwardCpu, logSoftmaxNllCpu, squaredErrorCpu } from '../../src/reference/kernels.ts';
import { TOLERANCES, type Tolerance } from '../../src/reference/tolerance.ts';
import type { GpuContext } from '../../src/gpu/context.ts';
import type { Dispatch } from '../../src/gpu/dispatch.ts';
import { logSoftmaxNllDispatch } from '../../src/gpu/kernels/log-softmax.ts';
import { squaredErrorDispatch } from '../../src/gpu/kernels/squared-error.ts';
import { createRng } from '../../src/data/prng.ts';
import { randomArray, useGpu } from './gpu-suite.ts';
import { checkKernel, WorstErrors, type Uploaded } from './kernel-check.ts';

type LossBuffers = Uploaded<{ values: Float32Array; labels: Uint32Array; grad: number; rowLoss: number; argmax: number }>;

interface LossVariant {
  /** Names the variant in the test's title ('' for the plain one). */
  name: string;
  dispatch(ctx: GpuContext, bufs: LossBuffers, B: number, C: number): Dispatch;
  /** The twin's per-row loss, gradient and argmax of (B, C) values. */
  ref(values: Float32Array, labels: Uint32Array, B: number, C: number): { rowLoss: Float32Array; grad: Float32Array; argmax: Uint32Array };
  gradTol: Tolerance;
}

interface LossCase {
  /** The kernel's input, the last row holding a tie for its maximum (the first index must win). */
  values(B: number, C: number, seed: number): Float32Array;
  shapes: [number, number][];
  rowLossTol: Tolerance;
  variants: LossVariant[];
}

/** The (B, C) values with two neighbouring entries of the last row set to `v`, above all others:
 * a tie for its maximum. */
function withTie(values: Float32Array, B: number, C: number, v: number): Float32Array {
  if (C > 2) values.fill(v, (B - 1) * C + 1, (B - 1) * C + 3);
  else if (C === 2) values.fill(v, (B - 1) * C, B * C);
  return values;
}

const squaredVariant = (sigmoidBackward: boolean): LossVariant => ({
  name: sigmoidBackward ? ' through the output sigmoid' : '',
  dispatch: (ctx, { values, ...bufs }, B, C) => squaredErrorDispatch(ctx, { out: values, ...bufs }, { B, C, sigmoidBackward }),
  ref: (values, labels, B, C) => {
    const se = squaredErrorCpu(values, labels, B, C);
    return { ...se, grad: sigmoidBackward ? activationBackwardCpu(se.grad, values, 'sigmoid') : se.grad };
  },
  // 2 (out - onehot) / B: one rounding more than the reference's for B not a power of two;
  // through the sigmoid, two more.
  gradTol: TOLERANCES.activationBackward,
});

const CASES: Record<LossKind, LossCase> = {
  nll: {
    // Logits in [-1, 1] with every seventh one scaled by 20, so a softmax is not trivially flat.
    values: (B, C, seed) => {
      const logits = randomArray(B * C, seed);
      for (let i = 0; i < logits.length; i += 7) logits[i] *= 20;
      return withTie(logits, B, C, 25);
    },
    shapes: [1, 7, 16, 33].flatMap((B) => [10, 3, 1].map((C): [number, number] => [B, C])),
    rowLossTol: TOLERANCES.nllRowLoss,
    variants: [{
      name: ' (scaled by 1/B)',
      dispatch: (ctx, { values, ...bufs }, B, C) => logSoftmaxNllDispatch(ctx, { logits: values, ...bufs }, { B, C, gradScale: 1 / B }),
      ref: logSoftmaxNllCpu,
      gradTol: TOLERANCES.softmaxGrad,
    }],
  },
  squared: {
    // Sigmoid-range outputs, in [0, 1).
    values: (B, C, seed) => {
      const rng = createRng(seed);
      return withTie(Float32Array.from({ length: B * C }, () => rng.next()), B, C, 0.999);
    },
    // The notebook's toy network (2 outputs, one row per step), MNIST-sized rows, and a ragged batch.
    shapes: [[1, 2], [7, 10], [33, 3], [16, 1]],
    rowLossTol: TOLERANCES.squaredErrorLoss,
    variants: [squaredVariant(false), squaredVariant(true)],
  },
};

describe('loss kernels vs their CPU twins', () => {
  const gpu = useGpu();

  for (const loss of LOSSES) {
    const c = CASES[loss];
    for (const variant of c.variants) {
      it(`${loss}: rowLoss, grad${variant.name} and argmax`, async () => {
        const worst = new WorstErrors();
        for (const [B, C] of c.shapes) {
          const values = c.values(B, C, B * 100 + C);
          const rng = createRng(B * 100 + C + 1);
          const labels = Uint32Array.from({ length: B }, () => rng.int(C));
          const ref = variant.ref(values, labels, B, C);
          worst.add(await checkKernel(gpu(), {
            what: `${loss}${variant.name} ${B}x${C}`,
            buffers: { values, labels, grad: B * C, rowLoss: B, argmax: B },
            dispatches: (bufs) => variant.dispatch(gpu(), bufs, B, C),
            expect: () => ({
              grad: { ref: ref.grad, tol: variant.gradTol },
              rowLoss: { ref: ref.rowLoss, tol: c.rowLossTol },
              argmax: { ref: ref.argmax, tol: TOLERANCES.exact },
            }),
          }));
        }
        worst.log(`${loss}${variant.name}`);
      });
    }
  }
});
