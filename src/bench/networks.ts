// The two networks the bench trains: the notebook's MLP (784-512-256-10, sigmoid) and the CNN
// preset (MODEL_PRESETS.cnn) on 28x28 images, each with the plain-SGD rate its timed steps use.
import { formatModel, MODEL_PRESETS, parseModel, resolveNetwork, type NetworkSpec } from '../model/spec.ts';
import { initMlp, initNetwork, MNIST_MLP_SIZES, notebookSpec, type Mlp } from '../reference/mlp.ts';
import { validateConfig, type TrainConfig } from '../train/config.ts';

export type BenchModel = 'mlp' | 'cnn';

export interface BenchNetwork {
  name: BenchModel;
  spec: NetworkSpec;
  /** PyTorch's default init of the network, from this seed. */
  init(seed: number): Mlp;
  /** Plain SGD's rate for the bench's timed steps and peer checks: the notebook's 0.5 for the MLP;
   * 0.01 for the CNN, whose ReLU layers that rate keeps finite on repeated synthetic batches. */
  lr: number;
}

const IMAGE_SHAPE = [1, 28, 28];
const CLASSES = 10;

export const BENCH_NETWORKS: Readonly<Record<BenchModel, BenchNetwork>> = {
  mlp: { name: 'mlp', spec: notebookSpec(MNIST_MLP_SIZES), init: (seed) => initMlp([...MNIST_MLP_SIZES], seed), lr: 0.5 },
  cnn: {
    name: 'cnn',
    spec: { model: parseModel(MODEL_PRESETS.cnn), loss: 'nll' },
    init: (seed) => initNetwork(resolveNetwork(parseModel(MODEL_PRESETS.cnn), IMAGE_SHAPE, CLASSES, 'nll'), seed),
    lr: 0.01,
  },
};

/** The training configuration of a bench network's timed steps: plain SGD at its rate. */
export function stepConfig(net: BenchNetwork, batchSize: number, readbackEvery: number): TrainConfig {
  return validateConfig({ model: [...net.spec.model], loss: net.spec.loss, batchSize, epochs: 1, readbackEvery, lr: net.lr });
}

/** "cnn (conv2d:8:k3:p1:relu,...)". */
export const describeBenchNetwork = (net: BenchNetwork): string => `${net.name} (${formatModel(net.spec.model)})`;
