// The current model's class probabilities for one image, on the page's CPU: one forward pass of the
// reference network (about 0.5 M multiply-adds for the notebook's MLP, 0.3 M for the cnn preset)
// is far cheaper than a round trip to the worker. The pass keeps every layer's input, which the
// feature-map view draws.
import { logSoftmaxNllCpu } from '../reference/kernels.ts';
import { mlpLayerParams, type Mlp } from '../reference/mlp.ts';
import { forwardNetworkCpu, type LayerParams, type NetworkForward } from '../model/network.ts';
import type { NetworkSpec } from '../model/spec.ts';

export interface DigitReading {
  /** Softmax probabilities, one per class, or for the squared loss each class's sigmoid output
   * (what that model was trained to make 1 for the right class and 0 elsewhere). */
  probs: Float64Array;
  layers: LayerParams[];
  /** inputs[l] is layer l's input: the image, then every layer's output but the last. */
  forward: NetworkForward;
}

/** x is one sample (mlp.inputShape, values in [0, 1]), run through the layers and activations the
 * model was trained with. */
export function readDigit(mlp: Mlp, x: Float32Array, spec: NetworkSpec): DigitReading {
  const classes = mlp.sizes[mlp.sizes.length - 1];
  const layers = mlpLayerParams(mlp, spec);
  const forward = forwardNetworkCpu(layers, x, 1);
  if (spec.loss === 'squared') return { probs: Float64Array.from(forward.out), layers, forward };
  // The reference's log-softmax is fused with the loss; the label is irrelevant to logProbs.
  const { logProbs } = logSoftmaxNllCpu(forward.out, [0], 1, classes);
  return { probs: Float64Array.from(logProbs, Math.exp), layers, forward };
}
