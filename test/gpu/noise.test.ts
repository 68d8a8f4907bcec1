// The WebGPU backend of `npm run noise` against the CPU reference backend: the same gradients of
// a batch (every tensor, flattened in state_dict order) and the same losses over training steps,
// from identical weights. Catches a wrong copy offset or a gradient read before it is complete.
import { describe, expect, it } from 'vitest';
import { limitSplit } from '../../src/data/batches.ts';
import { initMlp } from '../../src/reference/mlp.ts';
import { createCpuNoiseBackend, createGpuNoiseBackend, streamOrder } from '../../src/noise/measure.ts';
import { KernelChooser } from '../../src/gpu/kernel-choice.ts';
import { TOLERANCES } from '../../src/reference/tolerance.ts';
import { expectClose, loadTestMnist, useGpu } from './gpu-suite.ts';

describe('npm run noise: GPU backend vs CPU reference backend', () => {
  const gpu = useGpu();

  it('gives the same batch gradients and training losses', async () => {
    const ctx = gpu();
    const train = limitSplit((await loadTestMnist()).train, 256);
    const init = initMlp([784, 32, 16, 10], 3);
    const g = createGpuNoiseBackend(ctx, await KernelChooser.create(ctx, { force: 'vec4' }), train, init, { rows: 64, steps: 10, order: 320 });
    const c = createCpuNoiseBackend(train, init);
    for (const indices of [Uint32Array.from([5, 17, 200]), Uint32Array.from({ length: 64 }, (_, i) => 3 * i)]) {
      const [a, b] = [await g.gradient(indices), await c.gradient(indices)];
      expect(a.grad.length).toBe(784 * 32 + 32 + 32 * 16 + 16 + 16 * 10 + 10);
      expectClose('loss', [a.loss], [b.loss], TOLERANCES.stepLoss);
      expectClose(`gradient of ${indices.length} rows`, a.grad, b.grad, TOLERANCES.batchGradient);
    }
    const { order } = streamOrder(train.count, 1, 0, 32, 10);
    const [la, lb] = [await g.train(order, 32, 0.5), await c.train(order, 32, 0.5)];
    expectClose('losses of 10 steps', la, lb, TOLERANCES.trainingLoss);
    const [wa, wb] = [await g.weights(), await c.weights()];
    expectClose('fc1.weight after 10 steps', wa.layers[0].params[0].data, wb.layers[0].params[0].data, TOLERANCES.trainingParams);
  });
});
