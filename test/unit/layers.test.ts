// The layer registry's CPU twins, type by type: each layer type's backward pass against finite
// differences of its own forward pass, inside a network (test/support/layer-examples.ts), and the
// names and shapes resolveNetwork gives.
import { describe, expect, it } from 'vitest';
import { createRng, deriveRng } from '../../src/data/prng.ts';
import { layerModule, LAYER_TYPES } from '../../src/model/layers/index.ts';
import { backwardNetworkCpu, forwardNetworkCpu, type LayerParams } from '../../src/model/network.ts';
import { denseSpec, resolveNetwork } from '../../src/model/spec.ts';
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
    const x = Float32Array.from({ length: B * EXAMPLE_INPUT[0] }, () => rng.next());
    const init = deriveRng(4, 0);
    const layers: LayerParams[] = resolveNetwork(spec, EXAMPLE_INPUT, EXAMPLE_CLASSES, loss).map((layer) => ({
      layer,
      // Wider than the init, so the activations work away from their linear middle.
      params: layerModule(layer.spec.type).init(layer, init).map((t) => t.map((v) => 4 * v)),
    }));
    const lossAt = () => lossOf(forwardNetworkCpu(layers, x, B).out, labels, B, loss).loss;
    const fwd = forwardNetworkCpu(layers, x, B);
    const grads = backwardNetworkCpu(layers, fwd, lossOf(fwd.out, labels, B, loss).dz, B);
    // The forward pass stores float32 (relative rounding 6e-8), so the step is large and the
    // comparison loose: a gradient with a wrong index, sign or missing term is off by far more.
    const h = 1e-2;
    layers.forEach(({ layer, params }, l) => params.forEach((p, t) => {
      let worst = 0;
      // About 60 elements per tensor, spread over it.
      for (let i = 0; i < p.length; i += Math.max(1, Math.floor(p.length / 60))) {
        const keep = p[i];
        p[i] = keep + h;
        const up = lossAt();
        p[i] = keep - h;
        const down = lossAt();
        p[i] = keep;
        const numeric = (up - down) / (2 * h);
        worst = Math.max(worst, Math.abs(grads[l][t][i] - numeric) / Math.max(Math.abs(numeric), 1e-3));
      }
      expect(worst, layer.params[t].name).toBeLessThan(2e-2);
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

  it('refuses a bad spec naming the option and the layer', () => {
    expect(() => resolveNetwork(denseSpec([512, 0], ['sigmoid']), [784], 10, 'nll')).toThrow(ConfigError);
    expect(() => resolveNetwork(denseSpec([512, 0], ['sigmoid']), [784], 10, 'nll')).toThrow(/^--model fc2: units must be a positive integer, got 0/);
    expect(() => resolveNetwork(denseSpec([8], ['sigmoid']), [1, 28, 28], 10, 'nll')).toThrow(/^--model fc1 is dense and takes flat rows/);
    expect(() => denseSpec([8, 4, 2], ['relu', 'tanh'])).toThrow(/^--activation needs one activation for every hidden layer/);
  });
});
