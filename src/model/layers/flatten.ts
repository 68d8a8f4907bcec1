// nn.Flatten: (C, H, W) per sample read as one row of C H W values. In NCHW the values do not
// move, so the CPU twin hands its input on and the GPU model leaves the layer out (`view`): the
// layer above reads the buffer below, its gradient lands where the layer below keeps its own.
import { elementCount, type FlattenSpec } from '../spec.ts';
import { onlyFields, type LayerForward, type LayerModule, withTraining } from './layer.ts';

const none = async () => [];

export const flattenForward: LayerForward<FlattenSpec> = {
  type: 'flatten',
  namePrefix: 'flatten',
  view: true,

  parse(args, fail) {
    if (args.length > 0) fail('takes no arguments: write flatten');
    return { type: 'flatten' };
  },

  format: () => 'flatten',

  check(spec, fail) {
    onlyFields(spec, [], fail);
    return { type: 'flatten' };
  },

  outShape: (_spec, inShape) => [elementCount(inShape)],
  params: () => [],

  forwardCpu: (_layer, _params, x) => ({ out: x, pre: null }),

  forwardGpu: none,
};

export const flatten: LayerModule<FlattenSpec> = /* @__PURE__ */ withTraining(flattenForward, {
  init: () => [],
  backwardCpu: (_layer, _params, _x, dz, _B, inputGradient) => ({ grads: [], dx: inputGradient ? dz : null }),
  inputGradientGpu: none,
  gradientGpu: none,
  fusedUpdateGpu: none,
});
