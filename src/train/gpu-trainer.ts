// The WebGPU trainer of the MNIST MLP. Data enters the GPU here: each split is uploaded once as
// bytes (47 MB for the training images) and every batch is gathered on the GPU through the
// epoch's shuffled index buffer, so a step costs no CPU work and no transfer. Steps are encoded
// `readbackEvery` at a time into one submit; losses and correct counts accumulate on the GPU and
// come back once per submit, which is also when divergence is caught (trainer.ts).
import { augmentSalt } from '../data/augment.ts';
import type { MnistSplit } from '../data/mnist.ts';
import type { GpuContext } from '../gpu/context.ts';
import { encodeDispatches, type Dispatch } from '../gpu/dispatch.ts';
import { gatherDispatch, uploadU8 } from '../gpu/kernels/gather.ts';
import type { MatmulVariant } from '../gpu/kernels/matmul.ts';
import { createSgdHyper, writeSgdHyper } from '../gpu/kernels/sgd.ts';
import { cloneMlp, type Mlp } from '../reference/mlp.ts';
import type { TrainConfig } from './config.ts';
import { createGpuModel, downloadParams, downloadVelocities, paramBuffers, uploadVelocities, type GpuModel } from './gpu-model.ts';
import { chooseKernels, evalStepDispatches, trainStepDispatches, type KernelChoice, type Metrics } from './step.ts';
import { DivergenceError, type ChunkReport, type EpochPlan, type Evaluation, type Trainer } from './trainer.ts';

export interface GpuTrainerOptions {
  config: TrainConfig;
  train: MnistSplit;
  test: MnistSplit;
  /** Starting weights (from initMlp or a loaded file); copied to the GPU. */
  init: Mlp;
  /** Starting momentum velocities (a checkpoint's), state_dict order; default zeros. */
  velocities?: Float32Array[] | null;
  /** Force a matmul variant instead of the timed per-adapter trial. */
  matmul?: MatmulVariant;
  /** false: one kernel per operation, as the CPU reference (see KernelChoice.fuse). */
  fuse?: boolean;
}

interface SplitOnGpu {
  split: MnistSplit;
  images: GPUBuffer;
  labels: GPUBuffer;
  order: GPUBuffer;
  metrics: Metrics;
  /** Dispatches of a full batch and, when the split does not divide evenly, of the last one. */
  full: Dispatch[];
  tail: Dispatch[] | null;
  steps: number;
}

export class GpuTrainer implements Trainer {
  readonly device = 'gpu';
  private readonly backups: GPUBuffer[];
  /** One read-back interval's losses then correct counts, gathered so one map returns both. */
  private readonly chunkStats: GPUBuffer;

  private constructor(
    private readonly ctx: GpuContext,
    private readonly config: TrainConfig,
    readonly kernels: KernelChoice,
    private readonly model: GpuModel,
    private readonly hyper: GPUBuffer,
    private readonly trainSet: SplitOnGpu,
    private readonly testSet: SplitOnGpu,
    private readonly predictions: GPUBuffer,
    private readonly shape: Mlp,
  ) {
    this.backups = paramBuffers(model).map((b) => ctx.storage(`${b.label} backup`, b.size));
    this.chunkStats = ctx.storage('chunk losses and correct counts', 2 * config.readbackEvery * 4);
  }

  get adapter() {
    return this.ctx.adapter;
  }

  static async create(ctx: GpuContext, opts: GpuTrainerOptions): Promise<GpuTrainer> {
    const { config, train, test, init } = opts;
    const B = config.batchSize;
    const kernels = await chooseKernels(ctx, opts.matmul, opts.fuse ?? true);
    const model = createGpuModel(ctx, init, B, config.momentum > 0);
    if (opts.velocities) uploadVelocities(ctx, model, opts.velocities);
    const hyper = createSgdHyper(ctx, sgdOptions(config, config.lr));
    const rowLen = init.sizes[0];
    const upload = (split: MnistSplit, name: string, train: boolean): SplitOnGpu => {
      const images = uploadU8(ctx, `${name} images`, split.images.subarray(0, split.count * rowLen));
      const labels = uploadU8(ctx, `${name} labels`, split.labels.subarray(0, split.count));
      const order = ctx.storage(`${name} order`, Uint32Array.from({ length: split.count }, (_, i) => i));
      const steps = Math.ceil(split.count / B);
      const metrics: Metrics = {
        // The step, then the epoch's augmentation salt (read by the gather when it shifts).
        counter: ctx.storage(`${name} step counter`, 8),
        lossHistory: ctx.storage(`${name} loss history`, steps * 4),
        correctHistory: ctx.storage(`${name} correct history`, steps * 4),
      };
      const plan = (rows: number): Dispatch[] => [
        gatherDispatch(ctx, { images, labels, order, counter: metrics.counter, x: model.input, y: model.labels },
          // Only training batches are augmented; the test set is evaluated as it is.
          { rows, batchStride: B, rowLen, ...(train ? { shift: config.augmentShift, width: split.cols } : {}) }),
        ...(train
          ? trainStepDispatches(ctx, model, kernels, rows, 'nll', metrics, hyper)
          : evalStepDispatches(ctx, model, kernels, rows, 'nll', metrics)),
      ];
      const rest = split.count % B;
      return { split, images, labels, order, metrics, full: plan(B), tail: rest ? plan(rest) : null, steps };
    };
    const trainSet = upload(train, 'train', true);
    const testSet = upload(test, 'test', false);
    const predictions = ctx.storage('test predictions', test.count * 4);
    return new GpuTrainer(ctx, config, kernels, model, hyper, trainSet, testSet, predictions, cloneMlp(init));
  }

  async runEpoch(plan: EpochPlan, onChunk: (c: ChunkReport) => void | Promise<void>, shouldStop: () => boolean): Promise<boolean> {
    const { ctx, trainSet: set, config } = this;
    const B = config.batchSize;
    ctx.write(set.order, plan.order);
    // The step counter places each step's loss and draws its augmentation: a resumed epoch starts it
    // where the checkpoint stopped.
    ctx.write(set.metrics.counter, new Uint32Array([plan.startStep ?? 0, augmentSalt(config.seed, plan.epoch)]));
    writeSgdHyper(ctx, this.hyper, sgdOptions(config, plan.lr));
    const params = paramBuffers(this.model);
    for (let s0 = plan.startStep ?? 0; s0 < set.steps; s0 += config.readbackEvery) {
      if (shouldStop()) return false;
      const s1 = Math.min(s0 + config.readbackEvery, set.steps);
      const enc = ctx.device.createCommandEncoder({ label: `epoch ${plan.epoch} steps ${s0}-${s1}` });
      // The parameters as they stand were read back as finite: keep them in case this chunk is not.
      params.forEach((p, i) => enc.copyBufferToBuffer(p, 0, this.backups[i], 0, p.size));
      const pass = enc.beginComputePass();
      for (let s = s0; s < s1; s++) encodeDispatches(pass, s === set.steps - 1 && set.tail ? set.tail : set.full);
      pass.end();
      const n = s1 - s0;
      enc.copyBufferToBuffer(set.metrics.lossHistory, s0 * 4, this.chunkStats, 0, n * 4);
      enc.copyBufferToBuffer(set.metrics.correctHistory, s0 * 4, this.chunkStats, n * 4, n * 4);
      ctx.device.queue.submit([enc.finish()]);
      const stats = await ctx.read(this.chunkStats, 2 * n * 4);
      const losses = new Float32Array(stats, 0, n);
      const correct = new Uint32Array(stats, n * 4, n);
      const samples = Math.min(s1 * B, set.split.count) - s0 * B;
      try {
        await onChunk({ firstStep: s0, losses, correct, samples });
      } catch (e) {
        if (e instanceof DivergenceError) {
          const restore = ctx.device.createCommandEncoder();
          params.forEach((p, i) => restore.copyBufferToBuffer(this.backups[i], 0, p, 0, p.size));
          ctx.device.queue.submit([restore.finish()]);
          await ctx.sync();
        }
        throw e;
      }
    }
    return true;
  }

  async evaluate(): Promise<Evaluation> {
    const { ctx, testSet: set, config } = this;
    const B = config.batchSize;
    ctx.write(set.metrics.counter, new Uint32Array([0]));
    const enc = ctx.device.createCommandEncoder({ label: 'evaluation' });
    for (let s = 0; s < set.steps; s++) {
      const last = s === set.steps - 1 && set.tail;
      const pass = enc.beginComputePass();
      encodeDispatches(pass, last ? set.tail! : set.full);
      pass.end();
      const rows = last ? set.split.count % B : B;
      enc.copyBufferToBuffer(this.model.argmax, 0, this.predictions, s * B * 4, rows * 4);
    }
    ctx.device.queue.submit([enc.finish()]);
    const batchMeans = await ctx.readF32(set.metrics.lossHistory, set.steps);
    const correctPerBatch = await ctx.readU32(set.metrics.correctHistory, set.steps);
    const predicted = await ctx.readU32(this.predictions, set.split.count);
    let meanSum = 0;
    let rowLossSum = 0;
    let correct = 0;
    for (let s = 0; s < set.steps; s++) {
      const rows = Math.min(B, set.split.count - s * B);
      meanSum += batchMeans[s];
      rowLossSum += batchMeans[s] * rows;
      correct += correctPerBatch[s];
    }
    const count = set.split.count;
    return {
      testLoss: meanSum / count,
      meanLoss: rowLossSum / count,
      accuracy: (correct / count) * 100,
      correct,
      count,
      predictions: Uint8Array.from(predicted),
    };
  }

  weights(): Promise<Mlp> {
    return downloadParams(this.ctx, this.model, cloneMlp(this.shape));
  }

  optimizerState(): Promise<Float32Array[] | null> {
    return downloadVelocities(this.ctx, this.model);
  }

}

function sgdOptions(c: TrainConfig, lr: number) {
  return { lr, momentum: c.momentum, weightDecay: c.weightDecay, nesterov: c.nesterov };
}
