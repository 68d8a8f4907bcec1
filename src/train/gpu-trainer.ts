// The WebGPU trainer. Each split is uploaded once and every batch gathered on the GPU through the
// epoch's shuffled index buffer (data-feed.ts: where data enters the GPU). Steps are encoded
// `readbackEvery` at a time into one submit; losses and correct counts accumulate on the GPU and
// come back once per submit, which is also when divergence is caught (trainer.ts).
import { augmentSalt } from '../data/augment.ts';
import type { Split } from '../data/dataset.ts';
import { feedDispatch, uploadSplit } from './data-feed.ts';
import type { GpuContext } from '../gpu/context.ts';
import type { Dispatch } from '../gpu/dispatch.ts';
import { runSteps } from '../gpu/runner.ts';
import { KernelChooser } from '../gpu/kernel-choice.ts';
import { createRunRecord, readRecord, resetRecord, type RunRecord } from '../gpu/kernels/metrics.ts';
import { OptimizerParams } from '../gpu/kernels/optimizer.ts';
import { optimizerSettings, stateFloats, type OptimizerState } from '../model/optimizers.ts';
import { cloneMlp, type Mlp } from '../reference/mlp.ts';
import type { TrainConfig } from './config.ts';
import { createGpuModel, downloadOptimizerState, downloadParams, paramBuffers, uploadOptimizerState, uploadParams, type GpuModel } from './gpu-model.ts';
import { evalStepDispatches, trainStepDispatches, type StepPlan } from './step.ts';
import { elementCount } from '../model/spec.ts';
import { DivergenceError, type ChunkReport, type EpochPlan, type Evaluation, type Trainer } from './trainer.ts';

export interface GpuTrainerOptions {
  config: TrainConfig;
  /** null: a trainer that only evaluates. */
  train: Split | null;
  /** null: no evaluation (evaluate() returns null). */
  test: Split | null;
  /** Starting weights (from initMlp or a loaded file); copied to the GPU. */
  init: Mlp;
  /** The kernel variants (default: a chooser for this context, per-shape trials). */
  kernels?: KernelChooser;
  /** A checkpoint's optimizer state; default zeros at step 0. */
  optimizer?: OptimizerState | null;
  /** evaluate() also returns every test sample's output-layer values (count, classes). */
  keepOutputs?: boolean;
}

interface SplitOnGpu {
  split: Split;
  order: GPUBuffer;
  record: RunRecord;
  /** Dispatches of a full batch and, when the split does not divide evenly, of the last one. */
  full: Dispatch[];
  tail: Dispatch[] | null;
  steps: number;
  /** (count, classes) f32: every sample's output-layer values, when kept. */
  outputs: GPUBuffer | null;
}

export class GpuTrainer implements Trainer {
  readonly device = 'gpu';
  private readonly backups: GPUBuffer[];
  /** One read-back interval's losses then correct counts, gathered so one map returns both. */
  private readonly chunkStats: GPUBuffer | null;
  /** Optimizer steps taken (torch's `step`): the host's count of what the GPU's t counts. */
  private step: number;

  private constructor(
    private readonly ctx: GpuContext,
    private readonly config: TrainConfig,
    readonly kernels: KernelChooser,
    private readonly model: GpuModel,
    private readonly optimizer: OptimizerParams,
    private readonly trainSet: SplitOnGpu | null,
    private readonly testSet: SplitOnGpu | null,
    private readonly shape: Mlp,
    step: number,
  ) {
    this.step = step;
    this.backups = trainSet ? paramBuffers(model).map((b) => ctx.storage(`${b.label} backup`, b.size)) : [];
    this.chunkStats = trainSet && ctx.storage('read-back stats', 2 * config.readbackEvery * 4);
    // An evaluation reads its record's losses, correct counts and predictions at once, then its
    // outputs when kept.
    const test = testSet ? Math.max(2 * testSet.steps + testSet.split.count, testSet.outputs ? testSet.outputs.size / 4 : 0) : 0;
    ctx.reserveReadback(Math.max(2 * config.readbackEvery, test) * 4);
  }

  get adapter() {
    return this.ctx.adapter;
  }

  static async create(ctx: GpuContext, opts: GpuTrainerOptions): Promise<GpuTrainer> {
    const { config, train, test, init } = opts;
    const B = config.batchSize;
    const kernels = opts.kernels ?? (await KernelChooser.create(ctx));
    const settings = optimizerSettings(config, config.lr);
    const model = createGpuModel(ctx, init, { maxBatch: B, stateFloats: stateFloats(settings), storedGradients: !kernels.fuse,
      spec: config });
    if (opts.optimizer?.state) uploadOptimizerState(ctx, model, opts.optimizer.state);
    const optimizer = OptimizerParams.create(ctx, settings);
    const rowLen = init.sizes[0];
    const classes = init.sizes[init.sizes.length - 1];
    const upload = async (split: Split, name: string, train: boolean): Promise<SplitOnGpu> => {
      const data = uploadSplit(ctx, name, split, rowLen);
      const order = ctx.storage(`${name} order`, Uint32Array.from({ length: split.count }, (_, i) => i));
      const steps = Math.ceil(split.count / B);
      const record = createRunRecord(ctx, name, steps, train ? 0 : split.count);
      const keepOutputs = !train && !!opts.keepOutputs;
      const plan = async (rows: number): Promise<Dispatch[]> => {
        const step: StepPlan = { ctx, model, kernels, rows, record, keepOutputs };
        return [
          // Only training batches are augmented; the test set is evaluated as it is. validateConfig
          // allows shifts only for images; gather_f32 refuses them.
          feedDispatch(ctx, data, model, { order, record, rows, batchStride: B,
            ...(train ? { augment: { shift: config.augmentShift, width: split.image?.cols ?? rowLen } } : {}) }),
          ...(train ? await trainStepDispatches(step, optimizer) : await evalStepDispatches(step, B)),
        ];
      };
      const rest = split.count % B;
      const outputs = keepOutputs ? ctx.storage(`${name} outputs`, split.count * classes * 4) : null;
      return { split, order, record, full: await plan(B), tail: rest ? await plan(rest) : null, steps, outputs };
    };
    const trainSet = train && (await upload(train, 'train', true));
    const testSet = test && (await upload(test, 'test', false));
    return new GpuTrainer(ctx, config, kernels, model, optimizer, trainSet, testSet, cloneMlp(init), opts.optimizer?.step ?? 0);
  }

  async runEpoch(plan: EpochPlan, onChunk: (c: ChunkReport) => void | Promise<void>, shouldStop: () => boolean): Promise<boolean> {
    const { ctx, trainSet: set, config, chunkStats } = this;
    if (!set || !chunkStats) throw new Error('this trainer was made without a training split');
    const B = config.batchSize;
    const { layout } = set.record;
    ctx.write(set.order, plan.order);
    // The step counter places each step's loss and draws its augmentation: a resumed epoch starts it
    // where the checkpoint stopped.
    const first = plan.startStep ?? 0;
    resetRecord(ctx, set.record, first, augmentSalt(config.seed, plan.epoch));
    // The kernels count t = stepBase + the record's counter (already past the step's slot), so
    // that t is right in every submit of the epoch without a write per step; every epoch has
    // set.steps steps.
    const stepBase = plan.epoch * set.steps;
    this.optimizer.write(ctx, optimizerSettings(config, plan.lr), stepBase);
    const params = paramBuffers(this.model);
    for (let s0 = first; s0 < set.steps; s0 += config.readbackEvery) {
      if (shouldStop()) return false;
      const n = Math.min(config.readbackEvery, set.steps - s0);
      const stats = await runSteps(ctx, {
        label: `epoch ${plan.epoch} steps ${s0}-${s0 + n}`,
        steps: n,
        dispatches: (i) => (s0 + i === set.steps - 1 && set.tail ? set.tail : set.full),
        // The parameters as they stand were read back as finite: keep them in case this chunk is not.
        before: (enc) => params.forEach((p, i) => enc.copyBufferToBuffer(p, 0, this.backups[i], 0, p.size)),
        after: (enc) => {
          enc.copyBufferToBuffer(set.record.buffer, (layout.losses + s0) * 4, chunkStats, 0, n * 4);
          enc.copyBufferToBuffer(set.record.buffer, (layout.correct + s0) * 4, chunkStats, n * 4, n * 4);
        },
      }, { buffer: chunkStats, bytes: 2 * n * 4 });
      this.step = stepBase + s0 + n;
      const { losses, correct } = readRecord(stats, 0, n);
      const samples = Math.min((s0 + n) * B, set.split.count) - s0 * B;
      try {
        await onChunk({ firstStep: s0, losses, correct, samples });
      } catch (e) {
        // The shared loop judged the interval diverged: back to the parameters it started from.
        if (e instanceof DivergenceError) {
          await runSteps(ctx, {
            label: 'restore the last good parameters',
            steps: 0,
            dispatches: () => [],
            before: (enc) => params.forEach((p, i) => enc.copyBufferToBuffer(this.backups[i], 0, p, 0, p.size)),
          });
        }
        throw e;
      }
    }
    return true;
  }

  async evaluate(): Promise<Evaluation | null> {
    const { ctx, testSet: set, config } = this;
    if (!set) return null;
    const B = config.batchSize;
    const count = set.split.count;
    const { outputs } = set;
    const out = this.model.layers[this.model.layers.length - 1];
    const classes = elementCount(out.layer.outShape);
    resetRecord(ctx, set.record);
    // Batch losses, correct counts and every prediction, adjacent in the record: one read-back.
    const words = await runSteps(ctx, {
      label: 'evaluation',
      steps: set.steps,
      dispatches: (s) => (s === set.steps - 1 && set.tail ? set.tail : set.full),
      // Each batch's outputs, left in the output layer's buffer, to their rows of the whole set.
      ...(outputs ? {
        afterStep: (enc: GPUCommandEncoder, s: number) =>
          enc.copyBufferToBuffer(out.act, 0, outputs, s * B * classes * 4, Math.min(B, count - s * B) * classes * 4),
      } : {}),
    }, { buffer: set.record.buffer, offset: set.record.layout.losses * 4, bytes: (2 * set.steps + count) * 4 });
    const { losses: batchMeans, correct: correctPerBatch } = readRecord(words, 0, set.steps);
    const predicted = new Uint32Array(words, 2 * set.steps * 4, count);
    let meanSum = 0;
    let rowLossSum = 0;
    let correct = 0;
    for (let s = 0; s < set.steps; s++) {
      const rows = Math.min(B, count - s * B);
      meanSum += batchMeans[s];
      rowLossSum += batchMeans[s] * rows;
      correct += correctPerBatch[s];
    }
    return {
      testLoss: meanSum / count,
      meanLoss: rowLossSum / count,
      accuracy: (correct / count) * 100,
      correct,
      count,
      predictions: Uint8Array.from(predicted),
      ...(outputs ? { outputs: await ctx.readF32(outputs, count * classes) } : {}),
    };
  }

  weights(): Promise<Mlp> {
    return downloadParams(this.ctx, this.model, cloneMlp(this.shape));
  }

  async optimizerState(): Promise<OptimizerState> {
    return { state: await downloadOptimizerState(this.ctx, this.model), step: this.step };
  }

  /** Overwrites the parameters and the optimizer's state (the step count stays): the next step
   * starts from them. Called between chunks, e.g. from `runEpoch`'s onChunk. */
  setState(weights: Mlp, optimizer: Float32Array[] | null): void {
    uploadParams(this.ctx, this.model, weights);
    if (optimizer) uploadOptimizerState(this.ctx, this.model, optimizer);
  }
}
