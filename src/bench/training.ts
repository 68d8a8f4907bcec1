// Section 3: the training step. Validated first (one step from identical weights against the CPU
// reference, every parameter tensor), then timed three ways:
//   - the trainer itself (GpuTrainer.runEpoch over a synthetic split: readbackEvery steps per
//     submit, parameter backups, loss read-backs): the step time a user gets;
//   - the step's dispatch list encoded many times in one pass, nothing else (pipelined);
//   - each dispatch alone, repeated (standalone), and, where the adapter offers timestamp
//     queries, each dispatch inside the step (one pass per dispatch).
// Synthetic images (80% zeros like MNIST): the arithmetic does not depend on the pixel values.
// The CNN preset's step is validated the same way and timed in the trainer's loop alone
// (benchCnnTraining): samples/s and its dispatches per step.
import { epochOrder } from '../data/batches.ts';
import { syntheticSplit } from '../data/synthetic.ts';
import type { GpuContext } from '../gpu/context.ts';
import { encodeDispatches, type Dispatch } from '../gpu/dispatch.ts';
import { feedDispatch, uploadSplit } from '../train/data-feed.ts';
import type { KernelChooser } from '../gpu/kernel-choice.ts';
import { createRunRecord, resetRecord } from '../gpu/kernels/metrics.ts';
import { OptimizerParams } from '../gpu/kernels/optimizer.ts';
import { plainSgd } from '../model/optimizers.ts';
import { formatModel } from '../model/spec.ts';
import { initMlp, MNIST_MLP_SIZES } from '../reference/mlp.ts';
import { TOLERANCES } from '../reference/tolerance.ts';
import { validateConfig } from '../train/config.ts';
import { oneStepBothWays } from '../train/compare.ts';
import { createGpuModel } from '../train/gpu-model.ts';
import { GpuTrainer } from '../train/gpu-trainer.ts';
import { trainStepDispatches } from '../train/step.ts';
import { cpuReferenceStep } from './cpu.ts';
import { median, medianRatio, timeInterleaved, type Timing, type TimingBudget } from './timing.ts';
import { runDispatches } from '../gpu/runner.ts';
import type { CnnStepRow, CpuRow, KernelShare, TrainingRow } from './types.ts';
import { BENCH_NETWORKS, describeBenchNetwork, stepConfig, type BenchNetwork } from './networks.ts';
import type { Validator } from './validate.ts';

/** The notebook recipe's data: an epoch is 60,000 training images and a 10,000-image test pass. */
export const RECIPE_TRAIN = 60000;
export const RECIPE_TEST = 10000;
const LR = 0.5;

/** Steps per read-back: the recipe's 50 at batch 32, and the same 1,600 samples per read-back at
 * larger batches (at least 2 steps). */
export const readbackEveryFor = (B: number): number => Math.max(2, Math.min(50, Math.round(1600 / B)));

/** One step of the GPU trainer against the CPU trainer from the same weights and batch. */
async function validateStep(ctx: GpuContext, B: number, kernels: KernelChooser, v: Validator, net: BenchNetwork = BENCH_NETWORKS.mlp): Promise<boolean> {
  const step = await oneStepBothWays(ctx, stepConfig(net, B, 1), syntheticSplit(B, 3 + B), net.init(5), kernels);
  // The MLP's check names stay as they were; the CNN's say which network they check.
  const what = `training step${net.name === 'mlp' ? '' : ` ${net.name}`} B=${B}`;
  let ok = v.check(`${what} loss`, [step.gpuLoss], [step.cpuLoss], TOLERANCES.stepLoss);
  for (const [i, t] of step.gpu.entries()) {
    ok = v.check(`${what} ${t.name}`, t.data, step.cpu[i].data, TOLERANCES.stepParams) && ok;
  }
  return ok;
}

/** A model and the trainer's step list (gather + trainStepDispatches) for standalone timings,
 * with a step counter that the timing runs reset, and room for `maxSteps` steps per submit. */
async function standaloneStep(ctx: GpuContext, B: number, kernels: KernelChooser, maxSteps: number, net: BenchNetwork = BENCH_NETWORKS.mlp) {
  const pool = 4 * B;
  const data = syntheticSplit(pool, 17);
  const model = createGpuModel(ctx, net.init(1), { maxBatch: B, stateFloats: 0, storedGradients: !kernels.fuse, spec: net.spec });
  const record = createRunRecord(ctx, 'bench', maxSteps + 1);
  const resident = uploadSplit(ctx, 'bench', data, 784);
  const order = ctx.storage('bench order', Uint32Array.from({ length: (maxSteps + 1) * B }, (_, i) => i % pool));
  // lr 0: the same arithmetic as any rate, but repeating the step on its few batches hundreds of
  // times does not drive the weights into saturation (sigmoid) or subnormal ranges, which real
  // training, one step per batch, does not reach this way.
  const sgd = OptimizerParams.create(ctx, plainSgd(0));
  const list: Dispatch[] = [
    feedDispatch(ctx, resident, model, { order, record, rows: B, batchStride: B }),
    ...(await trainStepDispatches({ ctx, model, kernels, rows: B, record }, sgd)),
  ];
  const reset = () => resetRecord(ctx, record);
  return { list, reset };
}

/** Median GPU time of each dispatch inside the step, from timestamp queries written at the start
 * and end of a pass per dispatch; null where the adapter offers none. */
async function timestampSplit(ctx: GpuContext, list: readonly Dispatch[], reset: () => void, repeats: number): Promise<number[] | null> {
  if (!ctx.device.features.has('timestamp-query')) return null;
  const n = list.length;
  const querySet = ctx.device.createQuerySet({ type: 'timestamp', count: 2 * n });
  const resolved = ctx.createBuffer('bench timestamps', 16 * n, GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC);
  const samples: number[][] = list.map(() => []);
  try {
    for (let r = 0; r < repeats + 1; r++) {
      reset();
      const enc = ctx.device.createCommandEncoder();
      list.forEach((d, i) => {
        const pass = enc.beginComputePass({
          timestampWrites: { querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 },
        });
        encodeDispatches(pass, [d]);
        pass.end();
      });
      enc.resolveQuerySet(querySet, 0, 2 * n, resolved, 0);
      ctx.device.queue.submit([enc.finish()]);
      const ticks = new BigInt64Array(await ctx.read(resolved, 16 * n));
      if (r === 0) continue; // warm-up
      for (let i = 0; i < n; i++) samples[i].push(Number(ticks[2 * i + 1] - ticks[2 * i]) / 1e6);
    }
  } finally {
    querySet.destroy();
    ctx.destroyBuffer(resolved);
  }
  return samples.map(median);
}

export interface TrainingBenchOptions {
  batches: number[];
  /** Read-back intervals per timed trainer run. */
  chunks: number;
  /** Steps per read-back interval; null: readbackEveryFor(B). */
  readbackEvery: number | null;
  /** Evaluation steps per timed evaluation. */
  evalSteps: number;
  /** Also time the CPU reference's step, in the same rounds (section 4). */
  cpu: boolean;
}

export async function benchTraining(
  ctx: GpuContext,
  kernels: KernelChooser,
  opts: TrainingBenchOptions,
  budget: TimingBudget,
  v: Validator,
  log: (s: string) => void,
): Promise<{ rows: TrainingRow[]; cpu: CpuRow[] }> {
  const rows: TrainingRow[] = [];
  const cpuRows: CpuRow[] = [];
  for (const B of opts.batches) {
    log(`training B=${B}: validating one step against the CPU reference`);
    if (!(await validateStep(ctx, B, kernels, v))) continue;

    const { list, reset } = await standaloneStep(ctx, B, kernels, budget.maxInner);
    const readbackEvery = opts.readbackEvery ?? readbackEveryFor(B);
    const steps = readbackEvery * opts.chunks;
    const train = syntheticSplit(steps * B, 100 + B);
    const test = syntheticSplit(opts.evalSteps * B, 200 + B);
    const config = validateConfig({ batchSize: B, epochs: 1, readbackEvery });
    const trainer = await GpuTrainer.create(ctx, { config, train, test, init: initMlp([...MNIST_MLP_SIZES], 1), kernels });
    let epoch = 0;
    const trainerRun = async (inner: number) => {
      for (let i = 0; i < inner; i++) {
        await trainer.runEpoch({ epoch, order: epochOrder(train.count, 1, epoch, true), lr: LR }, () => {}, () => false);
        epoch++;
      }
    };
    // Warm-up, and the read-backs of one run counted: each is a wait on the GPU.
    let reads = 0;
    const read = ctx.read.bind(ctx);
    ctx.read = (...args) => {
      reads++;
      return read(...args);
    };
    try {
      await trainerRun(1);
    } finally {
      ctx.read = read;
    }
    const liveBefore = ctx.liveBytes;

    const cpuStep = opts.cpu ? cpuReferenceStep(B) : null;
    log(`training B=${B}: timing the trainer, the step's list and each of its ${list.length} dispatches alone, in rounds` +
      (cpuStep ? ', with the CPU reference step' : ''));
    const fromStepZero = (l: readonly Dispatch[]) => async (inner: number) => {
      reset();
      await runDispatches(ctx, l, inner);
    };
    const runs: ((inner: number) => Promise<void>)[] = [
      trainerRun,
      async (inner) => {
        for (let i = 0; i < inner; i++) await trainer.evaluate();
      },
      fromStepZero(list),
      ...list.map((d) => fromStepZero([d])),
    ];
    if (cpuStep) {
      runs.push(async (inner) => {
        for (let i = 0; i < inner; i++) cpuStep();
      });
    }
    const { timings, samples } = await timeInterleaved(runs, budget);
    const liveAfter = ctx.liveBytes;
    const stamps = await timestampSplit(ctx, list, reset, Math.max(3, budget.repeats));

    const perStep = samples[0].map((x) => x / steps);
    const evalPerStep = samples[1].map((x) => x / opts.evalSteps);
    const standalone = timings.slice(3, 3 + list.length);
    const sumPerRound = samples[0].map((_, r) => list.reduce((sum, _d, i) => sum + samples[3 + i][r], 0));
    const stepMs = median(perStep);
    const evalStepMs = median(evalPerStep);
    const sumStandaloneMs = standalone.reduce((sum, t) => sum + t.ms, 0);
    const useStamps = stamps !== null;
    const stampTotal = stamps ? stamps.reduce((sum, x) => sum + x, 0) : 0;
    const kernelRows: KernelShare[] = list.map((d, i) => ({
      label: d.label,
      standaloneMs: standalone[i].ms,
      timestampMs: stamps ? stamps[i] : null,
      share: useStamps ? stamps![i] / stampTotal : standalone[i].ms / sumStandaloneMs,
      flops: d.cost?.flops ?? 0,
      bytes: d.cost?.bytes ?? 0,
    }));
    const stepTiming: Timing = { ...timings[0], ms: stepMs, min: Math.min(...perStep), max: Math.max(...perStep), inner: timings[0].inner * steps };
    const evalTiming: Timing = { ...timings[1], ms: evalStepMs, min: Math.min(...evalPerStep), max: Math.max(...evalPerStep), inner: timings[1].inner * opts.evalSteps };
    const readsPerReadback = reads / opts.chunks;
    const row: TrainingRow = {
      batch: B,
      fused: kernels.fuse,
      stepMs,
      samplesPerSec: (B * 1000) / stepMs,
      pipelinedStepMs: timings[2].ms,
      sumStandaloneMs,
      stepOverSum: medianRatio(perStep, sumPerRound),
      pipelinedOverSum: medianRatio(samples[2], sumPerRound),
      dispatchesPerStep: list.length,
      flopsPerStep: kernelRows.reduce((sum, k) => sum + k.flops, 0),
      bytesPerStep: kernelRows.reduce((sum, k) => sum + k.bytes, 0),
      epochSecondsExtrapolated: (Math.ceil(RECIPE_TRAIN / B) * stepMs + Math.ceil(RECIPE_TEST / B) * evalStepMs) / 1000,
      evalStepMs,
      readbackEvery,
      readsPerReadback,
      waitsPerEpoch: Math.ceil(Math.ceil(RECIPE_TRAIN / B) / readbackEvery) * readsPerReadback,
      liveBytes: { before: liveBefore, after: liveAfter },
      splitMethod: useStamps ? 'timestamp-query' : 'standalone',
      timestampSumMs: stamps ? stampTotal : null,
      kernels: kernelRows,
      timings: { step: stepTiming, pipelined: timings[2], eval: evalTiming },
    };
    rows.push(row);
    log(`training B=${B}: ${stepMs.toFixed(2)} ms/step (trainer), ${timings[2].ms.toFixed(2)} pipelined, ` +
      `sum of ${list.length} kernels alone ${sumStandaloneMs.toFixed(2)}; step / sum ${row.stepOverSum.toFixed(2)} (median of rounds)`);
    if (cpuStep) {
      const cpuSamples = samples[samples.length - 1];
      const cpuTiming = timings[timings.length - 1];
      const cpu: CpuRow = { batch: B, cpuStepMs: cpuTiming.ms, gpuStepMs: stepMs, gpuSpeedup: medianRatio(cpuSamples, perStep), timing: cpuTiming };
      cpuRows.push(cpu);
      log(`cpu reference B=${B}: ${cpu.cpuStepMs.toFixed(1)} ms/step; the GPU trainer is ${cpu.gpuSpeedup.toFixed(2)}x as fast (median of rounds)`);
    }
  }
  return { rows, cpu: cpuRows };
}

/** Steps per read-back interval of the CNN's timed trainer: the MLP's rule, except on a CPU
 * adapter, where a CNN step at batch 32 took 0.8-1.7 s (SwiftShader in Node, loaded 2-core
 * machine) and 50 steps per interval would make each timed unit a minute; a read-back is a
 * negligible share of 4 such steps. */
export const cnnReadbackEvery = (B: number, fallbackAdapter: boolean): number => (fallbackAdapter ? 4 : readbackEveryFor(B));

/** The CNN preset's training step at each batch size: one step validated against the CPU reference
 * as the MLP's is, then the trainer's own loop (GpuTrainer.runEpoch over synthetic images, plain
 * SGD) timed, and the step's dispatches counted (the batch's gather and the step's kernels). */
export async function benchCnnTraining(
  ctx: GpuContext,
  kernels: KernelChooser,
  opts: { batches: number[]; readbackEvery: number | null },
  budget: TimingBudget,
  v: Validator,
  log: (s: string) => void,
): Promise<CnnStepRow[]> {
  const net = BENCH_NETWORKS.cnn;
  const rows: CnnStepRow[] = [];
  const release = ctx.trackNewBuffers();
  try {
    for (const B of opts.batches) {
      log(`training ${describeBenchNetwork(net)} B=${B}: validating one step against the CPU reference`);
      if (!(await validateStep(ctx, B, kernels, v, net))) continue;
      const { list } = await standaloneStep(ctx, B, kernels, 1, net);
      const readbackEvery = opts.readbackEvery ?? cnnReadbackEvery(B, ctx.adapter.isFallbackAdapter);
      const train = syntheticSplit(readbackEvery * B, 100 + B);
      const trainer = await GpuTrainer.create(ctx, { config: stepConfig(net, B, readbackEvery), train, test: null, init: net.init(1), kernels });
      let epoch = 0;
      log(`training cnn B=${B}: timing the trainer, ${readbackEvery} steps per read-back, ${list.length} dispatches per step`);
      const { timings, samples } = await timeInterleaved([async (inner) => {
        for (let i = 0; i < inner; i++) {
          await trainer.runEpoch({ epoch, order: epochOrder(train.count, 1, epoch, true), lr: net.lr }, () => {}, () => false);
          epoch++;
        }
      }], budget);
      const perStep = samples[0].map((x) => x / readbackEvery);
      const stepMs = median(perStep);
      const row: CnnStepRow = {
        model: formatModel(net.spec.model),
        batch: B,
        lr: net.lr,
        stepMs,
        samplesPerSec: (B * 1000) / stepMs,
        readbackEvery,
        dispatchesPerStep: list.length,
        dispatches: list.map((d) => d.label),
        timing: { ...timings[0], ms: stepMs, min: Math.min(...perStep), max: Math.max(...perStep), inner: timings[0].inner * readbackEvery },
      };
      rows.push(row);
      log(`training cnn B=${B}: ${stepMs.toFixed(2)} ms/step (trainer), ${row.samplesPerSec.toFixed(0)} samples/s, ${list.length} dispatches per step`);
    }
  } finally {
    release();
  }
  return rows;
}
