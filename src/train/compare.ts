// GPU vs CPU reference, step by step, from the same weights and the same batches: the check a
// user runs to trust the GPU numbers (`npm run compare`, the dashboard's check button).
import { batchIndices, epochOrder, limitSplit } from '../data/batches.ts';
import { mlpSizesFor, type Split } from '../data/dataset.ts';
import type { GpuContext } from '../gpu/context.ts';
import type { MatmulVariant } from '../gpu/kernels/matmul.ts';
import { gatherCpu } from '../reference/kernels.ts';
import { optimizerSettings } from '../model/optimizers.ts';
import { cloneMlp, createMlpOptimizerState, initMlp, mlpParamTensors, mlpTrainStepCpu } from '../reference/mlp.ts';
import { compareArrays, type Tolerance } from '../reference/tolerance.ts';
import { validateConfig, type TrainConfig } from './config.ts';
import { KernelChooser } from '../gpu/kernel-choice.ts';
import { GpuTrainer } from './gpu-trainer.ts';

/** What "agree" means for N steps of training. Losses: f32 GPU sums vs float64 ones differ
 * by ~1e-6 relative per step; parameters: each step adds lr * (gradient error ~1e-7), and the
 * two runs drift apart slowly, so 200 steps stay within 1e-4. */
export const PARITY_TOLERANCE = { lossRtol: 1e-4, param: { atol: 1e-4, rtol: 0 } as Tolerance };

export interface StepComparison {
  step: number;
  gpuLoss: number;
  cpuLoss: number;
  /** |gpu - cpu| / |cpu| of the loss. */
  lossRelDiff: number;
  /** max |gpu - cpu| of every parameter tensor after the step, by name. */
  maxAbs: Record<string, number>;
  ok: boolean;
}

export interface CompareOptions {
  config: Partial<TrainConfig>;
  train: Split;
  test: Split;
  /** The data's class names (their count sizes the output layer), when it has them. */
  classNames?: string[] | null;
  steps: number;
  matmul?: MatmulVariant;
  fuse?: boolean;
}

export async function compareGpuWithCpu(
  ctx: GpuContext,
  opts: CompareOptions,
  onStep: (c: StepComparison) => void,
): Promise<StepComparison[]> {
  const base = validateConfig(opts.config);
  const B = base.batchSize;
  const need = opts.steps * B;
  if (need > opts.train.count) {
    throw new RangeError(`--steps ${opts.steps} at batch ${B} needs ${need} training images, only ${opts.train.count} available`);
  }
  // One epoch of exactly `steps` batches, one read-back per step.
  const config: TrainConfig = { ...base, epochs: 1, limitTrain: need, readbackEvery: 1 };
  const train = limitSplit(opts.train, need);
  const test = limitSplit(opts.test, Math.min(B, opts.test.count));
  const sizes = mlpSizesFor(opts, config.hidden);
  const init = initMlp(sizes, config.seed);
  const kernels = await KernelChooser.create(ctx, { force: opts.matmul, fuse: opts.fuse });
  const gpu = await GpuTrainer.create(ctx, { config, train, test, init, kernels });
  const cpu = cloneMlp(init);
  const optimizer = optimizerSettings(config, config.lr);
  const opt = createMlpOptimizerState(cpu, optimizer);
  const order = epochOrder(train.count, config.seed, 0, config.shuffle);
  const results: StepComparison[] = [];
  await gpu.runEpoch({ epoch: 0, order, lr: config.lr }, async (chunk) => {
    const step = chunk.firstStep;
    const idx = batchIndices(order, step, B);
    const labels = Array.from(idx, (i) => train.labels[i]);
    const cpuLoss = mlpTrainStepCpu(cpu, opt, gatherCpu(train.features, idx, sizes[0]), labels, idx.length, optimizer, config).loss;
    const gpuLoss = chunk.losses[0];
    const gpuTensors = mlpParamTensors(await gpu.weights());
    const maxAbs: Record<string, number> = {};
    let ok = Math.abs(gpuLoss - cpuLoss) <= PARITY_TOLERANCE.lossRtol * Math.abs(cpuLoss);
    mlpParamTensors(cpu).forEach((t, i) => {
      const c = compareArrays(gpuTensors[i].data, t.data, PARITY_TOLERANCE.param);
      maxAbs[t.name] = c.maxAbs;
      ok &&= c.ok;
    });
    const r = { step, gpuLoss, cpuLoss, lossRelDiff: Math.abs(gpuLoss - cpuLoss) / Math.abs(cpuLoss), maxAbs, ok };
    results.push(r);
    onStep(r);
  }, () => false);
  return results;
}
