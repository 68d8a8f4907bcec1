// The current model's class probabilities for one image, on the page's CPU: one forward pass of the
// reference MLP (about 0.5 M multiply-adds) is far cheaper than a round trip to the worker.
import { logSoftmaxNllCpu } from '../reference/kernels.ts';
import { forwardMlp, type Mlp } from '../reference/mlp.ts';

/** x is one image (sizes[0] values in [0, 1]); returns softmax probabilities, one per class. */
export function classProbabilities(mlp: Mlp, x: Float32Array): Float64Array {
  const classes = mlp.sizes[mlp.sizes.length - 1];
  // The reference's log-softmax is fused with the loss; the label is irrelevant to logProbs.
  const { logProbs } = logSoftmaxNllCpu(forwardMlp(mlp, x, 1).logits, [0], 1, classes);
  return Float64Array.from(logProbs, Math.exp);
}
