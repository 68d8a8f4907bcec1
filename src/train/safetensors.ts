// Weights as safetensors with PyTorch's names and layout (fc1.weight (512, 784), fc1.bias, ...,
// F32 little-endian), so a model trained here loads with safetensors.torch.load_file into the
// notebook's Net, and the reverse. Format: u64 LE header length, JSON header, raw tensor bytes.
import { assembleMlp, mlpParamTensors, type Mlp } from '../reference/mlp.ts';
import { denseWidths, formatModel, layerName, type NetworkSpec, type ResolvedLayer } from '../model/spec.ts';
import { MAX_JSON_DEPTH, nestedTooDeeply } from '../data/json.ts';

export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
}

/** A tensor to write: row-major F32. */
export interface NamedTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

/** Names under which a checkpoint (src/train/checkpoint.ts) stores what is not a parameter; a
 * reader of weights skips them, as PyTorch users filter them out. */
export const EXTRA_TENSOR_PREFIXES = ['optimizer.', 'history.'] as const;

export function encodeSafetensors(mlp: Mlp, metadata: Record<string, string> = {}): Uint8Array {
  return encodeTensors(mlpParamTensors(mlp), metadata);
}

/** Metadata entry `key` read as JSON: `fail` names one that is not JSON, or that nests deep
 * enough to exhaust a reader's stack (a hostile file). */
export function metadataJson(meta: Record<string, string>, key: string, fail: (msg: string) => never): unknown {
  let value: unknown;
  try {
    value = JSON.parse(meta[key] ?? '');
  } catch {
    return fail(`metadata ${key} is not valid JSON`);
  }
  return nestedTooDeeply(value) ? fail(`metadata ${key} nests more than ${MAX_JSON_DEPTH} levels deep`) : value;
}

/** Whether `names` can name a network's classes: strings, at most one per output (a network may
 * have more outputs than its data has classes). */
export const isClassNameList = (names: unknown, outputs: number): names is string[] =>
  Array.isArray(names) && names.length <= outputs && names.every((c) => typeof c === 'string');

/** What reads a model back without being told: the model, the loss, one sample's shape and, for a
 * CSV run, the class names (a model file's metadata, and an ONNX export's). */
export function modelMetadata(mlp: Mlp, spec: NetworkSpec, classNames: readonly string[] | null): Record<string, string> {
  return {
    model: formatModel(spec.model), loss: spec.loss, input_shape: JSON.stringify(mlp.inputShape),
    ...(classNames ? { class_names: JSON.stringify(classNames) } : {}),
  };
}

/** A model file (`--save`, the dashboard's download, the library's saveWeights()): the weights
 * with their modelMetadata. */
export function encodeModelFile(mlp: Mlp, spec: NetworkSpec, classNames: readonly string[] | null, metadata: Record<string, string> = {}): Uint8Array {
  return encodeSafetensors(mlp, { ...metadata, ...modelMetadata(mlp, spec, classNames) });
}

/** F32 tensors laid out in order, with `format: pt` and `metadata` in the header. */
export function encodeTensors(tensors: NamedTensor[], metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: { format: 'pt', ...metadata } };
  let offset = 0;
  for (const t of tensors) {
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + t.data.byteLength] };
    offset += t.data.byteLength;
  }
  let json = JSON.stringify(header);
  // Pad the header with spaces so tensor data starts 8-byte aligned, as the reference writer does.
  json += ' '.repeat((8 - ((8 + json.length) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const t of tensors) {
    // Float32Array is platform-endian; every WebGPU platform is little-endian, and DataView
    // would cost a copy per element for no gain.
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), pos);
    pos += t.data.byteLength;
  }
  return out;
}

interface TensorEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/** Bytes per element of the format's dtypes. */
const DTYPE_BYTES: Record<string, number> = {
  BOOL: 1, U8: 1, I8: 1, F8_E4M3: 1, F8_E5M2: 1, U16: 2, I16: 2, F16: 2, BF16: 2, U32: 4, I32: 4, F32: 4, U64: 8, I64: 8, F64: 8,
};

/** A parsed file: its metadata and entries, every entry's layout already checked. */
export interface SafetensorsFile {
  metadata: Record<string, string>;
  entries: Map<string, TensorEntry>;
  /** A tensor as F32 of exactly `shape`, every value finite; throws naming the file otherwise. */
  f32(name: string, shape: readonly number[], needed: string): Float32Array;
}

/** Parses the header and checks the layout as the reference implementation does: every entry's
 * dtype, shape and byte count agree, and the tensors, sorted by offset, tile the data section
 * exactly (no overlap, no gap, nothing after the last one). */
export function readSafetensors(bytes: Uint8Array, fileName = 'weights'): SafetensorsFile {
  const fail = (msg: string): never => {
    throw new SafetensorsError(`${fileName}: ${msg}`);
  };
  if (bytes.length < 8) fail(`only ${bytes.length} bytes; a safetensors file starts with an 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  if (headerLen < 2 || 8 + headerLen > bytes.length) {
    fail(`header length ${headerLen} does not fit a file of ${bytes.length} bytes (is this a safetensors file?)`);
  }
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen)));
  } catch (err) {
    return fail(`header is not valid JSON (${(err as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    fail('header is not a JSON object of tensor names');
  }
  if (nestedTooDeeply(header)) fail(`header nests more than ${MAX_JSON_DEPTH} levels deep; a tensor entry holds a dtype and two lists of numbers`);
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  const { __metadata__: meta = {}, ...raw } = header as Record<string, unknown>;
  if (typeof meta !== 'object' || meta === null || Object.values(meta).some((v) => typeof v !== 'string')) {
    fail('__metadata__ must be an object of strings');
  }
  const entries = new Map<string, TensorEntry>();
  for (const [name, value] of Object.entries(raw)) {
    const e = (value ?? {}) as Partial<TensorEntry>;
    const shape: unknown = e.shape;
    if (!(Array.isArray(shape) && shape.every((d) => Number.isInteger(d) && d >= 0))) {
      fail(`tensor ${name} has shape ${JSON.stringify(shape)}, not a list of sizes`);
    }
    const size = typeof e.dtype === 'string' && Object.hasOwn(DTYPE_BYTES, e.dtype) ? DTYPE_BYTES[e.dtype] : undefined;
    if (size === undefined) return fail(`tensor ${name} has dtype ${JSON.stringify(e.dtype)}, not a safetensors dtype`);
    const offsets: unknown = e.data_offsets;
    const [begin, end] = Array.isArray(offsets) && offsets.length === 2 ? (offsets as number[]) : [NaN, NaN];
    const where = `tensor ${name} has data_offsets ${JSON.stringify(offsets)}`;
    if (!(Number.isInteger(begin) && Number.isInteger(end) && begin >= 0)) fail(`${where}, not two byte offsets [begin, end]`);
    if (end < begin) fail(`${where}: its end is before its begin`);
    const bytesNeeded = (shape as number[]).reduce((a, b) => a * b, 1) * size;
    if (end - begin !== bytesNeeded) fail(`${where}: ${end - begin} bytes, but shape [${shape}] of ${e.dtype} takes ${bytesNeeded}`);
    if (end > dataLen) fail(`${where}, past the ${dataLen} data bytes`);
    entries.set(name, { dtype: e.dtype as string, shape: shape as number[], data_offsets: [begin, end] });
  }
  const sorted = [...entries].sort(([, a], [, b]) => a.data_offsets[0] - b.data_offsets[0] || a.data_offsets[1] - b.data_offsets[1]);
  let covered = 0;
  let previous = '';
  for (const [name, { data_offsets: [begin, end] }] of sorted) {
    const where = `tensor ${name} has data_offsets [${begin},${end}]`;
    if (begin < covered) fail(`${where}, overlapping ${previous}, which ends at ${covered}; tensors must not share bytes`);
    if (begin > covered) fail(`${where}: bytes ${covered}-${begin} before it belong to no tensor`);
    covered = end;
    previous = name;
  }
  if (covered !== dataLen) fail(`the tensors end at byte ${covered} of a ${dataLen}-byte data section; the rest belongs to no tensor`);

  const f32 = (name: string, shape: readonly number[], needed: string): Float32Array => {
    const e = entries.get(name);
    if (!e) return fail(`tensor ${name} is missing (${needed} needs it)`);
    if (e.dtype !== 'F32') fail(`tensor ${name} has dtype ${e.dtype}; only F32 is supported (convert with tensor.float())`);
    if (e.shape.join(',') !== shape.join(',')) fail(`tensor ${name} has shape [${e.shape}], ${needed} needs [${shape}]`);
    const [begin, end] = e.data_offsets;
    const data = new Float32Array((end - begin) / 4);
    new Uint8Array(data.buffer).set(bytes.subarray(dataStart + begin, dataStart + end));
    const bad = data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) fail(`tensor ${name} holds ${data[bad]} at element ${bad}; values must be finite`);
    return data;
  };
  return { metadata: meta as Record<string, string>, entries, f32 };
}

/** Reads a safetensors file into the weights of these layers (a dense network's: resolveMlp(sizes)).
 * Every tensor is checked (present, F32, the right shape, finite) after the
 * layout (readSafetensors) before anything is returned: nothing is half-loaded. A checkpoint's
 * extra tensors are skipped. */
export function decodeSafetensors(bytes: Uint8Array, layers: readonly ResolvedLayer[], fileName = 'weights'): Mlp {
  const file = readSafetensors(bytes, fileName);
  const network = `the network ${layers.every((l) => l.spec.type === 'dense') ? denseWidths(layers).join('-') : layers.map((l) => l.name).join('-')}`;
  const mlp = assembleMlp(layers, (layer) => layer.params.map((p) => file.f32(p.name, p.shape, network)));
  const expected = new Set(mlpParamTensors(mlp).map((t) => t.name));
  const extra = [...file.entries.keys()].filter((k) => !expected.has(k) && !EXTRA_TENSOR_PREFIXES.some((p) => k.startsWith(p)));
  if (extra.length) throw new SafetensorsError(`${fileName}: unexpected tensors ${extra.join(', ')} for ${network}`);
  return mlp;
}

/** Layer sizes stored in a safetensors file, for loading a file whose architecture is unknown. */
export function safetensorsSizes(bytes: Uint8Array, fileName = 'weights'): number[] {
  const { entries } = readSafetensors(bytes, fileName);
  const sizes: number[] = [];
  const weightOf = (n: number) => `${layerName('dense', n)}.weight`;
  for (let l = 1; entries.has(weightOf(l)); l++) {
    const shape = entries.get(weightOf(l))!.shape;
    if (!(shape.length === 2 && shape.every((d) => d > 0))) {
      throw new SafetensorsError(`${fileName}: tensor ${weightOf(l)} has shape ${JSON.stringify(shape)}, not (out, in)`);
    }
    const [out, inF] = shape;
    if (l === 1) sizes.push(inF);
    sizes.push(out);
  }
  if (sizes.length < 2) throw new SafetensorsError(`${fileName}: no ${weightOf(1)} tensor`);
  return sizes;
}
