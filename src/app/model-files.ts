// Weights in and out of the page as .safetensors, PyTorch's names and layout (the CLI's --save and
// --init format), and out as ONNX. A file is checked completely before it replaces anything.
import { resolveMlp, resolveWeights, type Mlp } from '../reference/mlp.ts';
import type { HiddenActivation } from '../model/activations.ts';
import { denseSpec, describeNetwork, parseModel, resolveNetwork, type LayerSpec, type ModelSpec, type NetworkSpec, type ResolvedLayer } from '../model/spec.ts';
import { ConfigError, validateConfig, type TrainConfig } from '../train/config.ts';
import { decodeSafetensors, encodeModelFile, readSafetensors, SafetensorsError, safetensorsSizes } from '../train/safetensors.ts';

const isDense = (model: ModelSpec) => model.every((s) => s.type === 'dense');

/** 'mlp-784-128-10' for a dense network, 'cnn-6-24-64-10' (each weighted layer's channels or units)
 * for one with convolutions. */
export function modelFileName(mlp: Mlp, spec: NetworkSpec): string {
  if (isDense(spec.model)) return `mlp-${mlp.sizes.join('-')}.safetensors`;
  return `cnn-${mlp.layers.filter((l) => l.params.length).map((l) => l.params[0].shape[0]).join('-')}.safetensors`;
}

/** The network for messages: 784-512-256-10, or each layer's output shape for a CNN. */
export const networkLine = (mlp: Mlp, spec: NetworkSpec): string => describeNetwork(resolveWeights(mlp, spec));

/** Weights hold no activations: the file's metadata names the model (as `--model` takes it), the
 * loss and the input shape, as the CLI's --save does, so the page and the CLI compute with them
 * when the file comes back. */
export function downloadModel(mlp: Mlp, spec: NetworkSpec, classNames: readonly string[] | null, metadata: Record<string, string>): void {
  saveFile(encodeModelFile(mlp, spec, classNames, metadata), modelFileName(mlp, spec));
}

/** The model as ONNX (src/export/onnx.ts, loaded on the first click), class names in its metadata. */
export async function downloadOnnx(mlp: Mlp, spec: NetworkSpec, classNames: readonly string[] | null): Promise<void> {
  const { exportOnnx } = await import('../export/onnx.ts');
  saveFile(exportOnnx(mlp, spec, { classNames }), modelFileName(mlp, spec).replace(/\.safetensors$/, '.onnx'));
}

function saveFile(bytes: Uint8Array, name: string): void {
  const blob = new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  a.click();
  // The click has started the download; the URL can go once this task ends.
  setTimeout(() => URL.revokeObjectURL(a.href), 0);
}

/** What the data in use gives a model: one sample's shape ([1, 28, 28] for images, [width] for a
 * CSV's rows) and the classes. */
export interface DataShape {
  inputShape: number[];
  classes: number;
}

/** A network for the data in use from a file, with the activations and loss its metadata names
 * (null for a dense file without them: PyTorch's). A file with convolutions and no model in its
 * metadata is read as `fallback` (the form's model) describes it. Throws SafetensorsError naming
 * the problem. */
export async function readModelFile(file: File, data: DataShape, fallback: NetworkSpec): Promise<{ mlp: Mlp; spec: NetworkSpec | null }> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const { metadata, entries } = readSafetensors(bytes, file.name);
  const { model, activation, loss, input_shape: inputShape } = metadata;
  const named = model !== undefined ? metadataSpec(file.name, () => networkSpec(parseModel(model), loss)) : null;
  const convolutional = named ? !isDense(named.model) : [...entries.keys()].some((k) => k.startsWith('conv'));
  if (convolutional) {
    if (inputShape !== undefined && inputShape !== JSON.stringify(data.inputShape)) {
      throw new SafetensorsError(`${file.name}: its network takes samples of shape ${inputShape}; the data in use has [${data.inputShape.join(', ')}]`);
    }
    if (!named && isDense(fallback.model)) throw new SafetensorsError(`${file.name}: ${NO_MODEL}`);
    const spec = named ?? fallback;
    const layers = networkOf(file.name, spec, data, named !== null);
    return { mlp: decodeSafetensors(bytes, layers, file.name), spec };
  }
  const sizes = safetensorsSizes(bytes, file.name);
  const inputs = data.inputShape.reduce((a, b) => a * b, 1);
  if (sizes[0] !== inputs || sizes[sizes.length - 1] !== data.classes) {
    throw new SafetensorsError(`${file.name}: the network is ${sizes.join('-')}; a model of this data takes ${inputs} inputs and gives ${data.classes} classes`);
  }
  // Files the page wrote before models were layer specs name the dense layers' `activation`s.
  let spec: NetworkSpec | null = named;
  if (!spec && (activation !== undefined || loss !== undefined)) {
    spec = metadataSpec(file.name, () => networkSpec(denseSpec(sizes.slice(1, -1), (activation ?? 'sigmoid').split(',') as HiddenActivation[]), loss));
  }
  if (spec) metadataSpec(file.name, () => resolveMlp(sizes, spec));
  return { mlp: decodeSafetensors(bytes, resolveMlp(sizes), file.name), spec };
}

/** The model and loss (the notebook's when none is named) as validateConfig checks them. */
function networkSpec(model: LayerSpec[], loss: string | undefined): NetworkSpec {
  const c = validateConfig({ model, loss: (loss ?? 'nll') as TrainConfig['loss'] });
  return { model: c.model, loss: c.loss };
}

/** Runs a check of the file's metadata, its errors as SafetensorsErrors naming the file. */
function metadataSpec<T>(fileName: string, check: () => T): T {
  try {
    return check();
  } catch (e) {
    if (e instanceof ConfigError) throw new SafetensorsError(`${fileName}: its metadata's ${e.message.replace(/^--/, '')}`);
    if (e instanceof RangeError) throw new SafetensorsError(`${fileName}: its metadata says ${e.message}`);
    throw e;
  }
}

const NO_MODEL = "its tensors are a convolutional network's and its metadata names no model: set the Model field to its layers and load it again";

/** The layers `spec` makes on the data; named: the spec is the file's own (else the form's). */
function networkOf(fileName: string, spec: NetworkSpec, data: DataShape, named: boolean): ResolvedLayer[] {
  try {
    return resolveNetwork(spec.model, data.inputShape, data.classes, spec.loss);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    if (named) throw new SafetensorsError(`${fileName}: its metadata's model does not fit the data in use: ${e.message.replace(/^--[a-z-]+ /, '')}`);
    throw new SafetensorsError(`${fileName}: ${NO_MODEL} (the form's does not fit the data: ${e.message.replace(/^--[a-z-]+ /, '')})`);
  }
}
