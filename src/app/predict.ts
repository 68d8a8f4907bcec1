// The current model's class probabilities for one image, on the page's CPU: one forward pass of the
// reference MLP (about 0.5 M multiply-adds) is far cheaper than a round trip to the worker.
import { logSoftmaxNllCpu } from '../reference/kernels.ts';
import { forwardMlp, type Mlp } from '../reference/mlp.ts';
import type { NetworkSpec } from '../model/spec.ts';

/** x is one image (sizes[0] values in [0, 1]), run through the activations the model was trained
 * with; returns softmax probabilities, one per class, or for the squared loss each class's sigmoid
 * output (what that model was trained to make 1 for the right class and 0 elsewhere). */
export function classProbabilities(mlp: Mlp, x: Float32Array, spec: NetworkSpec): Float64Array {
  const classes = mlp.sizes[mlp.sizes.length - 1];
  const out = forwardMlp(mlp, x, 1, spec).logits;
  if (spec.loss === 'squared') return Float64Array.from(out);
  // The reference's log-softmax is fused with the loss; the label is irrelevant to logProbs.
  const { logProbs } = logSoftmaxNllCpu(out, [0], 1, classes);
  return Float64Array.from(logProbs, Math.exp);
}
