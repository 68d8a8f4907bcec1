// GPU vs CPU reference, step by step, from the same weights and the same batches: the check a
// user runs to trust the GPU numbers (`npm run compare`, the dashboard's check button).
import { augmentSalt } from '../data/augment.ts';
import { batchIndices, epochOrder, limitSplit } from '../data/batches.ts';
import type { Split } from '../data/dataset.ts';
import type { GpuContext } from '../gpu/context.ts';
import type { MatmulVariant } from '../gpu/kernels/matmul.ts';
import { gatherCpu } from '../reference/kernels.ts';
import { optimizerSettings } from '../model/optimizers.ts';
import { cloneMlp, createMlpOptimizerState, initNetwork, mlpParamTensors, mlpTrainStepCpu, networkFor, type Mlp } from '../reference/mlp.ts';
import { compareArrays, TOLERANCES } from '../reference/tolerance.ts';
import { validateConfig, type TrainConfig } from './config.ts';
import { KernelChooser } from '../gpu/kernel-choice.ts';
import { CpuTrainer } from './cpu-trainer.ts';
import { GpuTrainer } from './gpu-trainer.ts';


/** One step of the GPU trainer and of the CPU reference trainer from the same weights on the
 * whole of `train` (one batch: its count is config.batchSize), shuffled as epoch 0 shuffles: both
 * losses and every parameter tensor after the step, for a caller to hold to stepLoss and
 * stepParams (the bench's validation, the whole-step tests). */
export async function oneStepBothWays(ctx: GpuContext, config: TrainConfig, train: Split, init: Mlp, kernels: KernelChooser) {
  const order = epochOrder(train.count, config.seed, 0, true);
  const gpu = await GpuTrainer.create(ctx, { config, train, test: train, init, kernels });
  const cpu = new CpuTrainer(config, train, train, init);
  const losses: number[] = [];
  for (const t of [gpu, cpu]) {
    await t.runEpoch({ epoch: 0, order, lr: config.lr }, (chunk) => void losses.push(chunk.losses[0]), () => false);
  }
  return { gpuLoss: losses[0], cpuLoss: losses[1], gpu: mlpParamTensors(await gpu.weights()), cpu: mlpParamTensors(await cpu.weights()) };
}

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
  /** Start each GPU step from the CPU's parameters and optimizer state, so that a step's
   * difference is its own rather than carried along the run (default: for Adam and AdamW, whose
   * normalised steps amplify float32 rounding along a run; see resyncByDefault). */
  resync?: boolean;
}

/** Whether compare starts each step from the CPU's state when not told: under Adam and AdamW a
 * gradient entry near zero (a ReLU unit at 0, terms that cancel) rounds differently in float32 and
 * float64, and the normalised step turns that into a difference of up to lr, which the run then
 * carries and grows; SGD's steps scale with the gradient and keep the two runs together. */
export const resyncByDefault = (c: Pick<TrainConfig, 'optimizer'>): boolean => c.optimizer !== 'sgd';

export async function compareGpuWithCpu(
  ctx: GpuContext,
  opts: CompareOptions,
  onStep: (c: StepComparison) => void,
): Promise<StepComparison[]> {
  const base = validateConfig(opts.config);
  const B = base.batchSize;
  const need = opts.steps * B;
  if (need > opts.train.count) {
    throw new RangeError(`--steps ${opts.steps} at batch ${B} needs ${need} training samples, only ${opts.train.count} available`);
  }
  // One epoch of exactly `steps` batches, one read-back per step.
  const config: TrainConfig = { ...base, epochs: 1, limitTrain: need, readbackEvery: 1 };
  const train = limitSplit(opts.train, need);
  const test = limitSplit(opts.test, Math.min(B, opts.test.count));
  const init = initNetwork(networkFor(opts, config), config.seed);
  const kernels = await KernelChooser.create(ctx, { force: opts.matmul, fuse: opts.fuse });
  const gpu = await GpuTrainer.create(ctx, { config, train, test, init, kernels });
  const cpu = cloneMlp(init);
  const optimizer = optimizerSettings(config, config.lr);
  const opt = createMlpOptimizerState(cpu, optimizer);
  const order = epochOrder(train.count, config.seed, 0, config.shuffle);
  const resync = opts.resync ?? resyncByDefault(config);
  const results: StepComparison[] = [];
  await gpu.runEpoch({ epoch: 0, order, lr: config.lr }, async (chunk) => {
    const step = chunk.firstStep;
    const idx = batchIndices(order, step, B);
    const labels = Array.from(idx, (i) => train.labels[i]);
    // The GPU's shifts of epoch 0, as the CPU trainer draws them.
    const augment = config.augmentShift > 0 ? { shift: config.augmentShift, width: train.image?.cols ?? init.sizes[0], salt: augmentSalt(config.seed, 0), firstPosition: step * B } : undefined;
    const cpuLoss = mlpTrainStepCpu(cpu, opt, gatherCpu(train.features, idx, init.sizes[0], augment), labels, idx.length, optimizer, config).loss;
    const gpuLoss = chunk.losses[0];
    const gpuTensors = mlpParamTensors(await gpu.weights());
    const maxAbs: Record<string, number> = {};
    let ok = compareArrays([gpuLoss], [cpuLoss], TOLERANCES.trainingLoss).ok;
    mlpParamTensors(cpu).forEach((t, i) => {
      const c = compareArrays(gpuTensors[i].data, t.data, TOLERANCES.trainingParams);
      maxAbs[t.name] = c.maxAbs;
      ok &&= c.ok;
    });
    const r = { step, gpuLoss, cpuLoss, lossRelDiff: Math.abs(gpuLoss - cpuLoss) / Math.abs(cpuLoss), maxAbs, ok };
    results.push(r);
    onStep(r);
    if (resync) gpu.setState(cpu, opt.state);
  }, () => false);
  return results;
}
