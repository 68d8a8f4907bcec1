// loadModel on the CPU: which network each kind of file gives, and the errors that name the
// problem (the GPU path and the parity with the Trainer: test/gpu/infer.test.ts).
import { describe, expect, it } from 'vitest';
import { ConfigError, DatasetError, loadModel, SafetensorsError } from '../../src/lib/infer.ts';
import { forwardNetworkCpu } from '../../src/model/network.ts';
import { parseModel, resolveNetwork } from '../../src/model/spec.ts';
import { initNetwork, mlpParamTensors } from '../../src/reference/mlp.ts';
import { encodeTensors } from '../../src/train/safetensors.ts';

/** A file of these layers' initial weights with `metadata`, and the network's logits of `x`. */
function modelFile(model: string, inputShape: number[], metadata: Record<string, string>, x: Float32Array) {
  const layers = resolveNetwork(parseModel(model), inputShape, 3, 'nll');
  const weights = initNetwork(layers, 7);
  const logits = forwardNetworkCpu(layers.map((layer, l) => ({ layer, params: weights.layers[l].params.map((p) => p.data) })), x, x.length / inputShape.reduce((a, b) => a * b)).out;
  return { bytes: encodeTensors(mlpParamTensors(weights), metadata), logits };
}

const argmax = (logits: Float32Array, C: number) => Array.from({ length: logits.length / C }, (_, r) => {
  const row = Array.from(logits.subarray(r * C, (r + 1) * C));
  return row.indexOf(Math.max(...row));
});

describe('loadModel', () => {
  const x = Float32Array.from({ length: 2 * 64 }, (_, i) => ((i * 37) % 11) / 11);

  it('reads the model a file names, and bare weights as the notebook network or the model given', async () => {
    const named = modelFile('dense:5:relu', [64], { model: 'dense:5:relu', loss: 'nll', input_shape: '[64]' }, x);
    const model = await loadModel(named.bytes, { device: 'cpu' });
    expect([model.device, model.adapter, model.inputShape, model.classes]).toEqual(['cpu', null, [64], 3]);
    expect(Array.from((await model.predict(x)).classes)).toEqual(argmax(named.logits, 3));

    const bare = modelFile('dense:5:relu', [64], {}, x);
    const asGiven = await loadModel(bare.bytes, { device: 'cpu', model: 'dense:5:relu' });
    expect(Array.from((await asGiven.predict(x)).classes)).toEqual(argmax(bare.logits, 3));
    const cnn = modelFile('conv2d:2:k3:relu,maxpool2d:2,flatten', [1, 8, 8], {}, x);
    await expect(loadModel(cnn.bytes, { device: 'cpu', model: 'conv2d:2:k3:relu,maxpool2d:2,flatten' })).rejects.toThrow(
      'model: names no input_shape in its metadata: give loadModel the inputShape option, e.g. { inputShape: [1, 28, 28] }');
    const withShape = await loadModel(cnn.bytes, { device: 'cpu', model: 'conv2d:2:k3:relu,maxpool2d:2,flatten', inputShape: [1, 8, 8] });
    expect(Array.from((await withShape.predict(x)).classes)).toEqual(argmax(cnn.logits, 3));
  });

  it('names a misspelt option, a bad value, images of the wrong size and a file that does not fit', async () => {
    const { bytes } = modelFile('dense:5:relu', [64], { model: 'dense:5:relu' }, x);
    await expect(loadModel(bytes, { devcie: 'cpu' } as never)).rejects.toThrow(new ConfigError('devcie', 'is not an option: did you mean device? (valid: device, batchSize, matmul, name, model, loss, inputShape)'));
    await expect(loadModel(bytes, { device: 'tpu' as never })).rejects.toThrow(ConfigError);
    const model = await loadModel(bytes, { device: 'cpu' });
    await expect(model.predict(new Float32Array(65))).rejects.toThrow(DatasetError);
    await expect(model.predict(new Float32Array(65))).rejects.toThrow('images must be a Uint8Array (pixels 0-255) or Float32Array of whole samples of 64 values ([64]), got 65 values');
    const wrong = modelFile('dense:5:relu', [64], { model: 'dense:6:relu' }, x).bytes;
    await expect(loadModel(wrong, { device: 'cpu', name: 'm.safetensors' })).rejects.toThrow(SafetensorsError);
    await expect(loadModel(wrong, { device: 'cpu', name: 'm.safetensors' })).rejects.toThrow(/^m\.safetensors: tensor fc1\.weight has shape \[5,64\]/);
  });
});
