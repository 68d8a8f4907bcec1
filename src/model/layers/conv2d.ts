// nn.Conv2d (square kernel, bias) and its activation on NCHW images: x (B, C, H, W), weight
// (channels, C, k, k), bias (channels), y (B, channels, OH, OW). CPU twin from
// src/reference/conv.ts; GPU from shaders/conv2d.wgsl's kernels with their fused epilogues (bias
// and activation forward, the layer below's activation backward in the input gradient, the
// optimizer's step in the weight gradient).
import { conv2dForwardDispatch, conv2dInputGradDispatch, conv2dWeightGradDispatch } from '../../gpu/kernels/conv2d.ts';
import { conv2dCpu, conv2dInputGradCpu, conv2dOutSize, conv2dWeightGradCpu, type Conv2dShape } from '../../reference/conv.ts';
import { activationCpu } from '../../reference/kernels.ts';
import { ConfigError, isPositiveInt } from '../../train/config-error.ts';
import { readsInput } from '../activations.ts';
import type { Conv2dSpec, ResolvedLayer } from '../spec.ts';
import { hiddenActivation, imageShape, onlyFields, type LayerForward, type LayerModule, withTraining } from './layer.ts';

const GRAMMAR = 'conv2d:<channels>:k<kernel>[:s<stride>][:p<padding>][:<activation>], e.g. conv2d:16:k3:p1:relu';
const LETTER_FIELDS = { k: 'kernel', s: 'stride', p: 'padding' } as const;

/** The layer's convolution over a batch of `batch` images. */
function shapeOf(layer: ResolvedLayer, batch: number): Conv2dShape {
  const spec = layer.spec as Conv2dSpec;
  const [inC, H, W] = layer.inShape;
  return { batch, inC, outC: spec.channels, H, W, k: spec.kernel, stride: spec.stride, pad: spec.padding };
}

export const conv2dForward: LayerForward<Conv2dSpec> = {
  type: 'conv2d',
  namePrefix: 'conv',

  parse(args, fail) {
    const [channels, ...rest] = args;
    if (channels === undefined || channels === '') fail(`must be ${GRAMMAR}`);
    const spec: Record<string, unknown> = { type: 'conv2d', channels: /^\d+$/.test(channels) ? Number(channels) : channels };
    for (const arg of rest) {
      const m = /^([ksp])(\d+)$/.exec(arg);
      const field = m ? LETTER_FIELDS[m[1] as keyof typeof LETTER_FIELDS] : 'activation';
      if (field in spec) fail(`gives the ${field} twice (${JSON.stringify(arg)}): write ${GRAMMAR}`);
      spec[field] = m ? Number(m[2]) : arg;
    }
    if (!('kernel' in spec)) fail(`needs its kernel side, k<side>: write ${GRAMMAR}`);
    return conv2dForward.check({ stride: 1, padding: 0, activation: 'relu', ...spec }, fail);
  },

  format: (s) => `conv2d:${s.channels}:k${s.kernel}${s.stride === 1 ? '' : `:s${s.stride}`}${s.padding === 0 ? '' : `:p${s.padding}`}:${s.activation}`,

  check(spec, fail) {
    const { channels, kernel, stride = 1, padding = 0 } = spec;
    if (!isPositiveInt(channels)) fail(`conv2d channels must be a positive integer, got ${JSON.stringify(channels)}`);
    if (!isPositiveInt(kernel)) fail(`conv2d kernel must be a positive integer (the side of a square kernel), got ${JSON.stringify(kernel)}`);
    if (!isPositiveInt(stride)) fail(`conv2d stride must be a positive integer, got ${JSON.stringify(stride)}`);
    if (!(Number.isInteger(padding) && (padding as number) >= 0)) fail(`conv2d padding must be an integer >= 0, got ${JSON.stringify(padding)}`);
    const activation = hiddenActivation({ activation: 'relu', ...spec }, fail);
    onlyFields(spec, ['channels', 'kernel', 'stride', 'padding', 'activation'], fail);
    return { type: 'conv2d', channels: channels as number, kernel: kernel as number, stride: stride as number, padding: padding as number, activation };
  },

  outShape(spec, inShape, name) {
    const [C, H, W] = imageShape(inShape, name, 'a convolution');
    const { OH, OW } = conv2dOutSize({ batch: 1, inC: C, outC: spec.channels, H, W, k: spec.kernel, stride: spec.stride, pad: spec.padding });
    if (OH < 1 || OW < 1) {
      throw new ConfigError('--model', `${name}: a ${spec.kernel}x${spec.kernel} kernel does not fit its ${H}x${W} input with padding ${spec.padding}: use a smaller kernel or more padding`);
    }
    return [spec.channels, OH, OW];
  },

  params: (spec, inShape) => [{ name: 'weight', shape: [spec.channels, inShape[0], spec.kernel, spec.kernel] }, { name: 'bias', shape: [spec.channels] }],

  forwardCpu(layer, [weight, bias], x, B) {
    const shape = shapeOf(layer, B);
    // As the dense twin: where the backward reads the pre-activation, it is stored as f32 and
    // activated from there, as the GPU's forward epilogue does.
    if (!readsInput(layer.activation)) return { out: conv2dCpu(x, weight, bias, shape, layer.activation), pre: null };
    const pre = conv2dCpu(x, weight, bias, shape);
    return { out: activationCpu(pre, layer.activation), pre };
  },

  async forwardGpu(p, g, x) {
    const shape = shapeOf(g.layer, p.rows);
    return [conv2dForwardDispatch(p.ctx, { x, w: g.params[0], y: g.act }, shape,
      { bias: g.params[1], activation: g.layer.activation, ...(g.pre ? { pre: g.pre } : {}) }, await p.kernels.conv2d('forward', shape))];
  },
};

export const conv2d: LayerModule<Conv2dSpec> = /* @__PURE__ */ withTraining(conv2dForward, {
  // PyTorch's default, as nn.Linear's: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in = C k k for
  // the weight and the bias; the weight drawn first.
  init(layer, rng) {
    const [out, C, k] = layer.params[0].shape;
    const bound = 1 / Math.sqrt(C * k * k);
    const draw = (n: number) => Float32Array.from({ length: n }, () => rng.uniform(-bound, bound));
    return [draw(out * C * k * k), draw(out)];
  },

  backwardCpu(layer, [weight], x, dz, B, inputGradient) {
    const shape = shapeOf(layer, B);
    const { dW, db } = conv2dWeightGradCpu(x, dz, shape);
    return { grads: [dW, db], dx: inputGradient ? conv2dInputGradCpu(dz, weight, shape) : null };
  },

  async inputGradientGpu(p, g, _x, target) {
    const shape = shapeOf(g.layer, p.rows);
    const variant = await p.kernels.conv2d('input-grad', shape);
    return [target.kind === 'store'
      ? conv2dInputGradDispatch(p.ctx, { dy: g.gradZ, w: g.params[0], dx: target.dx }, shape, undefined, variant)
      : conv2dInputGradDispatch(p.ctx, { dy: g.gradZ, w: g.params[0], dx: target.dz }, shape, { kept: target.kept, activation: target.activation }, variant)];
  },

  gradientGpu: async (p, g, x, [dW, db]) => [conv2dWeightGradDispatch(p.ctx, { x, dy: g.gradZ, dW, db }, shapeOf(g.layer, p.rows))],

  // The weight's and the bias's optimizer steps from their gradients, in one dispatch.
  fusedUpdateGpu: async (p, g, x, optimizer) => [conv2dWeightGradDispatch(p.ctx, { x, dy: g.gradZ, dW: g.params[0], db: g.params[1] }, shapeOf(g.layer, p.rows),
    { kind: 'update', optimizer, state: g.state?.[0] ?? null, biasState: g.state?.[1] ?? null, record: p.record.buffer })],
});
