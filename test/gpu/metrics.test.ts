import { describe, expect, it } from 'vitest';
import { stepMetricsCpu } from '../../src/reference/kernels.ts';
import { advanceDispatch, stepMetricsDispatch } from '../../src/gpu/kernels/metrics.ts';
import { runDispatches } from '../../src/gpu/runner.ts';
import { createRng } from '../../src/data/prng.ts';
import { expectClose, useGpu } from './gpu-suite.ts';

// Up to 5000 f32 additions in a strided-then-tree order against a float64 sum: the tree keeps the
// error near log2(B) roundings of the partial sums, well inside 1e-6 relative.
const LOSS_TOL = { atol: 1e-7, rtol: 1e-6 };
const EXACT = { atol: 0, rtol: 0 };

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
    const ctx = gpu();
    // Batch 1, the notebook's 32, a ragged 16, more rows than one workgroup, and past 4096.
    const sizes = [1, 32, 16, 257, 4096, 5000];
    const start = 3;
    const slots = start + sizes.length;
    const counter = ctx.storage('counter', new Uint32Array([start]));
    const lossHistory = ctx.storage('lossHistory', new Float32Array(slots).fill(-1));
    const correctHistory = ctx.storage('correctHistory', new Uint32Array(slots).fill(7777));
    const steps = sizes.map((B, s) => makeStep(B, 100 + s));
    const stepBuffers = steps.map((d) => ({
      rowLoss: ctx.storage('rowLoss', d.rowLoss),
      argmax: ctx.storage('argmax', d.argmax),
      labels: ctx.storage('labels', d.labels),
    }));
    // Each step: metrics for its own rows, then the counter moves on, as in a training step.
    const dispatches = stepBuffers.flatMap((b, s) => [
      stepMetricsDispatch(ctx, { ...b, counter, lossHistory, correctHistory }, { B: sizes[s], lossScale: 1 / sizes[s] }),
      advanceDispatch(ctx, counter),
    ]);
    await runDispatches(ctx, dispatches);

    const refs = steps.map((d) => stepMetricsCpu(d.rowLoss, d.argmax, d.labels, 1 / d.rowLoss.length));
    const losses = await ctx.readF32(lossHistory, slots);
    const corrects = await ctx.readU32(correctHistory, slots);
    // Slots before the start are untouched.
    expect(Array.from(losses.subarray(0, start))).toEqual([-1, -1, -1]);
    expect(Array.from(corrects.subarray(0, start))).toEqual([7777, 7777, 7777]);
    const maxErr = expectClose('mean loss per step', losses.subarray(start), refs.map((r) => r.loss), LOSS_TOL);
    expectClose('correct per step', corrects.subarray(start), refs.map((r) => r.correct), EXACT);
    expect((await ctx.readU32(counter, 1))[0]).toBe(slots);
    console.log(`step_metrics: max |gpu - ref| of the mean loss = ${maxErr.toExponential(2)}`);
    for (const buf of [counter, lossHistory, correctHistory, ...stepBuffers.flatMap(Object.values)]) ctx.destroyBuffer(buf);
  });

  it('one prepared step encoded many times writes every slot (lossScale 1: summed loss)', async () => {
    const ctx = gpu();
    const B = 33;
    const repeats = 20;
    const d = makeStep(B, 9);
    const counter = ctx.storage('counter', new Uint32Array([0]));
    const lossHistory = ctx.storage('lossHistory', repeats * 4);
    const correctHistory = ctx.storage('correctHistory', repeats * 4);
    const bufs = { rowLoss: ctx.storage('rowLoss', d.rowLoss), argmax: ctx.storage('argmax', d.argmax), labels: ctx.storage('labels', d.labels) };
    await runDispatches(ctx, [
      stepMetricsDispatch(ctx, { ...bufs, counter, lossHistory, correctHistory }, { B, lossScale: 1 }),
      advanceDispatch(ctx, counter),
    ], repeats);
    const ref = stepMetricsCpu(d.rowLoss, d.argmax, d.labels, 1);
    expectClose('summed loss per step', await ctx.readF32(lossHistory, repeats), new Array(repeats).fill(ref.loss), LOSS_TOL);
    expectClose('correct per step', await ctx.readU32(correctHistory, repeats), new Array(repeats).fill(ref.correct), EXACT);
    expect((await ctx.readU32(counter, 1))[0]).toBe(repeats);
    for (const buf of [counter, lossHistory, correctHistory, ...Object.values(bufs)]) ctx.destroyBuffer(buf);
  });
});
