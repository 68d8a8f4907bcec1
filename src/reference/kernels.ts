// CPU twins of the WGSL kernels in shaders/, one function per kernel family with the same name
// stem and argument order (matmul.wgsl <-> matmulCpu). Written independently of the WGSL and
// deliberately naive: straight loops, float64 accumulation, float32 storage, so they are the
// ground truth the GPU is measured against.
import { shiftAt } from '../data/augment.ts';
import { ACTIVATION_TABLE, readsInput, type Activation, type HiddenActivation } from '../model/activations.ts';
import type { LossKind } from '../model/losses.ts';
import { optimizerUpdateCpu, type OptimizerSettings } from '../model/optimizers.ts';

export interface MatmulShape {
  /** Rows of op(A) and of C. */
  M: number;
  /** Columns of op(B) and of C. */
  N: number;
  /** Inner dimension. */
  K: number;
  /** A is stored (K, M) and used transposed. */
  transA?: boolean;
  /** B is stored (N, K) and used transposed; `x W^T` with W in PyTorch's (out, in) layout. */
  transB?: boolean;
  activation?: Activation;
}

/** C = act(op(A) op(B) + bias). op(A) is (M,K), op(B) is (K,N), bias is (N) or null, C is (M,N). */
export function matmulCpu(
  a: Float32Array,
  b: Float32Array,
  bias: Float32Array | null,
  shape: MatmulShape,
): Float32Array {
  const { M, N, K, transA = false, transB = false, activation = 'none' } = shape;
  checkLength('matmul A', a, M * K);
  checkLength('matmul B', b, K * N);
  if (bias) checkLength('matmul bias', bias, N);
  const { forward } = ACTIVATION_TABLE[activation];
  const c = new Float32Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let acc = bias ? bias[j] : 0;
      for (let k = 0; k < K; k++) {
        const av = transA ? a[k * M + i] : a[i * K + k];
        const bv = transB ? b[j * K + k] : b[k * N + j];
        acc += av * bv;
      }
      c[i * N + j] = forward(acc);
    }
  }
  return c;
}

/** y = act(x), element-wise. */
export function activationCpu(x: Float32Array, a: Activation): Float32Array {
  const { forward } = ACTIVATION_TABLE[a];
  return Float32Array.from(x, (v) => forward(v));
}

/** What the forward pass keeps of act(x) for the backward pass: y = act(x), or x itself for an
 * activation whose backward reads its input. */
export function keptForBackwardCpu(x: Float32Array, a: Activation): Float32Array {
  return readsInput(a) ? x : activationCpu(x, a);
}

/** dX = g * act'(x): the incoming gradient through the activation, written with `kept`, what the
 * forward pass kept for it: the output y or the input x, as ACTIVATION_TABLE's backwardReads says. */
export function activationBackwardCpu(g: Float32Array, kept: Float32Array, a: Activation): Float32Array {
  checkLength('activationBackward kept', kept, g.length);
  const { grad } = ACTIVATION_TABLE[a];
  return Float32Array.from(g, (gv, i) => gv * grad(kept[i]));
}

export interface LogSoftmaxNll {
  /** (B, C) log-probabilities. */
  logProbs: Float32Array;
  /** (B) -log p(label) per row. */
  rowLoss: Float32Array;
  /** Mean of rowLoss over the B rows: PyTorch's CrossEntropyLoss with reduction 'mean'. */
  loss: number;
  /** (B, C) d(mean loss)/d(logits) = (softmax - onehot) / B. */
  grad: Float32Array;
  /** (B) index of each row's largest logit (the first one on ties). */
  argmax: Uint32Array;
}

/** Row-wise log-softmax of (B, C) logits fused with the mean negative log-likelihood of the
 * labels. Max-subtracted so e^x never overflows, even with outlier logits. */
export function logSoftmaxNllCpu(
  logits: Float32Array,
  labels: ArrayLike<number>,
  B: number,
  C: number,
): LogSoftmaxNll {
  checkLength('logSoftmaxNll logits', logits, B * C);
  checkLength('logSoftmaxNll labels', labels, B);
  const logProbs = new Float32Array(B * C);
  const grad = new Float32Array(B * C);
  const rowLoss = new Float32Array(B);
  const argmax = new Uint32Array(B);
  let total = 0;
  for (let r = 0; r < B; r++) {
    let max = -Infinity;
    let best = 0;
    for (let c = 0; c < C; c++) {
      if (logits[r * C + c] > max) {
        max = logits[r * C + c];
        best = c;
      }
    }
    let sum = 0;
    for (let c = 0; c < C; c++) sum += Math.exp(logits[r * C + c] - max);
    const logSum = Math.log(sum);
    const label = labels[r];
    if (!Number.isInteger(label) || label < 0 || label >= C) {
      throw new RangeError(`logSoftmaxNll: label ${label} of row ${r} is not a class index in [0, ${C})`);
    }
    for (let c = 0; c < C; c++) {
      const lp = logits[r * C + c] - max - logSum;
      logProbs[r * C + c] = lp;
      grad[r * C + c] = (Math.exp(lp) - (c === label ? 1 : 0)) / B;
    }
    const l = -(logits[r * C + label] - max - logSum);
    rowLoss[r] = l;
    total += l;
    argmax[r] = best;
  }
  return { logProbs, rowLoss, loss: total / B, grad, argmax };
}

/** db = column sums of dY: dY is (M, N), db is (N). */
export function biasGradCpu(dY: Float32Array, M: number, N: number): Float32Array {
  checkLength('biasGrad dY', dY, M * N);
  const db = new Float32Array(N);
  for (let j = 0; j < N; j++) {
    let acc = 0;
    for (let i = 0; i < M; i++) acc += dY[i * N + j];
    db[j] = acc;
  }
  return db;
}

/** Augmentation as gather_u8 applies it: images `width` pixels wide shifted by up to `shift`
 * pixels each way, the shift of row r drawn from the epoch's `salt` and its position
 * `firstPosition + r` in the epoch (src/data/augment.ts). */
export interface GatherAugment {
  shift: number;
  width: number;
  salt: number;
  firstPosition: number;
}

/** Rows of a u8 image set picked by index and scaled to [0, 1]: images is (count, rowLen),
 * indices is (B), the result is (B, rowLen). This is ToTensor() of the notebook; with `augment`,
 * each image is also moved by its random shift, zeros shifted in. */
export function gatherU8Cpu(images: Uint8Array, indices: ArrayLike<number>, rowLen: number, augment?: GatherAugment): Float32Array {
  const out = new Float32Array(indices.length * rowLen);
  const width = augment?.width ?? rowLen;
  for (let r = 0; r < indices.length; r++) {
    const idx = indices[r];
    if (!Number.isInteger(idx) || idx < 0 || (idx + 1) * rowLen > images.length) {
      throw new RangeError(`gatherU8: index ${idx} is not a row of the image set`);
    }
    const { dx, dy } = augment ? shiftAt(augment.salt, augment.firstPosition + r, augment.shift) : { dx: 0, dy: 0 };
    const src = idx * rowLen;
    for (let k = 0; k < rowLen; k++) {
      const px = (k % width) - dx;
      const py = Math.floor(k / width) - dy;
      const inside = px >= 0 && px < width && py >= 0 && py * width < rowLen;
      out[r * rowLen + k] = inside ? images[src + py * width + px] / 255 : 0;
    }
  }
  return out;
}

/** gather_f32's twin: rows of an f32 feature set picked by index, as they are: features is
 * (count, rowLen), indices is (B), the result is (B, rowLen). */
export function gatherF32Cpu(features: Float32Array, indices: ArrayLike<number>, rowLen: number): Float32Array {
  const out = new Float32Array(indices.length * rowLen);
  for (let r = 0; r < indices.length; r++) {
    const idx = indices[r];
    if (!Number.isInteger(idx) || idx < 0 || (idx + 1) * rowLen > features.length) {
      throw new RangeError(`gatherF32: index ${idx} is not a row of the feature set`);
    }
    out.set(features.subarray(idx * rowLen, (idx + 1) * rowLen), r * rowLen);
  }
  return out;
}

/** A batch of either kind of data set, as the trainer's gather dispatch picks its kernel: u8 through
 * gatherU8Cpu (augmented when asked), f32 through gatherF32Cpu (never augmented). */
export function gatherCpu(samples: Uint8Array | Float32Array, indices: ArrayLike<number>, rowLen: number, augment?: GatherAugment): Float32Array {
  if (samples instanceof Uint8Array) return gatherU8Cpu(samples, indices, rowLen, augment);
  if (augment) throw new RangeError('gather: f32 features are not images and cannot be shifted');
  return gatherF32Cpu(samples, indices, rowLen);
}

/** convert_u8's twin: the first `rows` rows of a batch already gathered in sample order (a
 * streamed ring slot), scaled to [0, 1]. */
export function convertU8Cpu(images: Uint8Array, rows: number, rowLen: number): Float32Array {
  return gatherU8Cpu(images, Array.from({ length: rows }, (_, r) => r), rowLen);
}

/** Squared error of (B, C) outputs against one-hot labels: each row's sum over the classes
 * (rowLoss; for the toy network's rows of one, exactly the error the notebook adds up), their mean
 * over the rows (loss), its gradient 2 (out - expected) / B, and each row's argmax (the first
 * largest output). */
export function squaredErrorCpu(
  out: Float32Array,
  labels: ArrayLike<number>,
  B: number,
  C: number,
): { loss: number; rowLoss: Float32Array; grad: Float32Array; argmax: Uint32Array } {
  checkLength('squaredError out', out, B * C);
  checkLength('squaredError labels', labels, B);
  const grad = new Float32Array(B * C);
  const rowLoss = new Float32Array(B);
  const argmax = new Uint32Array(B);
  let loss = 0;
  for (let r = 0; r < B; r++) {
    let row = 0;
    for (let c = 0; c < C; c++) {
      const v = out[r * C + c];
      const diff = v - (labels[r] === c ? 1 : 0);
      row += diff * diff;
      grad[r * C + c] = (2 * diff) / B;
      if (v > out[r * C + argmax[r]]) argmax[r] = c;
    }
    rowLoss[r] = row;
    loss += row;
  }
  return { loss: loss / B, rowLoss, grad, argmax };
}

/** One training step's metrics from its per-row results: loss = lossScale * Σ rowLoss (1/B gives
 * the batch mean) and correct = how many rows' argmax equals the label. All three arrays are (B). */
export function stepMetricsCpu(
  rowLoss: Float32Array,
  argmax: ArrayLike<number>,
  labels: ArrayLike<number>,
  lossScale: number,
): { loss: number; correct: number } {
  checkLength('stepMetrics argmax', argmax, rowLoss.length);
  checkLength('stepMetrics labels', labels, rowLoss.length);
  let sum = 0;
  let correct = 0;
  for (let r = 0; r < rowLoss.length; r++) {
    sum += rowLoss[r];
    if (argmax[r] === labels[r]) correct++;
  }
  return { loss: lossScale * sum, correct };
}

export function checkLength(what: string, arr: ArrayLike<number>, expected: number): void {
  if (arr.length !== expected) {
    throw new RangeError(`${what}: expected ${expected} elements, got ${arr.length}`);
  }
}

export interface OutputLayerCpuResult {
  /** The step's loss, the batch mean. */
  loss: number;
  correct: number;
  /** (B) each row's first largest output. */
  argmax: Uint32Array;
  /** (B, H) the layer below's delta (dz W) * act'(h); null without prevActivation. */
  dzPrev: Float32Array | null;
}

/** output_layer.wgsl's twin, composed of the twins above: the layer's forward pass, its loss,
 * the metrics, and, with `update`, the delta of the layer below (when h is a hidden layer's
 * output, through that layer's activation, of prevPre where that activation's backward reads its
 * input) and the optimizer step (step count `step`) of W (C, H) and b (C), in place, with their
 * interleaved state stateW, stateB. h is (B, H), labels (B). */
export function outputLayerCpu(
  h: Float32Array,
  W: Float32Array,
  b: Float32Array,
  labels: ArrayLike<number>,
  p: { B: number; H: number; C: number; loss: LossKind; prevActivation: HiddenActivation | null; prevPre?: Float32Array },
  update: { optimizer: OptimizerSettings; stateW: Float32Array | null; stateB: Float32Array | null; step: number } | null,
): OutputLayerCpuResult {
  const { B, H, C, loss } = p;
  if (update && p.prevActivation && readsInput(p.prevActivation) && !p.prevPre) {
    throw new Error(`outputLayer: the layer below's ${p.prevActivation} backward reads its pre-activation: pass it as prevPre`);
  }
  const z = matmulCpu(h, W, b, { M: B, N: C, K: H, transB: true, activation: loss === 'squared' ? 'sigmoid' : 'none' });
  let dz: Float32Array;
  let rowLoss: Float32Array;
  let argmax: Uint32Array;
  if (loss === 'nll') {
    ({ grad: dz, rowLoss, argmax } = logSoftmaxNllCpu(z, labels, B, C));
  } else {
    const se = squaredErrorCpu(z, labels, B, C);
    ({ rowLoss, argmax } = se);
    dz = activationBackwardCpu(se.grad, z, 'sigmoid');
  }
  const metrics = stepMetricsCpu(rowLoss, argmax, labels, 1 / B);
  let dzPrev: Float32Array | null = null;
  if (update) {
    if (p.prevActivation) dzPrev = activationBackwardCpu(matmulCpu(dz, W, null, { M: B, N: H, K: C }), p.prevPre ?? h, p.prevActivation);
    optimizerUpdateCpu(W, matmulCpu(dz, h, null, { M: C, N: H, K: B, transA: true }), update.stateW, update.optimizer, update.step);
    optimizerUpdateCpu(b, biasGradCpu(dz, B, C), update.stateB, update.optimizer, update.step);
  }
  return { loss: metrics.loss, correct: metrics.correct, argmax, dzPrev };
}
