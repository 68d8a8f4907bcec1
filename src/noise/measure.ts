// `npm run noise`: why SGD's per-step loss jumps, measured. At fixed weights W it computes the
// full-batch gradient G over the training set, then for each batch size B the gradients g_B of
// random batches and how far they fall from G (the gradient noise, whose variance should scale
// like 1/B); then it trains from W at each B, and with full-batch gradient descent, and measures
// how much each step's loss jumps around its moving average. The WebGPU backend runs the
// trainer's own dispatches (src/train/step.ts); the CPU backend runs the reference.
import { epochOrder } from '../data/batches.ts';
import type { Split } from '../data/dataset.ts';
import { deriveRng, type Rng } from '../data/prng.ts';
import { describeAdapter, type AdapterSummary, type GpuContext } from '../gpu/context.ts';
import type { Dispatch } from '../gpu/dispatch.ts';
import { runSteps, submitSteps } from '../gpu/runner.ts';
import { feedDispatch, uploadSplit } from '../train/data-feed.ts';
import { OptimizerParams } from '../gpu/kernels/optimizer.ts';
import { plainSgd } from '../model/optimizers.ts';
import { gatherCpu } from '../reference/kernels.ts';
import { cloneMlp, createMlpOptimizerState, mlpParamTensors, mlpTrainStepCpu, type Mlp } from '../reference/mlp.ts';
import { NOTEBOOK_RECIPE } from '../train/config.ts';
import { createGpuModel, downloadParams, storedGradients, uploadParams } from '../train/gpu-model.ts';
import { cosine, dot, mean, meanWithSe, sampleStd, squaredDistance, stdAroundMovingAverage } from './stats.ts';
import { forwardDispatches, gradientDispatches, trainStepDispatches, type StepPlan } from '../train/step.ts';
import type { KernelChooser } from '../gpu/kernel-choice.ts';
import { createRunRecord, resetRecord, type RunRecord } from '../gpu/kernels/metrics.ts';

/** What computes losses and gradients at the current weights, and trains. */
export interface NoiseBackend {
  readonly adapter: AdapterSummary | null;
  setWeights(mlp: Mlp): void;
  weights(): Promise<Mlp>;
  /** Mean loss of the rows `indices` and the gradient of that mean, flat in mlpParamTensors
   * order; the weights are left as they are. */
  gradient(indices: Uint32Array): Promise<{ loss: number; grad: Float32Array }>;
  /** Plain SGD at `lr`, step s on rows order[s·B .. (s+1)·B); each step's batch loss, taken
   * before its update as the notebook logs it. */
  train(order: Uint32Array, B: number, lr: number): Promise<Float32Array>;
  destroy(): void;
}

/** Steps encoded per submit while training, as the trainer's default read-back interval. */
const STEPS_PER_SUBMIT = NOTEBOOK_RECIPE.readbackEvery;

/** What a backend must hold: rows of one gradient evaluation, steps and indices of one training
 * call. */
export interface Capacity {
  rows: number;
  steps: number;
  order: number;
}

export function capacityFor(o: NoiseOptions): Capacity {
  const B = NOTEBOOK_RECIPE.batchSize;
  const maxB = Math.max(...o.batchSizes);
  return {
    rows: Math.max(maxB, o.chunk),
    steps: Math.max(o.steps, o.warmupSteps),
    order: Math.max(o.steps * maxB, o.warmupSteps * B),
  };
}

/** The WebGPU backend: the split resident as loaded, batches gathered on the GPU through an index
 * buffer, as in GpuTrainer. */
export function createGpuNoiseBackend(
  ctx: GpuContext,
  kernels: KernelChooser,
  train: Split,
  init: Mlp,
  cap: Capacity,
): NoiseBackend {
  const rowLen = init.sizes[0];
  const model = createGpuModel(ctx, init, { maxBatch: cap.rows, stateFloats: 0, storedGradients: true });
  const data = uploadSplit(ctx, 'train', train, rowLen);
  // Gradients: one batch at a time, its loss in slot 0 (the counter is reset before each).
  const probe = { order: ctx.storage('probe order', cap.rows * 4), record: createRunRecord(ctx, 'probe', 1) };
  const trainRun = { order: ctx.storage('train order', cap.order * 4), record: createRunRecord(ctx, 'train', cap.steps) };
  const sgd = OptimizerParams.create(ctx, plainSgd(NOTEBOOK_RECIPE.lr));
  const grads = storedGradients(model).flatMap((g) => g.params);
  const paramCount = mlpParamTensors(init).reduce((n, t) => n + t.data.length, 0);
  // Every gradient tensor and the loss, copied side by side so one read-back brings them all.
  const flat = ctx.storage('flat gradient', (paramCount + 1) * 4);
  const plan = (rows: number, record: RunRecord): StepPlan => ({ ctx, model, kernels, rows, record });
  const gather = (order: GPUBuffer, record: RunRecord, rows: number) => feedDispatch(ctx, data, model, { order, record, rows, batchStride: rows });
  // Dispatches hold uniforms, so each row count's list is built once.
  const probeLists = new Map<number, Dispatch[]>();
  const trainLists = new Map<number, Dispatch[]>();
  return {
    adapter: ctx.adapter,
    setWeights: (mlp) => uploadParams(ctx, model, mlp),
    weights: () => downloadParams(ctx, model, cloneMlp(init)),
    async gradient(indices) {
      const n = indices.length;
      if (n < 1 || n > cap.rows) throw new RangeError(`gradient: ${n} rows, the backend holds 1 to ${cap.rows}`);
      const list = probeLists.get(n) ?? [gather(probe.order, probe.record, n),
        ...(await forwardDispatches(plan(n, probe.record))), ...(await gradientDispatches(plan(n, probe.record)))];
      probeLists.set(n, list);
      ctx.write(probe.order, indices);
      resetRecord(ctx, probe.record);
      const out = new Float32Array(await runSteps(ctx, {
        label: `gradient of ${n} rows`,
        steps: 1,
        dispatches: () => list,
        after: (enc) => {
          let offset = 0;
          for (const g of grads) {
            enc.copyBufferToBuffer(g, 0, flat, offset, g.size);
            offset += g.size;
          }
          enc.copyBufferToBuffer(probe.record.buffer, probe.record.layout.losses * 4, flat, offset, 4);
        },
      }, { buffer: flat, bytes: (paramCount + 1) * 4 }));
      return { loss: out[paramCount], grad: out.subarray(0, paramCount) };
    },
    async train(order, B, lr) {
      const steps = order.length / B;
      if (!Number.isInteger(steps) || steps > cap.steps || order.length > cap.order) {
        throw new RangeError(`train: ${order.length} indices in batches of ${B}; the backend holds ${cap.steps} steps, ${cap.order} indices`);
      }
      const list = trainLists.get(B) ?? [gather(trainRun.order, trainRun.record, B), ...(await trainStepDispatches(plan(B, trainRun.record), sgd))];
      trainLists.set(B, list);
      ctx.write(trainRun.order, order);
      resetRecord(ctx, trainRun.record);
      sgd.write(ctx, plainSgd(lr));
      for (let s0 = 0; s0 < steps; s0 += STEPS_PER_SUBMIT) {
        submitSteps(ctx, { label: `B=${B} steps ${s0}+`, steps: Math.min(STEPS_PER_SUBMIT, steps - s0), dispatches: () => list });
      }
      return ctx.readF32(trainRun.record.buffer, steps, trainRun.record.layout.losses);
    },
    destroy: () => ctx.destroy(),
  };
}

/** The CPU reference as a backend; its step at lr 0 is a pure gradient evaluation. */
export function createCpuNoiseBackend(train: Split, init: Mlp): NoiseBackend {
  let mlp = cloneMlp(init);
  const opt = createMlpOptimizerState(mlp, plainSgd(0));
  const rowLen = init.sizes[0];
  const step = (indices: Uint32Array, lr: number) =>
    mlpTrainStepCpu(mlp, opt, gatherCpu(train.features, indices, rowLen), Array.from(indices, (i) => train.labels[i]), indices.length, plainSgd(lr));
  return {
    adapter: null,
    setWeights: (w) => void (mlp = cloneMlp(w)),
    weights: async () => cloneMlp(mlp),
    async gradient(indices) {
      const { loss, grads } = step(indices, 0);
      const grad = new Float32Array(grads.reduce((n, g) => n + g.length, 0));
      let offset = 0;
      for (const g of grads) {
        grad.set(g, offset);
        offset += g.length;
      }
      return { loss, grad };
    },
    async train(order, B, lr) {
      return Float32Array.from({ length: order.length / B }, (_, s) => step(order.subarray(s * B, (s + 1) * B), lr).loss);
    },
    destroy: () => {},
  };
}

/** `steps` batches of B from the shuffled stream of epochs firstEpoch, firstEpoch+1, ... (the
 * trainer's epochOrder), each epoch cut to whole batches as with drop_last, so every step sees B
 * distinct images. From epoch 0 at B 32 these are the batches of `npm run train`'s first epoch. */
export function streamOrder(count: number, seed: number, firstEpoch: number, B: number, steps: number): { order: Uint32Array; nextEpoch: number } {
  const perEpoch = Math.floor(count / B);
  if (perEpoch < 1) throw new RangeError(`batch size ${B} is larger than the ${count} training samples`);
  const order = new Uint32Array(steps * B);
  let epoch = firstEpoch;
  for (let done = 0; done < steps; epoch++) {
    const take = Math.min(perEpoch, steps - done);
    order.set(epochOrder(count, seed, epoch, true).subarray(0, take * B), done * B);
    done += take;
  }
  return { order, nextEpoch: epoch };
}

/** B distinct indices of [0, pool.length), uniformly: a partial Fisher–Yates shuffle of `pool`
 * (any permutation of those indices, kept between calls). */
export function drawBatch(pool: Uint32Array, B: number, rng: Rng): Uint32Array {
  for (let i = 0; i < B; i++) {
    const j = i + rng.int(pool.length - i);
    const t = pool[i];
    pool[i] = pool[j];
    pool[j] = t;
  }
  return pool.slice(0, B);
}

/** Random batches for the gradient noise come from streams of their own, one per batch size. */
const NOISE_STREAM = 1 << 20;

export interface NoiseOptions {
  /** The training set the full gradient and every batch are drawn from. */
  trainCount: number;
  batchSizes: number[];
  /** Random batches per batch size for the gradient noise. */
  samples: number;
  /** Training steps from W at each batch size, and of full-batch gradient descent. */
  steps: number;
  fullSteps: number;
  /** Odd width of the centred moving average. */
  window: number;
  /** Steps of the notebook recipe (B 32, lr 0.5) from the starting weights to W. */
  warmupSteps: number;
  lr: number;
  seed: number;
  /** Rows per gradient evaluation when summing the full gradient. */
  chunk: number;
  onProgress?: (line: string) => void;
}

export interface GradientNoiseRow {
  batch: number;
  samples: number;
  /** E||g_B - G||² over the random batches, and its standard error. */
  sqDist: number;
  sqDistSe: number;
  /** B · E||g_B - G||²: constant if the noise variance scales like 1/B. */
  scaled: number;
  /** scaled · (N-1)/(N-B), undoing the shrinkage of sampling without replacement: σ² exactly in
   * expectation (σ² = the trace of one image's gradient covariance). */
  corrected: number;
  /** E||g_B - G||² / ||G||². */
  noiseToSignal: number;
  /** Mean cosine between g_B and G. */
  cosine: number;
  /** The batches' mean losses at W: their mean and sample std. */
  lossMean: number;
  lossStd: number;
}

export interface TrainingRow {
  label: string;
  /** Images per step: B, or the training set for full-batch gradient descent. */
  batch: number;
  meanLoss: number;
  /** Mean loss of the last `window` steps. */
  endLoss: number;
  /** Root mean square of each step's loss minus its centred moving average. */
  residualStd: number;
  losses: number[];
}

export interface NoiseMeasurement {
  device: string;
  sizes: number[];
  trainCount: number;
  seed: number;
  warmupSteps: number;
  lr: number;
  window: number;
  /** Loss and squared norm of the full-batch gradient at W. */
  fullLoss: number;
  fullGradNormSq: number;
  gradientNoise: GradientNoiseRow[];
  training: TrainingRow[];
  seconds: number;
}

/** 6 significant digits: the precision of f32 losses, and a readable JSON. */
const sig = (x: number): number => Number(x.toPrecision(6));

/** G and the loss over the first `count` rows: each chunk's mean gradient weighted by its rows. */
async function fullGradient(backend: NoiseBackend, count: number, chunk: number): Promise<{ loss: number; grad: Float64Array }> {
  let grad: Float64Array | null = null;
  let loss = 0;
  for (let start = 0; start < count; start += chunk) {
    const rows = Math.min(chunk, count - start);
    const g = await backend.gradient(Uint32Array.from({ length: rows }, (_, r) => start + r));
    grad ??= new Float64Array(g.grad.length);
    const w = rows / count;
    for (let i = 0; i < grad.length; i++) grad[i] += w * g.grad[i];
    loss += w * g.loss;
  }
  return { loss, grad: grad! };
}

function finite(label: string, losses: ArrayLike<number>): number[] {
  const all = Array.from(losses);
  if (!all.every(Number.isFinite)) throw new Error(`${label}: the loss became non-finite; try a smaller --lr`);
  return all;
}

function trainingRow(label: string, batch: number, losses: ArrayLike<number>, window: number): TrainingRow {
  const all = finite(label, losses);
  return {
    label,
    batch,
    meanLoss: sig(mean(all)),
    endLoss: sig(mean(all.slice(-window))),
    residualStd: sig(stdAroundMovingAverage(all, window)),
    losses: all.map(sig),
  };
}

/** At the backend's current weights: G over the first `trainCount` rows, then for each batch size
 * `samples` random batches of those rows and how far their gradients fall from G. */
export async function measureGradientNoise(
  backend: NoiseBackend,
  o: Pick<NoiseOptions, 'trainCount' | 'batchSizes' | 'samples' | 'seed' | 'chunk'>,
  log: (line: string) => void,
): Promise<{ full: { loss: number; grad: Float64Array }; normSq: number; rows: GradientNoiseRow[] }> {
  const N = o.trainCount;
  log(`full-batch gradient over ${N} images`);
  const full = await fullGradient(backend, N, o.chunk);
  const G = full.grad;
  const normSq = dot(G, G);
  const rows: GradientNoiseRow[] = [];
  for (const B of o.batchSizes) {
    log(`gradient noise: ${o.samples} batches of ${B}`);
    const rng = deriveRng(o.seed, NOISE_STREAM + B);
    const pool = Uint32Array.from({ length: N }, (_, i) => i);
    const dist: number[] = [], cos: number[] = [], loss: number[] = [];
    for (let k = 0; k < o.samples; k++) {
      const g = await backend.gradient(drawBatch(pool, B, rng));
      dist.push(squaredDistance(g.grad, G));
      cos.push(cosine(g.grad, G));
      loss.push(g.loss);
    }
    const d = meanWithSe(dist);
    rows.push({
      batch: B,
      samples: o.samples,
      sqDist: sig(d.mean),
      sqDistSe: sig(d.se),
      scaled: sig(B * d.mean),
      corrected: sig((B * d.mean * (N - 1)) / (N - B)),
      noiseToSignal: sig(d.mean / normSq),
      cosine: sig(mean(cos)),
      lossMean: sig(mean(loss)),
      lossStd: sig(sampleStd(loss)),
    });
  }
  return { full, normSq, rows };
}

export async function measureNoise(backend: NoiseBackend, o: NoiseOptions): Promise<NoiseMeasurement> {
  const t0 = performance.now();
  const N = o.trainCount;
  const log = (s: string) => o.onProgress?.(`[${((performance.now() - t0) / 1000).toFixed(0)} s] ${s}`);
  const R = NOTEBOOK_RECIPE;
  let firstEpoch = 0;
  if (o.warmupSteps > 0) {
    log(`warm-up: ${o.warmupSteps} steps of B ${R.batchSize}, lr ${R.lr}`);
    const warm = streamOrder(N, o.seed, 0, R.batchSize, o.warmupSteps);
    finite('warm-up', await backend.train(warm.order, R.batchSize, R.lr));
    firstEpoch = warm.nextEpoch;
  }
  const W = await backend.weights();

  const { full, normSq, rows: gradientNoise } = await measureGradientNoise(backend, o, log);

  const training: TrainingRow[] = [];
  for (const B of o.batchSizes) {
    log(`training: ${o.steps} steps of B ${B} from W`);
    backend.setWeights(W);
    const { order } = streamOrder(N, o.seed, firstEpoch, B, o.steps);
    training.push(trainingRow(`B=${B}`, B, await backend.train(order, B, o.lr), o.window));
  }
  log(`training: ${o.fullSteps} steps of full-batch gradient descent from W`);
  const w = cloneMlp(W);
  const params = mlpParamTensors(w);
  const losses: number[] = [];
  let step = full;
  for (let s = 0; s < o.fullSteps; s++) {
    if (s > 0) {
      backend.setWeights(w);
      step = await fullGradient(backend, N, o.chunk);
    }
    losses.push(step.loss);
    let offset = 0;
    for (const p of params) {
      for (let i = 0; i < p.data.length; i++) p.data[i] -= o.lr * step.grad[offset + i];
      offset += p.data.length;
    }
  }
  training.push(trainingRow('full', N, losses, o.window));

  return {
    device: backend.adapter ? describeAdapter(backend.adapter) : 'CPU reference (TypeScript)',
    sizes: [...W.sizes],
    trainCount: N,
    seed: o.seed,
    warmupSteps: o.warmupSteps,
    lr: o.lr,
    window: o.window,
    fullLoss: sig(full.loss),
    fullGradNormSq: sig(normSq),
    gradientNoise,
    training,
    seconds: Math.round((performance.now() - t0) / 1000),
  };
}
