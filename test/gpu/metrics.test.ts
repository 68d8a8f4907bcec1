import { describe, it } from 'vitest';
import { stepMetricsCpu } from '../../src/reference/kernels.ts';
import { TOLERANCES } from '../../src/reference/tolerance.ts';
import { recordLayout, stepMetricsDispatch, type RunRecord } from '../../src/gpu/kernels/metrics.ts';
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

/** A run record's starting words: step counter `step`, a salt, the rest filled with `fill`. */
function recordWords(steps: number, samples: number, step: number, fill: number): Uint32Array {
  const words = new Uint32Array(recordLayout(steps).predictions + samples).fill(fill);
  words.set([step, 99]);
  return words;
}

const asRecord = (buffer: GPUBuffer, steps: number, samples: number): RunRecord => ({ buffer, steps, samples, layout: recordLayout(steps) });

describe('step metrics kernel vs stepMetricsCpu', () => {
  const gpu = useGpu();

  it('several steps in one submit fill consecutive record slots and advance the counter', async () => {
    // Batch 1, the notebook's 32, a ragged 16, more rows than one workgroup, and past 4096.
    const sizes = [1, 32, 16, 257, 4096, 5000];
    const start = 3;
    const slots = start + sizes.length;
    const layout = recordLayout(slots);
    const steps = sizes.map((B, s) => makeStep(B, 100 + s));
    const perStep = Object.fromEntries(steps.flatMap((d, s) => [[`rowLoss${s}`, d.rowLoss], [`argmax${s}`, d.argmax], [`labels${s}`, d.labels]]));
    const refs = steps.map((d) => stepMetricsCpu(d.rowLoss, d.argmax, d.labels, 1 / d.rowLoss.length));
    const ctx = gpu();
    const worst = await checkKernel(ctx, {
      what: 'step_metrics over 6 steps from slot 3',
      buffers: { record: recordWords(slots, 0, start, 7777), ...perStep },
      dispatches: (bufs) => sizes.map((B, s) => stepMetricsDispatch(ctx,
        { rowLoss: bufs[`rowLoss${s}`], argmax: bufs[`argmax${s}`], labels: bufs[`labels${s}`] }, asRecord(bufs.record, slots, 0), { B, lossScale: 1 / B })),
      // The counter moved on by one per step and the salt stayed; slots before the start are untouched.
      expect: () => ({
        record: [
          { ref: Uint32Array.of(slots, 99, 7777, 7777, 7777), tol: TOLERANCES.exact },
          { ref: refs.map((r) => r.loss), offset: layout.losses + start, tol: TOLERANCES.metricsLoss },
          { ref: Uint32Array.from([7777, 7777, 7777, ...refs.map((r) => r.correct)]), offset: layout.correct, tol: TOLERANCES.exact },
        ],
      }),
    });
    console.log(`step_metrics: max |gpu - ref| = ${worst.record!.toExponential(2)}`);
  });

  it('records each row\'s argmax as a prediction of sample step * batchStride + r, a ragged last batch too', async () => {
    const B = 33;
    const stepsData = [makeStep(B, 9), makeStep(B, 10), makeStep(7, 11)];
    const samples = 2 * B + 7;
    const layout = recordLayout(3);
    const ctx = gpu();
    await checkKernel(ctx, {
      what: 'step_metrics with predictions',
      buffers: { record: recordWords(3, samples, 0, 0), ...Object.fromEntries(stepsData.flatMap((d, s) => [[`rowLoss${s}`, d.rowLoss], [`argmax${s}`, d.argmax], [`labels${s}`, d.labels]])) },
      dispatches: (bufs) => stepsData.map((d, s) => stepMetricsDispatch(ctx,
        { rowLoss: bufs[`rowLoss${s}`], argmax: bufs[`argmax${s}`], labels: bufs[`labels${s}`] }, asRecord(bufs.record, 3, samples),
        { B: d.labels.length, lossScale: 1, predict: { batchStride: B } })),
      expect: () => ({
        record: [
          { ref: Uint32Array.of(3), tol: TOLERANCES.exact },
          { ref: stepsData.map((d) => stepMetricsCpu(d.rowLoss, d.argmax, d.labels, 1).loss), offset: layout.losses, tol: TOLERANCES.metricsLoss },
          { ref: Uint32Array.from(stepsData.flatMap((d) => [...d.argmax])), offset: layout.predictions, tol: TOLERANCES.exact },
        ],
      }),
    });
  });
});
