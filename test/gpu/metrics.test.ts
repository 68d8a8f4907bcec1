import { describe, it } from 'vitest';
import { stepMetricsCpu } from '../../src/reference/kernels.ts';
import { TOLERANCES } from '../../src/reference/tolerance.ts';
import { advanceDispatch, stepMetricsDispatch } from '../../src/gpu/kernels/metrics.ts';
import { createRng } from '../../src/data/prng.ts';
import { useGpu } from './gpu-suite.ts';
import { checkKernel } from './kernel-check.ts';

interface StepData {
  rowLoss: Float32Array;
  argmax: Uint32Array;
  labels: Uint32Array;
}

function makeStep(B: number, seed: number): StepData {
  const rng = createRng(seed);
  const labels = Uint32Array.from({ length: B }, () => rng.int(10));
  return {
    rowLoss: Float32Array.from({ length: B }, () => rng.uniform(0, 5)),
    // About half right, so a miscount in either direction shows.
    argmax: labels.map((y) => (rng.next() < 0.5 ? y : (y + 1 + rng.int(9)) % 10)),
    labels,
  };
}

describe('step metrics and counter kernels vs stepMetricsCpu', () => {
  const gpu = useGpu();

  it('several steps in one submit fill consecutive history slots and advance the counter', async () => {
    // Batch 1, the notebook's 32, a ragged 16, more rows than one workgroup, and past 4096.
    const sizes = [1, 32, 16, 257, 4096, 5000];
    const start = 3;
    const slots = start + sizes.length;
    const steps = sizes.map((B, s) => makeStep(B, 100 + s));
    const perStep = Object.fromEntries(steps.flatMap((d, s) => [[`rowLoss${s}`, d.rowLoss], [`argmax${s}`, d.argmax], [`labels${s}`, d.labels]]));
    const refs = steps.map((d) => stepMetricsCpu(d.rowLoss, d.argmax, d.labels, 1 / d.rowLoss.length));
    const ctx = gpu();
    const worst = await checkKernel(ctx, {
      what: 'step_metrics over 6 steps from slot 3',
      buffers: {
        counter: new Uint32Array([start]),
        lossHistory: new Float32Array(slots).fill(-1),
        correctHistory: new Uint32Array(slots).fill(7777),
        ...perStep,
      },
      // Each step: metrics for its own rows, then the counter moves on, as in a training step.
      dispatches: (bufs) => sizes.flatMap((B, s) => [
        stepMetricsDispatch(ctx, { rowLoss: bufs[`rowLoss${s}`], argmax: bufs[`argmax${s}`], labels: bufs[`labels${s}`],
          counter: bufs.counter, lossHistory: bufs.lossHistory, correctHistory: bufs.correctHistory }, { B, lossScale: 1 / B }),
        advanceDispatch(ctx, bufs.counter),
      ]),
      // Slots before the start are untouched.
      expect: () => ({
        lossHistory: { ref: [-1, -1, -1, ...refs.map((r) => r.loss)], tol: TOLERANCES.metricsLoss },
        correctHistory: { ref: Uint32Array.from([7777, 7777, 7777, ...refs.map((r) => r.correct)]), tol: TOLERANCES.exact },
        counter: { ref: Uint32Array.of(slots), tol: TOLERANCES.exact },
      }),
    });
    console.log(`step_metrics: max |gpu - ref| of the mean loss = ${worst.lossHistory!.toExponential(2)}`);
  });

  it('one prepared step encoded many times writes every slot (lossScale 1: summed loss)', async () => {
    const B = 33;
    const repeats = 20;
    const d = makeStep(B, 9);
    const ref = stepMetricsCpu(d.rowLoss, d.argmax, d.labels, 1);
    const ctx = gpu();
    await checkKernel(ctx, {
      what: `step_metrics B=${B} x${repeats}`,
      buffers: { counter: 1, lossHistory: repeats, correctHistory: repeats, ...d },
      dispatches: (bufs) => Array.from({ length: repeats }, () => [
        stepMetricsDispatch(ctx, { ...bufs }, { B, lossScale: 1 }),
        advanceDispatch(ctx, bufs.counter),
      ]).flat(),
      expect: () => ({
        lossHistory: { ref: new Array(repeats).fill(ref.loss), tol: TOLERANCES.metricsLoss },
        correctHistory: { ref: new Uint32Array(repeats).fill(ref.correct), tol: TOLERANCES.exact },
        counter: { ref: Uint32Array.of(repeats), tol: TOLERANCES.exact },
      }),
    });
  });
});
