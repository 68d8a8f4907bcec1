// nn.Linear and its activation: y = act(x W^T + b), x (B, in), W (out, in), b (out), y (B, out).
// CPU twin from matmulCpu and biasGradCpu; GPU from the matmul kernel's epilogues ('bias' forward,
// 'activation-backward' input gradient, 'update' weight gradient with its bias) and, as the last
// layer, the one-workgroup output-layer kernel.
import { biasGradDispatch } from '../../gpu/kernels/bias-grad.ts';
import { matmulDispatch, type MatmulBuffers, type MatmulDims, type MatmulEpilogue } from '../../gpu/kernels/matmul.ts';
import { outputLayerDispatch, outputLayerFits } from '../../gpu/kernels/output-layer.ts';
import type { Dispatch } from '../../gpu/dispatch.ts';
import { activationCpu, biasGradCpu, matmulCpu } from '../../reference/kernels.ts';
import { readsInput } from '../activations.ts';
import { ConfigError, isPositiveInt } from '../../train/config-error.ts';
import { elementCount, type DenseSpec, type ResolvedLayer } from '../spec.ts';
import { hiddenActivation, onlyFields, type ForwardPlan, type LayerForward, type LayerModule, withTraining } from './layer.ts';

/** (in, out) of a resolved dense layer: an image input is read as its flat rows. */
const dims = (layer: ResolvedLayer) => ({ in: elementCount(layer.inShape), out: layer.outShape[0] });

/** A matmul in the variant chosen for its problem. */
async function matmul(p: ForwardPlan, bufs: MatmulBuffers, d: MatmulDims, epilogue: MatmulEpilogue): Promise<Dispatch> {
  return matmulDispatch(p.ctx, await p.kernels.matmul(d, epilogue), bufs, d, epilogue);
}

export const denseForward: LayerForward<DenseSpec> = {
  type: 'dense',
  namePrefix: 'fc',

  parse(args, fail) {
    if (args.length < 1 || args.length > 2) fail('must be dense:<units>[:<activation>], e.g. dense:512:sigmoid');
    const [units, activation = 'sigmoid'] = args;
    return denseForward.check({ type: 'dense', units: /^\d+$/.test(units) ? Number(units) : units, activation }, fail);
  },

  format: (spec) => `dense:${spec.units}:${spec.activation}`,

  check(spec, fail) {
    const { units } = spec;
    if (!isPositiveInt(units)) fail(`dense units must be a positive integer, got ${JSON.stringify(units)}`);
    const activation = hiddenActivation(spec, fail);
    onlyFields(spec, ['units', 'activation'], fail);
    return { type: 'dense', units: units as number, activation };
  },

  outShape(spec, _inShape, name) {
    if (!isPositiveInt(spec.units)) throw new ConfigError('--model', `${name}: units must be a positive integer, got ${spec.units}`);
    return [spec.units];
  },

  params: (spec, inShape) => [{ name: 'weight', shape: [spec.units, elementCount(inShape)] }, { name: 'bias', shape: [spec.units] }],

  forwardCpu(layer, [weight, bias], x, B) {
    const d = dims(layer);
    // (B, in) x (out, in)^T -> (B, out), the bias and activation applied per element. Where the
    // backward reads the pre-activation, it is stored as f32 and activated from there, as the
    // GPU's forward epilogue does.
    const shape = { M: B, N: d.out, K: d.in, transB: true };
    if (!readsInput(layer.activation)) return { out: matmulCpu(x, weight, bias, { ...shape, activation: layer.activation }), pre: null };
    const pre = matmulCpu(x, weight, bias, shape);
    return { out: activationCpu(pre, layer.activation), pre };
  },

  forwardGpu: async (p, g, x) => {
    const d = dims(g.layer);
    return [await matmul(p, { a: x, b: g.params[0], c: g.act }, { M: p.rows, N: d.out, K: d.in, transB: true },
      { kind: 'bias', bias: g.params[1], activation: g.layer.activation, ...(g.pre ? { pre: g.pre } : {}) })];
  },
};

export const dense: LayerModule<DenseSpec> = /* @__PURE__ */ withTraining(denseForward, {
  // kaiming_uniform with a = sqrt(5) reduces to U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for the weight,
  // and the bias uses the same bound; row-major, the weight first, so the GPU can reproduce it.
  init(layer, rng) {
    const { in: fanIn, out } = dims(layer);
    const bound = 1 / Math.sqrt(fanIn);
    const weight = new Float32Array(out * fanIn);
    for (let i = 0; i < weight.length; i++) weight[i] = rng.uniform(-bound, bound);
    const bias = new Float32Array(out);
    for (let i = 0; i < bias.length; i++) bias[i] = rng.uniform(-bound, bound);
    return [weight, bias];
  },

  backwardCpu(layer, [weight], x, dz, B, inputGradient) {
    const d = dims(layer);
    // dW = dz^T x: (B, out) read as (out, B) times (B, in); db = column sums of dz.
    const grads = [matmulCpu(dz, x, null, { M: d.out, N: d.in, K: B, transA: true }), biasGradCpu(dz, B, d.out)];
    // dx = dz W: (B, out) x (out, in) -> (B, in).
    return { grads, dx: inputGradient ? matmulCpu(dz, weight, null, { M: B, N: d.in, K: d.out }) : null };
  },

  inputGradientGpu: async (p, g, _x, target) => {
    const d = dims(g.layer);
    const dimsDx = { M: p.rows, N: d.in, K: d.out };
    return [target.kind === 'store'
      ? await matmul(p, { a: g.gradZ, b: g.params[0], c: target.dx }, dimsDx, { kind: 'store' })
      : await matmul(p, { a: g.gradZ, b: g.params[0], c: target.dz }, dimsDx, { kind: 'activation-backward', kept: target.kept, activation: target.activation })];
  },

  gradientGpu: async (p, g, x, [dWeight, dBias]) => {
    const d = dims(g.layer);
    return [
      await matmul(p, { a: g.gradZ, b: x, c: dWeight }, { M: d.out, N: d.in, K: p.rows, transA: true }, { kind: 'store' }),
      biasGradDispatch(p.ctx, await p.kernels.biasGrad(p.rows, d.out), { dY: g.gradZ, db: dBias }, { M: p.rows, N: d.out }),
    ];
  },

  // The optimizer's steps of W with dz^T x and of b with the column sums of dz, in one dispatch.
  fusedUpdateGpu: async (p, g, x, optimizer) => {
    const d = dims(g.layer);
    const state = g.state;
    return [await matmul(p, { a: g.gradZ, b: x, c: g.params[0] }, { M: d.out, N: d.in, K: p.rows, transA: true },
      { kind: 'update', optimizer, state: state && state[0], record: p.record.buffer, bias: { param: g.params[1], state: state && state[1] } })];
  },

  outputKernel(p, g, { x, labels, record, loss, train, predict }) {
    const d = dims(g.layer);
    // The kernel writes the delta of the layer below only through that layer's activation.
    const below = train?.below;
    if (!outputLayerFits(p.rows, d.out) || below?.activation === 'none') return null;
    const state = g.state;
    return outputLayerDispatch(p.ctx, { h: x, weight: g.params[0], bias: g.params[1], labels, record }, { B: p.rows, H: d.in, C: d.out, loss, predict,
      train: train && { optimizer: train.optimizer, stateWeight: state && state[0], stateBias: state && state[1],
        below: below ? { dz: below.dz, activation: below.activation, pre: below.pre } : null } });
  },
});
