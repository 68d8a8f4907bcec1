// The layer types, by the `type` of their spec: adding one is adding its module here.
import type { LayerSpec, LayerType } from '../spec.ts';
import { conv2d } from './conv2d.ts';
import { dense } from './dense.ts';
import { flatten } from './flatten.ts';
import { maxpool2d } from './maxpool2d.ts';
import type { LayerModule } from './layer.ts';

const LAYER_MODULES: { [T in LayerType]: LayerModule<Extract<LayerSpec, { type: T }>> } = { dense, conv2d, maxpool2d, flatten };

export const LAYER_TYPES = Object.keys(LAYER_MODULES) as LayerType[];

export function layerModule(type: LayerType): LayerModule<LayerSpec> {
  return LAYER_MODULES[type] as LayerModule<LayerSpec>;
}
