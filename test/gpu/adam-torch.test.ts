// PyTorch parity of Adam and AdamW: 100 steps of a 20-16-10 sigmoid MLP at torch's defaults, from
// the initial weights and on the synthetic batches of test/torch/make_adam_fixture.py, against
// the losses and final weights torch.optim computed there (torch 1.13). The CPU reference and
// the GPU trainer, fused (the output layer's kernel counts t at its slot) and one kernel per
// operation (the updates read the counter the metrics advanced), each train the same run; all
// must meet the fixture.
import { denseSpec } from '../../src/model/spec.ts';
import { describe, expect, it } from 'vitest';
import fixture from '../torch/adam-20-16-10.json';
import type { Split } from '../../src/data/dataset.ts';
import { validateConfig } from '../../src/train/config.ts';
import { CpuTrainer } from '../../src/train/cpu-trainer.ts';
import { GpuTrainer } from '../../src/train/gpu-trainer.ts';
import { KernelChooser } from '../../src/gpu/kernel-choice.ts';
import type { Trainer } from '../../src/train/trainer.ts';
import { initMlp, mlpParamTensors, type Mlp } from '../../src/reference/mlp.ts';
import { useGpu } from './gpu-suite.ts';

const { sizes, batch: B, steps } = fixture;
type Params = Record<string, number[]>;

/** make_adam_fixture.py's data set, the same f32 values. */
function fixtureSplit(): Split {
  const n = B * steps;
  const width = sizes[0];
  const features = new Float32Array(n * width);
  for (let i = 0; i < n; i++) for (let j = 0; j < width; j++) features[i * width + j] = ((7 * i + 13 * j) % 23) / 22 - 0.5;
  const labels = Uint8Array.from({ length: n }, (_, i) => (3 * i + Math.floor(i / 5)) % 10);
  return { features, labels, count: n, width, image: null };
}

function mlpOf(params: Params): Mlp {
  const mlp = initMlp(sizes, 0);
  for (const t of mlpParamTensors(mlp)) t.data.set(params[t.name]);
  return mlp;
}

/** Losses within 1e-4 relative, final weights within 1e-4 absolute: the brief's bounds. The
 * worst of each is printed, to see how far inside they are. */
async function expectTorch(what: string, trainer: Trainer, expected: { losses: number[]; final: Params }): Promise<void> {
  const losses: number[] = [];
  const order = Uint32Array.from({ length: B * steps }, (_, i) => i);
  await trainer.runEpoch({ epoch: 0, order, lr: 1e-3 }, (c) => void losses.push(...c.losses), () => false);
  const lossRel = Math.max(...losses.map((l, s) => Math.abs(l - expected.losses[s]) / Math.abs(expected.losses[s])));
  let weightAbs = 0;
  for (const t of mlpParamTensors(await trainer.weights())) {
    t.data.forEach((v, i) => (weightAbs = Math.max(weightAbs, Math.abs(v - expected.final[t.name][i]))));
  }
  console.log(`${what}: ${steps} steps, max loss rel diff ${lossRel.toExponential(2)}, max final weight |diff| ${weightAbs.toExponential(2)}`);
  expect(losses).toHaveLength(steps);
  expect(lossRel).toBeLessThanOrEqual(1e-4);
  expect(weightAbs).toBeLessThanOrEqual(1e-4);
}

describe('Adam and AdamW vs torch.optim (test/torch/adam-20-16-10.json)', () => {
  const gpu = useGpu();
  for (const kind of ['adam', 'adamw'] as const) {
    // validateConfig's CLI-free defaults: lr and weight decay as torch's own for this kind.
    const config = validateConfig({
      optimizer: kind, lr: 1e-3, weightDecay: kind === 'adamw' ? 1e-2 : 0, batchSize: B, epochs: 1, model: denseSpec([sizes[1]], ['sigmoid']),
      readbackEvery: 25, shuffle: false,
    });
    it(`${kind}: the CPU reference and the GPU trainer both train as PyTorch does`, async () => {
      const train = fixtureSplit();
      const init = mlpOf(fixture.init);
      await expectTorch(`${kind} CPU`, new CpuTrainer(config, train, null, init), fixture[kind]);
      for (const fuse of [true, false]) {
        const kernels = await KernelChooser.create(gpu(), { fuse });
        await expectTorch(`${kind} GPU ${fuse ? 'fused' : 'unfused'}`, await GpuTrainer.create(gpu(), { config, train, test: null, init, kernels }), fixture[kind]);
      }
    });
  }
});
