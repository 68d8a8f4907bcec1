// The layer registry's CPU twins, type by type: each layer type's backward pass against finite
// differences of its own forward pass, inside a network (test/support/layer-examples.ts), and the
// names and shapes resolveNetwork gives.
import { describe, expect, it } from 'vitest';
import { createRng, deriveRng } from '../../src/data/prng.ts';
import { layerModule, LAYER_TYPES } from '../../src/model/layers/index.ts';
import { backwardNetworkCpu, forwardNetworkCpu, type LayerParams } from '../../src/model/network.ts';
import { denseSpec, elementCount, parseModel, resolveNetwork } from '../../src/model/spec.ts';
import { activationBackwardCpu, logSoftmaxNllCpu, squaredErrorCpu } from '../../src/reference/kernels.ts';
import type { LossKind } from '../../src/model/losses.ts';
import { ConfigError } from '../../src/train/config.ts';
import { EXAMPLE_CLASSES, EXAMPLE_INPUT, LAYER_EXAMPLES, layerExamples } from '../support/layer-examples.ts';

/** The batch's mean loss and dz of the last layer, as the trainer takes them. */
function lossOf(out: Float32Array, labels: number[], B: number, loss: LossKind) {
  if (loss === 'nll') {
    const r = logSoftmaxNllCpu(out, labels, B, EXAMPLE_CLASSES);
    return { loss: r.loss, dz: r.grad };
  }
  const r = squaredErrorCpu(out, labels, B, EXAMPLE_CLASSES);
  return { loss: r.loss, dz: activationBackwardCpu(r.grad, out, 'sigmoid') };
}

describe('layer registry', () => {
  it('has an example network for every layer type', () => {
    for (const type of LAYER_TYPES) expect(LAYER_EXAMPLES[type].length, type).toBeGreaterThan(0);
  });

  it.each(layerExamples())('$type: backward equals central differences of forward, every tensor (%#)', ({ spec, loss }) => {
    const B = 3;
    const labels = [1, 7, 4];
    const rng = createRng(8);
    const x = Float32Array.from({ length: B * elementCount(EXAMPLE_INPUT) }, () => rng.next());
    const init = deriveRng(4, 0);
    const layers: LayerParams[] = resolveNetwork(spec, EXAMPLE_INPUT, EXAMPLE_CLASSES, loss).map((layer) => ({
      layer,
      // Dense layers wider than the init, so the activations work away from their linear middle. A
      // convolution's outputs are already spread (they sum 9-25 taps of inputs in [0, 1]); wider,
      // they would saturate and cross ReLU's kink and the pools' switches within the step h.
      params: layerModule(layer.spec.type).init(layer, init).map((t) => t.map((v) => (layer.spec.type === 'dense' ? 4 : 1) * v)),
    }));
    const lossAt = () => lossOf(forwardNetworkCpu(layers, x, B).out, labels, B, loss).loss;
    const fwd = forwardNetworkCpu(layers, x, B);
    const grads = backwardNetworkCpu(layers, fwd, lossOf(fwd.out, labels, B, loss).dz, B);
    // The forward pass stores float32 (relative rounding 6e-8), so the step is large and the
    // comparison loose: a gradient with a wrong index, sign or missing term is off by far more. A
    // convolution's weight moves hundreds of outputs per sample, some across ReLU's kink or a
    // pool's switch, so its step is smaller, and errors count against the tensor's gradient scale
    // (a tenth of its largest element), not against its near-zero elements; and of its elements,
    // some (at most a quarter) may be off by such crossings, none by half: a wrong index or term
    // is off everywhere. The exact check of these layers is against PyTorch (test/torch).
    layers.forEach(({ layer, params }, l) => params.forEach((p, t) => {
      const h = layer.spec.type === 'dense' ? 1e-2 : 1e-3;
      const checked: { analytic: number; numeric: number }[] = [];
      // About 60 elements per tensor, spread over it.
      for (let i = 0; i < p.length; i += Math.max(1, Math.floor(p.length / 60))) {
        const keep = p[i];
        p[i] = keep + h;
        const up = lossAt();
        p[i] = keep - h;
        const down = lossAt();
        p[i] = keep;
        checked.push({ analytic: grads[l][t][i], numeric: (up - down) / (2 * h) });
      }
      const scale = layer.spec.type === 'dense' ? 1e-3 : 0.1 * Math.max(...checked.map((c) => Math.abs(c.numeric)));
      const errors = checked.map((c) => Math.abs(c.analytic - c.numeric) / Math.max(Math.abs(c.numeric), scale));
      const off = errors.filter((e) => e >= 2e-2).length;
      const what = `${layer.params[t].name}: ${off} of ${errors.length} off by 2e-2 or more, the worst by ${Math.max(...errors).toExponential(2)}`;
      expect(off, what).toBeLessThanOrEqual(layer.spec.type === 'dense' ? 0 : 0.25 * errors.length);
      expect(Math.max(...errors), what).toBeLessThan(0.5);
    }));
  });

  it('names layers and tensors as PyTorch does, the output layer appended from the classes and loss', () => {
    const layers = resolveNetwork(denseSpec([512, 256], ['relu', 'tanh']), [784], 3, 'squared');
    expect(layers.map((l) => [l.name, l.inShape, l.outShape, l.activation])).toEqual([
      ['fc1', [784], [512], 'relu'], ['fc2', [512], [256], 'tanh'], ['fc3', [256], [3], 'sigmoid']]);
    expect(layers.flatMap((l) => l.params)).toEqual([
      { name: 'fc1.weight', shape: [512, 784] }, { name: 'fc1.bias', shape: [512] },
      { name: 'fc2.weight', shape: [256, 512] }, { name: 'fc2.bias', shape: [256] },
      { name: 'fc3.weight', shape: [3, 256] }, { name: 'fc3.bias', shape: [3] }]);
    expect(resolveNetwork([], [784], 10, 'nll').map((l) => [l.name, l.activation])).toEqual([['fc1', 'none']]);
  });

  it('shapes a CNN as PyTorch does: NCHW, conv weights (out, in, k, k), floored pooling, a dense layer on the flat map', () => {
    const layers = resolveNetwork(parseModel('conv2d:8:k3:p1:relu,maxpool2d:2,conv2d:16:k5:s2:p2:gelu,maxpool2d:3,flatten,dense:32:relu'), [1, 28, 28], 10, 'nll');
    expect(layers.map((l) => [l.name, l.outShape, l.activation])).toEqual([
      ['conv1', [8, 28, 28], 'relu'], ['pool1', [8, 14, 14], 'none'], ['conv2', [16, 7, 7], 'gelu'], ['pool2', [16, 2, 2], 'none'],
      ['flatten1', [64], 'none'], ['fc1', [32], 'relu'], ['fc2', [10], 'none']]);
    expect(layers.flatMap((l) => l.params)).toEqual([
      { name: 'conv1.weight', shape: [8, 1, 3, 3] }, { name: 'conv1.bias', shape: [8] },
      { name: 'conv2.weight', shape: [16, 8, 5, 5] }, { name: 'conv2.bias', shape: [16] },
      { name: 'fc1.weight', shape: [32, 64] }, { name: 'fc1.bias', shape: [32] },
      { name: 'fc2.weight', shape: [10, 32] }, { name: 'fc2.bias', shape: [10] }]);
  });

  it('refuses a bad spec naming the option and the layer', () => {
    expect(() => resolveNetwork(denseSpec([512, 0], ['sigmoid']), [784], 10, 'nll')).toThrow(ConfigError);
    expect(() => resolveNetwork(denseSpec([512, 0], ['sigmoid']), [784], 10, 'nll')).toThrow(/^--model fc2: units must be a positive integer, got 0/);
    expect(() => resolveNetwork(parseModel('conv2d:8:k3'), [784], 10, 'nll')).toThrow(/^--model conv1 is a convolution over images \(channels, height, width\), but its input is rows of 784 values/);
    expect(() => resolveNetwork(parseModel('conv2d:8:k3,flatten,maxpool2d:2'), [1, 28, 28], 10, 'nll')).toThrow(/^--model pool1 is pooling over images/);
    expect(() => resolveNetwork(parseModel('conv2d:8:k9,conv2d:8:k9,conv2d:8:k9,conv2d:8:k9'), [1, 28, 28], 10, 'nll'))
      .toThrow(/^--model conv4: a 9x9 kernel does not fit its 4x4 input with padding 0: use a smaller kernel or more padding/);
    expect(() => resolveNetwork(parseModel('maxpool2d:29'), [1, 28, 28], 10, 'nll')).toThrow(/^--model pool1: a 29x29 window does not fit its 28x28 input/);
    expect(() => denseSpec([8, 4, 2], ['relu', 'tanh'])).toThrow(/^--activation needs one activation for every hidden layer/);
  });
});
