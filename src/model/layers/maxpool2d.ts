// nn.MaxPool2d with stride = kernel side on NCHW images: x (B, C, H, W), y (B, C, H / k, W / k)
// floored. No parameters. CPU twin from src/reference/conv.ts; GPU from shaders/maxpool2d.wgsl,
// whose backward also applies the activation backward of the layer below when that reads the
// output (the pooled maximum is that output); one that reads its pre-activation (GELU) takes a
// dispatch of its own, from the layer's scratch buffer.
import { activationBackwardDispatch } from '../../gpu/kernels/activation.ts';
import { maxpool2dBackwardDispatch, maxpool2dDispatch } from '../../gpu/kernels/maxpool2d.ts';
import { maxpool2dBackwardCpu, maxpool2dCpu, type Maxpool2dShape } from '../../reference/conv.ts';
import { ConfigError, isPositiveInt } from '../../train/config-error.ts';
import { readsInput } from '../activations.ts';
import { elementCount, type Maxpool2dSpec, type ResolvedLayer } from '../spec.ts';
import { imageShape, onlyFields, type LayerForward, type LayerModule, withTraining } from './layer.ts';

function shapeOf(layer: ResolvedLayer, batch: number): Maxpool2dShape {
  const [C, H, W] = layer.inShape;
  return { batch, C, H, W, k: (layer.spec as Maxpool2dSpec).kernel };
}

export const maxpool2dForward: LayerForward<Maxpool2dSpec> = {
  type: 'maxpool2d',
  namePrefix: 'pool',

  parse(args, fail) {
    if (args.length !== 1 || !/^\d+$/.test(args[0])) fail('must be maxpool2d:<kernel> (the window side, also its stride), e.g. maxpool2d:2');
    return maxpool2dForward.check({ type: 'maxpool2d', kernel: Number(args[0]) }, fail);
  },

  format: (s) => `maxpool2d:${s.kernel}`,

  check(spec, fail) {
    if (!isPositiveInt(spec.kernel)) fail(`maxpool2d kernel must be a positive integer (the window side, also its stride), got ${JSON.stringify(spec.kernel)}`);
    onlyFields(spec, ['kernel'], fail);
    return { type: 'maxpool2d', kernel: spec.kernel as number };
  },

  outShape(spec, inShape, name) {
    const [C, H, W] = imageShape(inShape, name, 'pooling');
    if (spec.kernel > H || spec.kernel > W) throw new ConfigError('--model', `${name}: a ${spec.kernel}x${spec.kernel} window does not fit its ${H}x${W} input: use a smaller window`);
    return [C, Math.floor(H / spec.kernel), Math.floor(W / spec.kernel)];
  },

  params: () => [],

  forwardCpu: (layer, _params, x, B) => ({ out: maxpool2dCpu(x, shapeOf(layer, B)), pre: null }),

  forwardGpu: async (p, g, x) => [maxpool2dDispatch(p.ctx, { x, y: g.act }, shapeOf(g.layer, p.rows))],
};

export const maxpool2d: LayerModule<Maxpool2dSpec> = /* @__PURE__ */ withTraining(maxpool2dForward, {
  init: () => [],
  scratchFloats: (layer, below) => (below && readsInput(below.activation) ? elementCount(layer.inShape) : 0),

  backwardCpu: (layer, _params, x, dz, B, inputGradient) => ({ grads: [], dx: inputGradient ? maxpool2dBackwardCpu(x, dz, shapeOf(layer, B)) : null }),

  inputGradientGpu: async (p, g, x, target) => {
    const shape = shapeOf(g.layer, p.rows);
    if (target.kind === 'store') return [maxpool2dBackwardDispatch(p.ctx, { x, dy: g.gradZ, dx: target.dx }, shape)];
    // The activation reads its output: x itself, which the pooling reads anyway.
    if (!readsInput(target.activation)) return [maxpool2dBackwardDispatch(p.ctx, { x, dy: g.gradZ, dx: target.dz }, shape, target.activation)];
    if (!g.scratch) throw new Error(`${g.layer.name}: the GPU model has no scratch buffer for the ${target.activation} backward below it`);
    return [
      maxpool2dBackwardDispatch(p.ctx, { x, dy: g.gradZ, dx: g.scratch }, shape),
      activationBackwardDispatch(p.ctx, target.activation, { g: g.scratch, kept: target.kept, dx: target.dz }, p.rows * elementCount(g.layer.inShape)),
    ];
  },

  gradientGpu: async () => [],
  fusedUpdateGpu: async () => [],
});
