// A model saved by this project, read back for export: a checkpoint (its config names the model
// and loss, its data the class names) or a weights file (`--save`, the dashboard's download:
// metadata model, loss, input_shape, class_names), or a PyTorch state_dict saved with safetensors,
// which names none of them. Browser-safe.
import { parseModel, type NetworkSpec } from '../model/spec.ts';
import type { Mlp } from '../reference/mlp.ts';
import { decodeCheckpoint, fileNetwork } from '../train/checkpoint.ts';
import { ConfigError, validateConfig, type TrainConfig } from '../train/config.ts';
import { decodeSafetensors, isClassNameList, metadataJson, readSafetensors, SafetensorsError } from '../train/safetensors.ts';

export interface SavedModel {
  weights: Mlp;
  spec: NetworkSpec;
  /** Class i's name, where the data named them (a CSV run's labels). */
  classNames: string[] | null;
  /** Where the model and loss came from: the file, or `fallback` for a file that names none. */
  specFrom: 'file' | 'fallback';
}

/** The model of a checkpoint or weights file. A file whose metadata names no model computes as
 * `fallback` says (a PyTorch file's tensors name no activations). Throws SafetensorsError naming
 * the file and the problem. */
export function readSavedModel(bytes: Uint8Array, fileName: string, fallback: NetworkSpec): SavedModel {
  const fail = (msg: string): never => {
    throw new SafetensorsError(`${fileName}: ${msg}`);
  };
  const file = readSafetensors(bytes, fileName);
  const meta = file.metadata;
  if (meta.checkpoint !== undefined) {
    const { config, weights, data } = decodeCheckpoint(bytes, fileName);
    return { weights, spec: { model: config.model, loss: config.loss }, classNames: data.classes ?? null, specFrom: 'file' };
  }
  const json = (key: string): unknown => metadataJson(meta, key, fail);
  const named = meta.model !== undefined || meta.loss !== undefined;
  let spec = fallback;
  if (named) {
    try {
      const c = validateConfig({ model: meta.model !== undefined ? parseModel(meta.model) : [...fallback.model], loss: (meta.loss ?? 'nll') as TrainConfig['loss'] });
      spec = { model: c.model, loss: c.loss };
    } catch (e) {
      if (e instanceof ConfigError) fail(`its metadata's ${e.message.replace(/^--/, '')}`);
      throw e;
    }
  }
  const layers = fileNetwork(file, bytes, fileName, spec, meta.input_shape !== undefined ? json('input_shape') : null, fail, named ? "its metadata's" : 'the');
  const classNames = meta.class_names !== undefined ? json('class_names') : null;
  const outputs = layers[layers.length - 1].outShape[0];
  if (classNames !== null && !isClassNameList(classNames, outputs)) {
    fail(`metadata class_names must list the class names, at most one per output (${outputs}), got ${meta.class_names}`);
  }
  return { weights: decodeSafetensors(bytes, layers, fileName), spec, classNames: classNames as string[] | null, specFrom: named ? 'file' : 'fallback' };
}
