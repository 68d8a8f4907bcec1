// The library API on WebGPU, in Node (Dawn) and in headless Chromium, and in a web worker there:
// a fit learns, evaluate and predict on the GPU agree with each other and with the CPU reference
// from the same weights, save/load carries the run across devices, and CSV text becomes f32
// features that train (gather_f32) to the CPU reference's losses.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { twoMoonsCsv } from '../../src/data/synthetic.ts';
import { createTrainer, csvDatasets, loadTrainer, type Dataset, type Trainer } from '../../src/lib/index.ts';
import { TOLERANCES } from '../../src/reference/tolerance.ts';
import { expectClose, loadTestMnist } from './gpu-suite.ts';

let train: Dataset;
let test: Dataset;
let gpu: Trainer;
beforeAll(async () => {
  const mnist = await loadTestMnist();
  const pixels = 28 * 28;
  train = { images: mnist.train.features.subarray(0, 512 * pixels), labels: mnist.train.labels.subarray(0, 512), shape: [512, 28, 28] };
  // 77 images: a ragged last batch of 13.
  test = { images: mnist.test.features.subarray(0, 77 * pixels), labels: mnist.test.labels.subarray(0, 77), shape: [77, 28, 28] };
  gpu = await createTrainer({ layers: [784, 64, 10], activation: 'relu', optimizer: { lr: 0.1, momentum: 0.9 }, batch: 32 });
});
afterAll(() => gpu?.dispose());

describe('the library on WebGPU', () => {
  it('fits, and evaluate and predict agree with each other and with the CPU reference at the same weights', async () => {
    console.log(`library on ${gpu.adapter?.description || gpu.adapter?.vendor} (${gpu.adapter?.runtime})`);
    const steps: number[] = [];
    const fit = await gpu.fit(train, { epochs: 1, validation: test, onStep: (s) => steps.push(s.step) });
    expect(steps).toEqual(Array.from({ length: 16 }, (_, i) => i));
    expect(fit.epochs[0].testAccuracy).toBeGreaterThan(60);
    const ev = await gpu.evaluate(test);
    expect(ev.accuracy).toBe(fit.epochs[0].testAccuracy);
    const p = await gpu.predict(test.images);
    expect(p.classes).toEqual(ev.predictions);

    // The same weights on the CPU reference, through a checkpoint.
    const cpu = await loadTrainer(gpu.save(), { device: 'cpu' });
    const q = await cpu.predict(test.images);
    // The forward pass's f32 sums against float64: a probability moves by at most its logits' error.
    expectClose('probabilities', p.probabilities, q.probabilities, TOLERANCES.matmul);
    expect(p.classes).toEqual(q.classes);
    expectClose('evaluation loss', [(await cpu.evaluate(test)).loss], [ev.loss], TOLERANCES.trainingLoss);
  });

  it('trains on CSV text (f32 features) step for step with the CPU reference, and learns the two moons', async () => {
    const { train: moons, test: held, classNames } = csvDatasets({ train: twoMoonsCsv(400, 1, 0.1), test: twoMoonsCsv(200, 2, 0.1) }, { labelColumn: 'moon' });
    expect(moons.images).toBeInstanceOf(Float32Array);
    const options = { layers: [2, 16, classNames.length], activation: 'tanh', optimizer: { lr: 0.1, momentum: 0.9 }, batch: 16 } as const;
    const onGpu = await createTrainer(options);
    const onCpu = await createTrainer({ ...options, device: 'cpu' });
    try {
      const [g, c] = [await onGpu.fit(moons, { epochs: 8, validation: held }), await onCpu.fit(moons, { epochs: 8, validation: held })];
      expect(g.stepLosses).toHaveLength(8 * 25);
      expectClose('step losses', g.stepLosses, c.stepLosses, TOLERANCES.trainingLoss);
      expect(g.epochs[7].testAccuracy).toBeGreaterThan(90);
      const p = await onGpu.predict(held!.images);
      expect(p.classes).toEqual((await onGpu.evaluate(held!)).predictions);
    } finally {
      onGpu.dispose();
    }
  });

  it('trains in a web worker, unchanged (Chromium)', async (t) => {
    if (typeof window === 'undefined') return t.skip();
    const worker = new Worker(new URL('./lib-worker.ts', import.meta.url), { type: 'module' });
    try {
      const reply = await new Promise<{ accuracy?: number; error?: string; runtime?: string }>((resolve) => {
        worker.onmessage = (e) => resolve(e.data as { accuracy: number });
        worker.onerror = (e) => resolve({ error: e.message });
      });
      expect(reply.error).toBeUndefined();
      expect(reply.runtime).toBe('browser');
      expect(reply.accuracy).toBeGreaterThan(90);
    } finally {
      worker.terminate();
    }
  });
});
