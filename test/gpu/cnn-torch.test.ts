// PyTorch parity of a CNN: 100 steps of test/torch/make_cnn_fixture.py's network (two
// convolutions, ReLU and GELU, stride 2, padding 1 and 2, two max pools, a flatten and the output
// layer) on the first 1,600 MNIST training images in order, from torch's initial weights, with SGD
// (momentum) and with Adam, against the losses and final weights torch computed (torch 1.13). The
// CPU reference and the GPU trainer, fused and one kernel per operation, each train both runs.
import { describe, expect, it } from 'vitest';
import fixture from '../torch/cnn-mnist.json';
import { limitSplit } from '../../src/data/batches.ts';
import { parseModel } from '../../src/model/spec.ts';
import { validateConfig, type TrainConfig } from '../../src/train/config.ts';
import { CpuTrainer } from '../../src/train/cpu-trainer.ts';
import { GpuTrainer } from '../../src/train/gpu-trainer.ts';
import { KernelChooser } from '../../src/gpu/kernel-choice.ts';
import type { Trainer } from '../../src/train/trainer.ts';
import { initNetwork, mlpParamTensors, networkFor, type Mlp } from '../../src/reference/mlp.ts';
import { loadTestMnist, useGpu } from './gpu-suite.ts';

const { batch: B, steps } = fixture;
type Params = Record<string, string>;

/** A tensor of the fixture: little-endian float32 in base64. */
const f32 = (b64: string) => new Float32Array(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)).buffer);

function weightsOf(params: Params, layers: ReturnType<typeof networkFor>): Mlp {
  const mlp = initNetwork(layers, 0);
  for (const t of mlpParamTensors(mlp)) {
    const data = f32(params[t.name]);
    expect(data.length, t.name).toBe(t.data.length);
    t.data.set(data);
  }
  return mlp;
}

/** Losses within 1e-4 relative, final weights within 1e-4 absolute: the bounds. The worst
 * of each is printed, to see how far inside they are. */
async function expectTorch(what: string, trainer: Trainer, lr: number, expected: { losses: number[]; final: Params }): Promise<void> {
  const losses: number[] = [];
  const order = Uint32Array.from({ length: B * steps }, (_, i) => i);
  await trainer.runEpoch({ epoch: 0, order, lr }, (c) => void losses.push(...c.losses), () => false);
  const lossRel = Math.max(...losses.map((l, s) => Math.abs(l - expected.losses[s]) / Math.abs(expected.losses[s])));
  let weightAbs = 0;
  for (const t of mlpParamTensors(await trainer.weights())) {
    const want = f32(expected.final[t.name]);
    t.data.forEach((v, i) => (weightAbs = Math.max(weightAbs, Math.abs(v - want[i]))));
  }
  console.log(`${what}: ${steps} steps, max loss rel diff ${lossRel.toExponential(2)}, max final weight |diff| ${weightAbs.toExponential(2)}`);
  expect(losses).toHaveLength(steps);
  expect(lossRel).toBeLessThanOrEqual(1e-4);
  expect(weightAbs).toBeLessThanOrEqual(1e-4);
}

describe('a CNN vs PyTorch (test/torch/cnn-mnist.json)', () => {
  const gpu = useGpu();
  const runs: [keyof Pick<typeof fixture, 'sgd' | 'adam'>, Partial<TrainConfig>][] = [
    ['sgd', { optimizer: 'sgd', lr: 0.01, momentum: 0.9 }],
    ['adam', { optimizer: 'adam', lr: 1e-3 }],
  ];
  for (const [kind, recipe] of runs) {
    it(`${kind}: the CPU reference and the GPU trainer both train ${fixture.model} as PyTorch does`, async () => {
      const train = limitSplit((await loadTestMnist()).train, B * steps);
      const config = validateConfig({ ...recipe, batchSize: B, epochs: 1, model: parseModel(fixture.model), readbackEvery: 25, shuffle: false });
      const init = weightsOf(fixture.init, networkFor({ train, test: null }, config));
      await expectTorch(`${kind} CPU`, new CpuTrainer(config, train, null, init), config.lr, fixture[kind]);
      for (const fuse of [true, false]) {
        const kernels = await KernelChooser.create(gpu(), { fuse });
        await expectTorch(`${kind} GPU ${fuse ? 'fused' : 'unfused'}`, await GpuTrainer.create(gpu(), { config, train, test: null, init, kernels }), config.lr, fixture[kind]);
      }
    });
  }
});
