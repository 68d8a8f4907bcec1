// The CPU twin of a network's forward and backward pass: a walk over its resolved layers that
// calls each layer type's twin, the same walk src/train/step.ts makes on the GPU.
import { activationBackwardCpu } from '../reference/kernels.ts';
import { layerForward, layerModule } from './layers/index.ts';
import type { ResolvedLayer } from './spec.ts';

/** A layer with its parameter tensors (layer.params order). */
export interface LayerParams {
  layer: ResolvedLayer;
  params: Float32Array[];
}

export interface NetworkForward {
  /** inputs[l] is layer l's input, (B, ...inShape): x, then every layer's output but the last. */
  inputs: Float32Array[];
  /** pres[l] is layer l's pre-activation where its activation's backward reads it, else null. */
  pres: (Float32Array | null)[];
  /** (B, ...outShape) of the last layer: the logits for 'nll', the sigmoid's for 'squared'. */
  out: Float32Array;
}

export function forwardNetworkCpu(layers: readonly LayerParams[], x: Float32Array, B: number): NetworkForward {
  const inputs: Float32Array[] = [];
  const pres: (Float32Array | null)[] = [];
  let h = x;
  for (const { layer, params } of layers) {
    inputs.push(h);
    const { out, pre } = layerForward(layer.spec.type).forwardCpu(layer, params, h, B);
    pres.push(pre);
    h = out;
  }
  return { inputs, pres, out: h };
}

/** Every parameter's gradient, per layer in layer.params order, from dz of the last layer: each
 * layer's input gradient goes through the activation of the layer below (whose output it is). */
export function backwardNetworkCpu(layers: readonly LayerParams[], fwd: NetworkForward, dzOut: Float32Array, B: number): Float32Array[][] {
  const grads: Float32Array[][] = new Array(layers.length);
  let dz = dzOut;
  for (let l = layers.length - 1; l >= 0; l--) {
    const { layer, params } = layers[l];
    const { grads: g, dx } = layerModule(layer.spec.type).backwardCpu(layer, params, fwd.inputs[l], dz, B, l > 0);
    grads[l] = g;
    // Through the activation of the layer below, from what its backward reads: its output (this
    // layer's input) or its pre-activation.
    if (dx) dz = activationBackwardCpu(dx, fwd.pres[l - 1] ?? fwd.inputs[l], layers[l - 1].layer.activation);
  }
  return grads;
}
