// Networks that exercise each layer type, for the tests driven by the layer registry (the CPU
// gradient check in test/unit/layers.test.ts, the GPU parity in test/gpu/train-step.test.ts):
// adding a layer type adds its row here, and the compiler asks for it.
import type { LossKind } from '../../src/model/losses.ts';
import { parseModel, type LayerType, type ModelSpec } from '../../src/model/spec.ts';

export interface LayerExample {
  spec: ModelSpec;
  loss: LossKind;
}

/** On MNIST-shaped input (1 x 28 x 28 images, which a dense layer reads as 784 values) with 10
 * classes. Between them they cover stride 2, padding 0/1/2, kernels 1/3/5, a pool window that
 * leaves a remainder, an activation whose backward reads its input (GELU) below a pool and below
 * a flatten, and a convolution straight into the output layer. */
export const LAYER_EXAMPLES: { [T in LayerType]: LayerExample[] } = {
  dense: [
    { spec: [{ type: 'dense', units: 24, activation: 'sigmoid' }, { type: 'dense', units: 12, activation: 'relu' }], loss: 'nll' },
    { spec: [{ type: 'dense', units: 16, activation: 'tanh' }], loss: 'squared' },
  ],
  conv2d: [
    { spec: parseModel('conv2d:4:k3:p1:relu,maxpool2d:2,conv2d:6:k5:s2:p2:gelu,flatten,dense:12:tanh'), loss: 'nll' },
    { spec: parseModel('conv2d:3:k5:s2:leaky_relu'), loss: 'squared' },
  ],
  maxpool2d: [{ spec: parseModel('conv2d:4:k3:gelu,maxpool2d:3,dense:8:sigmoid'), loss: 'nll' }],
  flatten: [{ spec: parseModel('conv2d:2:k1:sigmoid,maxpool2d:2,flatten'), loss: 'nll' }],
};

export const EXAMPLE_INPUT = [1, 28, 28];
export const EXAMPLE_CLASSES = 10;

/** Every example with its layer type, for it.each. */
export const layerExamples = (): (LayerExample & { type: LayerType })[] =>
  (Object.keys(LAYER_EXAMPLES) as LayerType[]).flatMap((type) => LAYER_EXAMPLES[type].map((e) => ({ ...e, type })));
