// Weights in and out of the page as .safetensors, PyTorch's names and layout (the CLI's --save and
// --init format). A file is checked completely before it replaces anything.
import { resolveMlp, type Mlp } from '../reference/mlp.ts';
import type { HiddenActivation } from '../model/activations.ts';
import { denseSpec, formatModel, parseModel, type NetworkSpec } from '../model/spec.ts';
import { ConfigError, validateConfig, type TrainConfig } from '../train/config.ts';
import { decodeSafetensors, encodeSafetensors, readSafetensors, SafetensorsError, safetensorsSizes } from '../train/safetensors.ts';

export function modelFileName(mlp: Mlp): string {
  return `mlp-${mlp.sizes.join('-')}.safetensors`;
}

/** Weights hold no activations: the file's metadata names the model (as `--model` takes it) and
 * the loss, so the page computes with them when the file comes back. */
export function downloadModel(mlp: Mlp, spec: NetworkSpec, metadata: Record<string, string>): void {
  const all = { ...metadata, model: formatModel(spec.model), loss: spec.loss };
  const blob = new Blob([encodeSafetensors(mlp, all) as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = modelFileName(mlp);
  a.click();
  // The click has started the download; the URL can go once this task ends.
  setTimeout(() => URL.revokeObjectURL(a.href), 0);
}

/** An MLP of any hidden sizes for the data in use (`inputs` wide, `classes` out) from a file, with
 * the activations and loss its metadata names (null for a file without them: the CLI's --save,
 * PyTorch's); throws SafetensorsError naming the problem. */
export async function readModelFile(file: File, inputs: number, classes: number): Promise<{ mlp: Mlp; spec: NetworkSpec | null }> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const sizes = safetensorsSizes(bytes, file.name);
  if (sizes[0] !== inputs || sizes[sizes.length - 1] !== classes) {
    throw new SafetensorsError(`${file.name}: the network is ${sizes.join('-')}; a model of this data takes ${inputs} inputs and gives ${classes} classes`);
  }
  // Files the page wrote before models were layer specs name the dense layers' `activation`s.
  const { model, activation, loss } = readSafetensors(bytes, file.name).metadata;
  let spec: NetworkSpec | null = null;
  if (model !== undefined || activation !== undefined || loss !== undefined) {
    try {
      const layers = model !== undefined ? parseModel(model) :
        denseSpec(sizes.slice(1, -1), (activation ?? 'sigmoid').split(',') as HiddenActivation[]);
      const c = validateConfig({ model: layers, loss: (loss ?? 'nll') as TrainConfig['loss'] });
      spec = { model: c.model, loss: c.loss };
      resolveMlp(sizes, spec);
    } catch (e) {
      if (e instanceof ConfigError) throw new SafetensorsError(`${file.name}: its metadata's ${e.message.replace(/^--/, '')}`);
      if (e instanceof RangeError) throw new SafetensorsError(`${file.name}: its metadata says ${e.message}`);
      throw e;
    }
  }
  return { mlp: decodeSafetensors(bytes, resolveMlp(sizes), file.name), spec };
}
