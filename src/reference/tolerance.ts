// The project's one tolerance rule, used by the kernel tests, the whole-step parity tests, the
// benchmark's validation and `npm run compare`:  |gpu - ref| <= atol + rtol * |ref|  for every
// element; and the one table of per-kernel values, each with its reason.
import type { OptimizerKind } from '../model/optimizers.ts';

export interface Tolerance {
  atol: number;
  rtol: number;
}

/** WGSL leaves exp/log accuracy and some rounding to the implementation; every loosening below
 * says which operation it covers. The kernel tests and the bench's validation read this table. */
export const TOLERANCES = {
  /** Copies, indices, counts, and single correctly rounded f32 operations (WGSL requires +, -, *
   * to round correctly): e.g. squared error's gradient 2 (out - onehot). */
  exact: { atol: 0, rtol: 0 },
  /** A CPU twin's float64 result rounded once to f32 against the same value PyTorch computed in
   * float64 (test/torch/conv-fixture.json): half an f32 ULP, written as one; atol covers the
   * float64 sums' own rounding (~1e-15) where terms cancel to near 0. */
  roundedFloat64: { atol: 1e-12, rtol: 2 ** -23 },
  /** f32 products summed over K terms (fma, any order) against float64 sums: the error grows
   * like sqrt(K) eps32 |terms|; with inputs in [-1, 1] and K <= 784 that stays below 1e-5
   * absolute. rtol covers the sigmoid epilogue's exp, whose accuracy WGSL leaves open. */
  matmul: { atol: 2e-5, rtol: 1e-5 },
  /** Convolution forward (with its epilogue) and input gradient: the f32 sums of a matmul, over
   * K = inC k k (forward) or outC ceil(k / stride)^2 (input gradient) products, at most 784 for
   * the model's layers: matmul's bound and reasons. Measured on SwiftShader over
   * test/gpu/conv.test.ts's table (K <= 144): 4.8e-7 forward, 1.2e-6 input gradient. */
  conv2d: { atol: 2e-5, rtol: 1e-5 },
  /** Activations. exp within 3 + 2|x| ULP (WGSL); the sigmoid turns a relative error in e^-|x|
   * into at most the same relative error of a value in [0, 1], and tanh = (1 - e^-2|x|) /
   * (1 + e^-2|x|) one of a value in [-1, 1]: 2e-6 absolute for the |x| <= 8 of real activations,
   * and past that the outputs are within 3e-4 of their limits and the error only shrinks. ReLU is
   * exact. */
  activation: { atol: 2e-6, rtol: 0 },
  /** g act'(x): two f32 roundings more than the float64 reference, nothing implementation-defined
   * (1e-7 absolute would do), except GELU's Phi(x) + x phi(x), whose Phi carries half of erf's
   * error (below) times |g| <= 2 in the tests: 2.4e-7 measured on SwiftShader. */
  activationBackward: { atol: 5e-7, rtol: 1e-6 },
  /** activation_fn.wgsl's erf in f32 against the float64 erf: 2.64e-7 measured on SwiftShader at
   * every 2^-12 of [-6, 6], where Abramowitz & Stegun 7.1.26 alone is good to 1.5e-7 in exact
   * arithmetic but its 1 - poly e^-x^2 loses bits to cancellation near 0. */
  erf: { atol: 3e-7, rtol: 0 },
  /** Softmax probabilities and the NLL gradient: exp of x = logit - max down to -40 (the x20
   * outlier logits of the tests) is within 83 ULP = 1e-5 relative; atol covers the label's entry
   * p - 1, whose relative error grows as it nears 0. */
  softmaxGrad: { atol: 1e-6, rtol: 1e-5 },
  /** rowLoss = log(sum) - (logit[label] - max): log's 2^-21 absolute error and the sum's few ULP
   * (atol), plus two f32 roundings of values up to 40 where the reference rounds once (rtol). */
  nllRowLoss: { atol: 3e-6, rtol: 1e-6 },
  /** A sum of C squares in f32 against float64: C roundings of values below 2 for C <= 10. */
  squaredErrorLoss: { atol: 1e-6, rtol: 1e-6 },
  /** Up to 5000 f32 additions in a strided-then-tree order against a float64 sum: the tree keeps
   * the error near log2(B) roundings of the partial sums. */
  metricsLoss: { atol: 1e-7, rtol: 1e-6 },
  /** The same few f32 operations per element on both sides, but the reference keeps float64
   * between them and the GPU may fuse a multiply-add: an ULP or two of operands up to ~10 (a
   * velocity at momentum 0.9), and atol for results that cancel towards 0. */
  sgd: { atol: 2e-7, rtol: 2e-6 },
  /** Adam and AdamW against float64: the SGD ULPs, plus the bias correction's. 1 - beta^t is
   * 1 - exp2(t log2 beta) in f32: exp2's 3 ULP of beta^t, over 1 - beta2^t (0.006 at t = 6 for
   * beta2 0.999), are 3e-5 relative, 1.5e-5 after the sqrt, of a step about lr in size. */
  adam: { atol: 1e-6, rtol: 2e-6 },
  /** byte / 255: WGSL allows f32 division 2.5 ULP of error (SwiftShader multiplies by 1/255). */
  pixels: { atol: 0, rtol: 2.5 * 2 ** -23 },
  /** The benchmark's FMA chains converge to 1 in f32 while the twin runs in float64. */
  benchFma: { atol: 1e-4, rtol: 1e-5 },
  /** One training step against the reference: the f32 loss against float64 ~1e-6 relative, and
   * one step moves each weight by lr * grad, the f32 gradient ~1e-7 relative off the float64 one. */
  stepLoss: { atol: 0, rtol: 1e-5 },
  stepParams: { atol: 1e-6, rtol: 0 },
  /** TensorFlow.js (the bench's peer) after two steps against the reference: its own matmul
   * tiling and summation order, WGSL exp in its sigmoid and log-sum-exp. Measured on SwiftShader
   * in Node, batches 4-512: losses within 1.4e-7 relative, parameters within 7.5e-8; the bounds
   * leave room for other GPUs, as the training step's do. */
  peerLoss: { atol: 0, rtol: 1e-5 },
  peerParams: { atol: 1e-6, rtol: 0 },
  /** The toy network, f32 on the GPU against float64 over up to 200 per-sample steps: epoch
   * errors, weights, outputs and deltas. Measured on SwiftShader (Node and Chromium): 1.05e-6
   * (2-2-2) and 6.6e-7 (2-3-2) for the tensors, 4.5e-7 and 1.3e-6 for the epoch errors; the bound
   * leaves 8-10x for other adapters' rounding (fused multiply-adds, WGSL's looser exp). */
  toy: { atol: 1e-5, rtol: 0 },
  /** A batch's gradient of every tensor, f32 sums of up to 64 rows against float64 ones:
   * relative error ~1e-6 of gradients ~1e-2. */
  batchGradient: { atol: 1e-6, rtol: 1e-4 },
  /** N steps of training on the GPU against the reference from the same weights and batches
   * (`npm run compare`, the library and data-set parity tests): f32 losses differ from float64
   * ones by ~1e-6 relative per step; each step moves a parameter by lr * (gradient error ~1e-7),
   * so the two runs drift apart slowly and 200 steps stay within 1e-4. */
  trainingLoss: { atol: 0, rtol: 1e-4 },
  trainingParams: { atol: 1e-4, rtol: 0 },
} as const satisfies Record<string, Tolerance>;

/** Column sums of M f32 terms in [-1, 1], in order or as strided partials then a tree, against
 * float64: each of the M additions rounds a partial sum of size ~sqrt(i) by up to 2^-24
 * relative, a random walk of about M 2^-24 in all (4.7e-5 at M = 784, where serial showed
 * 3.8e-5): four times that. */
export const biasGradTolerance = (M: number): Tolerance => ({ atol: 4 * M * 2 ** -24, rtol: 0 });

/** A convolution's weight and bias gradients: sums of `terms` = batch OH OW products of values in
 * [-1, 1] (standard deviation s <= 0.58), each workgroup's 64 invocations summing every 64th term
 * in order, then a tree. Each serial partial of terms / 64 drifts by about 2^-24 s (terms / 64) /
 * sqrt 2 in a random walk of roundings, and the 64 add in quadrature: about terms 2^-24 s / 11.3,
 * 7.6e-5 at terms = 25088 (batch 32 of 28x28), where SwiftShader measured 6.9e-5 and 4.6e-5 (db,
 * s = 0.58; two draws of test/gpu/conv.test.ts's operands).
 * Allowed: terms 2^-25, ten times that estimate; and 2 ULP of the result (rtol), the roundings that
 * dominate with few terms (3 in 3x3x5x5 -> 5 k5: 1 ULP of 1.8 measured). */
export const conv2dWeightGradTolerance = (terms: number): Tolerance => ({ atol: terms * 2 ** -25, rtol: 2 ** -22 });

/** The weight and bias after 3 optimizer steps on those gradients (test/gpu/conv.test.ts), and
 * the optimizers' state: each step's gradient error enters SGD's velocity, which momentum 0.9
 * sums to at most 2.71 times one (lr <= 0.5 scales it down for the parameter; Adam's lr / eps of
 * the tests 0.1), plus the optimizer arithmetic's own rounding (TOLERANCES.adam covers SGD's). */
export const conv2dUpdateTolerance = (terms: number): Tolerance => {
  const grad = conv2dWeightGradTolerance(terms);
  return { atol: 3 * grad.atol + TOLERANCES.adam.atol, rtol: 3 * grad.rtol + TOLERANCES.adam.rtol };
};

/** An optimizer's step of exact gradients (the standalone update kernel). */
export const optimizerTolerance = (kind: OptimizerKind): Tolerance => (kind === 'sgd' ? TOLERANCES.sgd : TOLERANCES.adam);

/** The bias gradient fed to an SGD step: lr <= 1 scales the sums' error down; the SGD arithmetic
 * adds an ULP or two. */
export const biasGradSgdTolerance = (M: number): Tolerance => ({ atol: biasGradTolerance(M).atol + 2e-7, rtol: 2e-6 });

export interface Mismatch {
  index: number;
  gpu: number;
  ref: number;
}

export interface Comparison {
  ok: boolean;
  /** max |gpu - ref| over all elements. */
  maxAbs: number;
  /** Index of the element with the largest excess over its allowance. */
  worst: number;
  /** How many elements break the rule. */
  bad: number;
  /** The first few elements that break it. */
  mismatches: Mismatch[];
}

export function compareArrays(gpu: ArrayLike<number>, ref: ArrayLike<number>, tol: Tolerance): Comparison {
  if (gpu.length !== ref.length) {
    throw new RangeError(`compare: gpu has ${gpu.length} elements, reference has ${ref.length}`);
  }
  let maxAbs = 0;
  let worst = 0;
  let worstExcess = -Infinity;
  let bad = 0;
  const mismatches: Mismatch[] = [];
  for (let i = 0; i < ref.length; i++) {
    const diff = Math.abs(gpu[i] - ref[i]);
    const excess = diff - (tol.atol + tol.rtol * Math.abs(ref[i]));
    // NaN anywhere is a failure, never a pass by comparison quirk.
    const broken = !(excess <= 0);
    if (diff > maxAbs || Number.isNaN(diff)) maxAbs = Number.isNaN(diff) ? NaN : Math.max(maxAbs, diff);
    if (excess > worstExcess || (broken && Number.isNaN(excess))) {
      worstExcess = Number.isNaN(excess) ? Infinity : excess;
      worst = i;
    }
    if (broken) {
      bad++;
      if (mismatches.length < 5) mismatches.push({ index: i, gpu: gpu[i], ref: ref[i] });
    }
  }
  return { ok: bad === 0, maxAbs, worst, bad, mismatches };
}

export function describeComparison(what: string, c: Comparison, tol: Tolerance): string {
  const head = `${what}: max |gpu - ref| = ${c.maxAbs.toExponential(3)} (atol ${tol.atol}, rtol ${tol.rtol})`;
  if (c.ok) return head;
  const pairs = c.mismatches.map((m) => `[${m.index}] gpu ${m.gpu} vs ref ${m.ref}`).join('; ');
  return `${head}; ${c.bad} elements out of tolerance, first: ${pairs}`;
}
