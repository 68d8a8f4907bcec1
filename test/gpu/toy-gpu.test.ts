import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/data/prng.ts';
import type { GpuContext } from '../../src/gpu/context.ts';
import {
  NOTEBOOK_DATASET,
  NOTEBOOK_EPOCH_ERRORS,
  NOTEBOOK_INITIAL_NETWORK,
  cloneNetwork,
  formatEpochLine,
  initializeNetwork,
  trainNetwork,
  type ReadonlyToyNetwork,
  type ToyNetwork,
} from '../../src/reference/toy.ts';
import { ToyGpuTrainer, trainToyOnGpu } from '../../src/train/toy-gpu.ts';
import { useGpu } from './gpu-suite.ts';
import { TOLERANCES } from '../../src/reference/tolerance.ts';

const LR = 0.4;
const EPOCHS = 20;

/** Largest |gpu − cpu| over every weight, output and delta, in the same network shape. */
function maxDifference(gpu: ToyNetwork, cpu: ToyNetwork): number {
  expect(gpu.map((layer) => layer.map((n) => n.weights.length))).toEqual(cpu.map((layer) => layer.map((n) => n.weights.length)));
  let max = 0;
  cpu.forEach((layer, i) =>
    layer.forEach((want, j) => {
      const got = gpu[i][j];
      const pairs: [number, number][] = [...want.weights.map((w, k): [number, number] => [got.weights[k], w]),
        [got.output!, want.output!], [got.delta!, want.delta!]];
      for (const [g, w] of pairs) max = Math.max(max, Math.abs(g - w));
    }),
  );
  return max;
}

async function trainBoth(ctx: GpuContext, init: ReadonlyToyNetwork) {
  const cpu = cloneNetwork(init);
  const cpuErrors = trainNetwork(cpu, NOTEBOOK_DATASET, LR, EPOCHS, cpu[cpu.length - 1].length);
  const gpu = await trainToyOnGpu(ctx, init, NOTEBOOK_DATASET, LR, EPOCHS);
  expect(gpu.errors).toHaveLength(EPOCHS);
  const errorDiff = Math.max(...gpu.errors.map((e, i) => Math.abs(e - cpuErrors[i])));
  return { cpuErrors, gpu, errorDiff, paramDiff: maxDifference(gpu.network, cpu) };
}

// float32 on the GPU against float64 on the CPU over 200 per-sample steps (TOLERANCES.toy says
// what was measured); a difference is one absolute bound, for errors and tensors alike.
const TOL = TOLERANCES.toy.atol;

describe('the toy network on the GPU step vs the CPU reference', () => {
  const gpu = useGpu();

  it("prints the notebook's epoch lines and ends at the reference network", async () => {
    const { cpuErrors, gpu: run, errorDiff, paramDiff } = await trainBoth(gpu(), NOTEBOOK_INITIAL_NETWORK);
    console.log(`toy 2-2-2: max |gpu - cpu| epoch error ${errorDiff.toExponential(2)}, ` +
      `weights/outputs/deltas ${paramDiff.toExponential(2)}`);
    // The notebook's export stops at epoch 18; epoch 19 is the reference's (0.687).
    const printed = [...NOTEBOOK_EPOCH_ERRORS, cpuErrors[EPOCHS - 1]];
    expect(run.errors.map((e, i) => formatEpochLine(i, LR, e))).toEqual(printed.map((e, i) => formatEpochLine(i, LR, e)));
    expect(errorDiff).toBeLessThan(TOL);
    expect(paramDiff).toBeLessThan(TOL);
  });

  it('a 3-hidden-neuron network from the PRNG ends at the reference network', async () => {
    // What `npm run toy -- --hidden 3` starts from.
    const init = initializeNetwork(2, 3, 2, createRng(1));
    const { errorDiff, paramDiff } = await trainBoth(gpu(), init);
    console.log(`toy 2-3-2: max |gpu - cpu| epoch error ${errorDiff.toExponential(2)}, ` +
      `weights/outputs/deltas ${paramDiff.toExponential(2)}`);
    expect(errorDiff).toBeLessThan(TOL);
    expect(paramDiff).toBeLessThan(TOL);
  });

  it('stepped row by row, then by epochs, it is the same run; it frees what it allocated', async () => {
    const ctx = gpu();
    const whole = await trainToyOnGpu(ctx, NOTEBOOK_INITIAL_NETWORK, NOTEBOOK_DATASET, LR, 3);
    const before = ctx.liveBytes;
    const trainer = await ToyGpuTrainer.create(ctx, NOTEBOOK_INITIAL_NETWORK, NOTEBOOK_DATASET, LR);
    const cpu = cloneNetwork(NOTEBOOK_INITIAL_NETWORK);
    let rowErrors = 0;
    // Epoch 0 one row at a time, each against the CPU reference's same row.
    for (let r = 0; r < NOTEBOOK_DATASET.length; r++) {
      const step = await trainer.stepRow();
      expect(step.at).toEqual({ epoch: 0, row: r });
      const cpuError = trainNetwork(cpu, [NOTEBOOK_DATASET[r]], LR, 1, 2)[0];
      expect(Math.abs(step.error - cpuError)).toBeLessThan(TOL);
      expect(maxDifference(step.network, cpu)).toBeLessThan(TOL);
      rowErrors += step.error;
      expect(step.epochError).toBe(r === NOTEBOOK_DATASET.length - 1 ? rowErrors : null);
    }
    // Two rows of epoch 1, then the rest of it, then epoch 2 whole.
    await trainer.stepRow();
    const second = await trainer.stepRow();
    expect(second.at).toEqual({ epoch: 1, row: 1 });
    expect(await trainer.finishEpoch()).toEqual({ epoch: 1, error: whole.errors[1] });
    expect(await trainer.finishEpoch()).toEqual({ epoch: 2, error: whole.errors[2] });
    expect(trainer.position).toEqual({ epoch: 3, row: 0 });
    expect(await trainer.readNetwork()).toEqual(whole.network);
    trainer.destroy();
    expect(ctx.liveBytes).toBe(before);
  });

  it('refuses a label that is not an output index', async () => {
    await expect(trainToyOnGpu(gpu(), NOTEBOOK_INITIAL_NETWORK, [[1, 2, 2]], LR, 1)).rejects.toThrow(/row 0 .*label in \[0, 2\)/);
  });
});
