// PyTorch parity of the activations that PyTorch itself trained (test/torch/
// make_activation_fixture.py): 100 SGD steps of a 20-16-12-10 network from the same initial weights
// on the same batches, on the CPU reference and on the GPU (fused and one kernel per operation);
// every step's loss within 1e-4 relative, the final weights within 1e-4 absolute.
import { denseSpec } from '../../src/model/spec.ts';
import { describe, expect, it } from 'vitest';
import raw from '../torch/activations-20-16-12-10.json?raw';
import { epochOrder } from '../../src/data/batches.ts';
import type { Split } from '../../src/data/dataset.ts';
import { KernelChooser } from '../../src/gpu/kernel-choice.ts';
import { HIDDEN_ACTIVATIONS, type HiddenActivation } from '../../src/model/activations.ts';
import { assembleMlp, mlpParamTensors, resolveMlp, type Mlp } from '../../src/reference/mlp.ts';
import { validateConfig } from '../../src/train/config.ts';
import { CpuTrainer } from '../../src/train/cpu-trainer.ts';
import { GpuTrainer } from '../../src/train/gpu-trainer.ts';
import type { Trainer } from '../../src/train/trainer.ts';
import { useGpu } from './gpu-suite.ts';

interface TorchFixture {
  sizes: number[];
  batch: number;
  steps: number;
  lr: number;
  /** (samples, sizes[0]) and (samples): step s trains on batch s mod (samples / batch), in order. */
  x: number[];
  labels: number[];
  /** Parameters in state_dict order. */
  init: number[][];
  runs: Record<string, { losses: number[]; final: number[][] }>;
}

const fixture = JSON.parse(raw) as TorchFixture;
const LOSS_RTOL = 1e-4;
const WEIGHT_ATOL = 1e-4;

function mlpOf(params: number[][]): Mlp {
  return assembleMlp(resolveMlp(fixture.sizes), (_, l) => [Float32Array.from(params[2 * l]), Float32Array.from(params[2 * l + 1])]);
}

/** The fixture's samples repeated in order, one batch per step, so an unshuffled epoch is the
 * fixture's run. */
function trainSplit(): Split {
  const { sizes, batch, steps, x, labels } = fixture;
  const width = sizes[0];
  const samples = labels.length;
  const count = batch * steps;
  return {
    features: Float32Array.from({ length: count * width }, (_, i) => x[(Math.floor(i / width) % samples) * width + (i % width)]),
    labels: Uint8Array.from({ length: count }, (_, r) => labels[r % samples]),
    count,
    width,
    image: null,
  };
}

describe('training against PyTorch (test/torch/activations-20-16-12-10.json)', () => {
  const gpu = useGpu();

  for (const [name, run] of Object.entries(fixture.runs)) {
    for (const device of ['cpu', 'gpu fused', 'gpu one kernel per operation'] as const) {
      it(`${name}: ${fixture.steps} SGD steps on the ${device} match PyTorch's losses and final weights`, async () => {
        expect(HIDDEN_ACTIVATIONS).toContain(name);
        const activation = name as HiddenActivation;
        const { sizes, batch, lr } = fixture;
        const train = trainSplit();
        const config = validateConfig({
          batchSize: batch, lr, epochs: 1, readbackEvery: 1, shuffle: false, model: denseSpec(sizes.slice(1, -1), [activation]),
        });
        const init = mlpOf(fixture.init);
        const trainer: Trainer = device === 'cpu' ? new CpuTrainer(config, train, train, init)
          : await GpuTrainer.create(gpu(), { config, train, test: train, init, kernels: await KernelChooser.create(gpu(), { fuse: device === 'gpu fused', force: 'blocked', cache: null }) });
        const losses: number[] = [];
        await trainer.runEpoch({ epoch: 0, order: epochOrder(train.count, 0, 0, false), lr }, (c) => void losses.push(...c.losses), () => false);
        expect(losses).toHaveLength(run.losses.length);
        const lossRel = Math.max(...losses.map((l, s) => Math.abs(l - run.losses[s]) / Math.abs(run.losses[s])));
        const final = mlpParamTensors(await trainer.weights());
        const weightAbs = Math.max(...final.flatMap((t, i) => Array.from(t.data, (v, j) => Math.abs(v - run.final[i][j]))));
        console.log(`${name} on the ${device}: max loss rel diff ${lossRel.toExponential(2)}, max final weight |diff| ${weightAbs.toExponential(2)}`);
        expect(lossRel).toBeLessThanOrEqual(LOSS_RTOL);
        expect(weightAbs).toBeLessThanOrEqual(WEIGHT_ATOL);
      });
    }
  }
});
