// Weights in and out of the page as .safetensors, PyTorch's names and layout (the CLI's --save and
// --init format). A file is checked completely before it replaces anything.
import type { Mlp, MlpSpec } from '../reference/mlp.ts';
import { ConfigError, validateConfig, type TrainConfig } from '../train/config.ts';
import { decodeSafetensors, encodeSafetensors, readSafetensors, SafetensorsError, safetensorsSizes } from '../train/safetensors.ts';

export function modelFileName(mlp: Mlp): string {
  return `mlp-${mlp.sizes.join('-')}.safetensors`;
}

/** Weights hold no activations: the file's metadata names them (`activation` as the CLI's
 * --activation takes it, and `loss`), so the page computes with them when the file comes back. */
export function downloadModel(mlp: Mlp, spec: MlpSpec, metadata: Record<string, string>): void {
  const all = { ...metadata, activation: spec.activations.join(','), loss: spec.loss };
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
export async function readModelFile(file: File, inputs: number, classes: number): Promise<{ mlp: Mlp; spec: MlpSpec | null }> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const sizes = safetensorsSizes(bytes, file.name);
  if (sizes[0] !== inputs || sizes[sizes.length - 1] !== classes) {
    throw new SafetensorsError(`${file.name}: the network is ${sizes.join('-')}; a model of this data takes ${inputs} inputs and gives ${classes} classes`);
  }
  const { activation, loss } = readSafetensors(bytes, file.name).metadata;
  let spec: MlpSpec | null = null;
  if (activation !== undefined || loss !== undefined) {
    try {
      const c = validateConfig({ hidden: sizes.slice(1, -1), activations: (activation ?? 'sigmoid').split(',') as TrainConfig['activations'], loss: (loss ?? 'nll') as TrainConfig['loss'] });
      spec = { activations: c.activations, loss: c.loss };
    } catch (e) {
      if (e instanceof ConfigError) throw new SafetensorsError(`${file.name}: its metadata's ${e.message.replace(/^--/, '')}`);
      throw e;
    }
  }
  return { mlp: decodeSafetensors(bytes, sizes, file.name), spec };
}
