// The CPU reference as a trainer (`--device cpu`): the same epochs, batches and log lines as the
// WebGPU trainer, each step computed by mlpTrainStepCpu. Slow by design; it is the ground truth.
import { augmentSalt } from '../data/augment.ts';
import type { Split } from '../data/dataset.ts';
import { batchIndices } from '../data/batches.ts';
import { gatherCpu } from '../reference/kernels.ts';
import { optimizerSettings, type OptimizerState } from '../model/optimizers.ts';
import { cloneMlp, createMlpOptimizerState, evaluateMlpCpu, mlpParamTensors, mlpTrainStepCpu, type Mlp } from '../reference/mlp.ts';
import type { TrainConfig } from './config.ts';
import { DivergenceError, type ChunkReport, type EpochPlan, type Evaluation, type Trainer } from './trainer.ts';

export class CpuTrainer implements Trainer {
  readonly device = 'cpu';
  readonly adapter = null;
  private readonly mlp: Mlp;
  private readonly opt: OptimizerState;

  constructor(
    private readonly config: TrainConfig,
    /** null: a trainer that only evaluates. */
    private readonly train: Split | null,
    /** null: no evaluation (evaluate() returns null). */
    private readonly test: Split | null,
    init: Mlp,
    /** A checkpoint's optimizer state; default zeros at step 0. */
    optimizer: OptimizerState | null = null,
    /** evaluate() also returns every test sample's output-layer values. */
    private readonly keepOutputs = false,
  ) {
    this.mlp = cloneMlp(init);
    this.opt = createMlpOptimizerState(this.mlp, optimizerSettings(config, config.lr));
    if (optimizer) {
      this.opt.step = optimizer.step;
      optimizer.state?.forEach((s, i) => this.opt.state![i].set(s));
    }
  }

  async runEpoch(plan: EpochPlan, onChunk: (c: ChunkReport) => void | Promise<void>, shouldStop: () => boolean): Promise<boolean> {
    const { config, train } = this;
    if (!train) throw new Error('this trainer was made without a training split');
    const B = config.batchSize;
    const steps = Math.ceil(plan.order.length / B);
    const optimizer = optimizerSettings(config, plan.lr);
    const rowLen = this.mlp.sizes[0];
    const salt = config.augmentShift > 0 ? augmentSalt(config.seed, plan.epoch) : null;
    // validateConfig allows shifts only for images; rows without an image shape fail in the gather.
    const width = train.image?.cols ?? rowLen;
    for (let s0 = plan.startStep ?? 0; s0 < steps; s0 += config.readbackEvery) {
      if (shouldStop()) return false;
      const s1 = Math.min(s0 + config.readbackEvery, steps);
      const backup = cloneMlp(this.mlp);
      let losses = new Float32Array(s1 - s0);
      const correct = new Uint32Array(s1 - s0);
      let samples = 0;
      for (let s = s0; s < s1; s++) {
        const idx = batchIndices(plan.order, s, B);
        const augment = salt === null ? undefined : { shift: config.augmentShift, width, salt, firstPosition: s * B };
        const x = gatherCpu(train.features, idx, rowLen, augment);
        const labels = Array.from(idx, (i) => train.labels[i]);
        const r = mlpTrainStepCpu(this.mlp, this.opt, x, labels, idx.length, optimizer, this.config);
        losses[s - s0] = r.loss;
        correct[s - s0] = r.correct;
        samples += idx.length;
        // Steps after a NaN are wasted: the chunk ends here and the epoch loop stops the run.
        if (!Number.isFinite(r.loss)) {
          losses = losses.subarray(0, s - s0 + 1);
          break;
        }
      }
      try {
        await onChunk({ firstStep: s0, losses, correct: correct.subarray(0, losses.length), samples });
      } catch (e) {
        if (e instanceof DivergenceError) {
          const saved = mlpParamTensors(backup);
          mlpParamTensors(this.mlp).forEach((t, i) => t.data.set(saved[i].data));
        }
        throw e;
      }
      // Yield so a browser tab or a progress bar can repaint between chunks.
      await new Promise((r) => setTimeout(r, 0));
    }
    return true;
  }

  async evaluate(): Promise<Evaluation | null> {
    const { test } = this;
    return test && evaluateMlpCpu(this.mlp, test.features, test.labels, test.count, this.config.batchSize, this.config, this.keepOutputs);
  }

  async weights(): Promise<Mlp> {
    return cloneMlp(this.mlp);
  }

  async optimizerState(): Promise<OptimizerState> {
    return { state: this.opt.state?.map((s) => s.slice()) ?? null, step: this.opt.step };
  }
}
