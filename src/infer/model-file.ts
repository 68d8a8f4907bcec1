// A saved model as the inference entry reads it: the network (layer specs, loss, input shape) from
// the file's metadata, and its weights. Three kinds of file: a checkpoint (metadata `checkpoint`,
// its config holds the model and loss), weights saved by `npm run train -- --save` or the
// dashboard (metadata `model`, `loss`, `input_shape`), and bare weights (no metadata: read as the
// notebook's dense network, sigmoid hidden layers, that its fc tensors make, unless the caller
// names the model).
import { isPositiveInt } from '../train/config-error.ts';
import { ConfigError, upgradeConfig } from '../train/config.ts';
import { decodeSafetensors, metadataJson, readSafetensors, SafetensorsError, safetensorsSizes } from '../train/safetensors.ts';
import type { LayerParams } from '../model/network.ts';
import { LOSSES, type LossKind } from '../model/losses.ts';
import { checkModel, denseSpec, layerName, parseModel, resolveNetwork, type LayerSpec } from '../model/spec.ts';

/** What a file without a model in its metadata is read as; a file's own metadata wins. */
export interface ModelFileOptions {
  /** Names the file in errors (default 'model'). */
  name?: string;
  /** The hidden layers as `--model` writes them ('dense:128:relu' or a preset: 'cnn') or as specs. */
  model?: string | LayerSpec[];
  /** 'nll' (log-softmax output, the default) or 'squared' (sigmoid output). */
  loss?: LossKind;
  /** One sample's shape, e.g. [1, 28, 28]; needed by a convolutional network's bare weights. */
  inputShape?: number[];
}

export interface ModelFile {
  layers: LayerParams[];
  loss: LossKind;
}

export function readModelFile(bytes: Uint8Array, options: ModelFileOptions = {}): ModelFile {
  const name = options.name ?? 'model';
  const fail = (msg: string): never => {
    throw new SafetensorsError(`${name}: ${msg}`);
  };
  if (!(bytes instanceof Uint8Array)) fail('must be the bytes of a .safetensors file (a Uint8Array, an ArrayBuffer or a URL to fetch)');
  const file = readSafetensors(bytes, name);
  const meta = file.metadata;
  const json = (key: string): unknown => metadataJson(meta, key, fail);
  let model: LayerSpec[] | null = null;
  let loss: unknown = options.loss ?? 'nll';
  let inputShape: unknown = meta.input_shape !== undefined ? json('input_shape') : options.inputShape;
  try {
    if (meta.checkpoint !== undefined) {
      const config = upgradeConfig(json('config') as object);
      model = checkModel(config.model);
      loss = config.loss;
    } else if (meta.model !== undefined) {
      model = parseModel(meta.model);
      loss = meta.loss ?? 'nll';
    } else if (options.model !== undefined) {
      model = typeof options.model === 'string' ? parseModel(options.model) : checkModel(options.model);
    }
  } catch (e) {
    if (e instanceof ConfigError) fail(`its model does not read: ${e.message.replace(/^--/, '')}`);
    throw e;
  }
  if (!(LOSSES as readonly unknown[]).includes(loss)) fail(`its loss must be one of ${LOSSES.join(', ')}, got ${JSON.stringify(loss)}`);
  model ??= denseSpec(safetensorsSizes(bytes, name).slice(1, -1), ['sigmoid']);
  // A dense network reads rows: fc1.weight (out, in) gives their width.
  if (inputShape === undefined && model.every((s) => s.type === 'dense')) inputShape = [safetensorsSizes(bytes, name)[0]];
  if (!(Array.isArray(inputShape) && inputShape.length > 0 && inputShape.every(isPositiveInt))) {
    return fail(inputShape === undefined
      ? 'names no input_shape in its metadata: give loadModel the inputShape option, e.g. { inputShape: [1, 28, 28] }'
      : `input shape must list one sample's dimensions, got ${JSON.stringify(inputShape)}`);
  }
  // The output layer is the dense layer after the model's: its bias gives the classes.
  const output = `${layerName('dense', model.filter((s) => s.type === 'dense').length + 1)}.bias`;
  const classes = file.entries.get(output)?.shape[0] ?? fail(`has no tensor ${output}, the output layer's bias of the model it names`);
  let layers;
  try {
    layers = resolveNetwork(model, inputShape as number[], classes, loss as LossKind);
  } catch (e) {
    if (e instanceof ConfigError) fail(`its model does not fit its input shape [${(inputShape as number[]).join(', ')}]: ${e.message.replace(/^--[a-z-]+ /, '')}`);
    throw e;
  }
  const weights = decodeSafetensors(bytes, layers, name);
  return { layers: layers.map((layer, l) => ({ layer, params: weights.layers[l].params.map((p) => p.data) })), loss: loss as LossKind };
}
