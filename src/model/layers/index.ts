// The layer types, by the `type` of their spec: adding one is adding its module here. Each type
// has two objects, its forward pass and its whole module (forward and training), so that a
// bundle of the forward pass alone (the inference entry) carries no training code.
import type { LayerSpec, LayerType } from '../spec.ts';
import { conv2d, conv2dForward } from './conv2d.ts';
import { dense, denseForward } from './dense.ts';
import { flatten, flattenForward } from './flatten.ts';
import { maxpool2d, maxpool2dForward } from './maxpool2d.ts';
import type { LayerForward, LayerModule } from './layer.ts';

const LAYER_FORWARDS: { [T in LayerType]: LayerForward<Extract<LayerSpec, { type: T }>> } = {
  dense: denseForward, conv2d: conv2dForward, maxpool2d: maxpool2dForward, flatten: flattenForward,
};
const LAYER_MODULES: { [T in LayerType]: LayerModule<Extract<LayerSpec, { type: T }>> } = { dense, conv2d, maxpool2d, flatten };

export const LAYER_TYPES = Object.keys(LAYER_FORWARDS) as LayerType[];

/** A layer type's spec, shapes and forward pass. */
export function layerForward(type: LayerType): LayerForward<LayerSpec> {
  return LAYER_FORWARDS[type] as LayerForward<LayerSpec>;
}

/** A layer type's forward pass and training. */
export function layerModule(type: LayerType): LayerModule<LayerSpec> {
  return LAYER_MODULES[type] as LayerModule<LayerSpec>;
}
