// Networks that exercise each layer type, for the tests driven by the layer registry (the CPU
// gradient check in test/unit/layers.test.ts, the GPU parity in test/gpu/train-step.test.ts):
// adding a layer type adds its row here, and the compiler asks for it.
import type { LossKind } from '../../src/model/losses.ts';
import type { LayerType, ModelSpec } from '../../src/model/spec.ts';

export interface LayerExample {
  spec: ModelSpec;
  loss: LossKind;
}

/** On MNIST-shaped input (784 values) with 10 classes. */
export const LAYER_EXAMPLES: { [T in LayerType]: LayerExample[] } = {
  dense: [
    { spec: [{ type: 'dense', units: 24, activation: 'sigmoid' }, { type: 'dense', units: 12, activation: 'relu' }], loss: 'nll' },
    { spec: [{ type: 'dense', units: 16, activation: 'tanh' }], loss: 'squared' },
  ],
};

export const EXAMPLE_INPUT = [784];
export const EXAMPLE_CLASSES = 10;

/** Every example with its layer type, for it.each. */
export const layerExamples = (): (LayerExample & { type: LayerType })[] =>
  (Object.keys(LAYER_EXAMPLES) as LayerType[]).flatMap((type) => LAYER_EXAMPLES[type].map((e) => ({ ...e, type })));
