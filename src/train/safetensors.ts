// Weights as safetensors with PyTorch's names and layout (fc1.weight (512, 784), fc1.bias, ...,
// F32 little-endian), so a model trained here loads with safetensors.torch.load_file into the
// notebook's Net, and the reverse. Format: u64 LE header length, JSON header, raw tensor bytes.
import { mlpParamTensors, type Mlp, type MlpLayer } from '../reference/mlp.ts';

export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
}

export function encodeSafetensors(mlp: Mlp, metadata: Record<string, string> = {}): Uint8Array {
  const tensors = mlpParamTensors(mlp);
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

function readHeader(bytes: Uint8Array, fileName: string): { header: Record<string, TensorEntry>; dataStart: number } {
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
  return { header: header as Record<string, TensorEntry>, dataStart: 8 + headerLen };
}

/** Reads a safetensors file into an MLP of the expected sizes. Every tensor is checked (present,
 * F32, the right shape, in bounds, finite) before anything is returned: nothing is half-loaded. */
export function decodeSafetensors(bytes: Uint8Array, sizes: readonly number[], fileName = 'weights'): Mlp {
  const fail = (msg: string): never => {
    throw new SafetensorsError(`${fileName}: ${msg}`);
  };
  const { header, dataStart } = readHeader(bytes, fileName);
  const dataLen = bytes.length - dataStart;
  const layers: MlpLayer[] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    const name = `fc${l + 1}`;
    const read = (suffix: string, shape: number[]): Float32Array => {
      const key = `${name}.${suffix}`;
      const e = header[key];
      if (!e) return fail(`tensor ${key} is missing (the network ${sizes.join('-')} needs it)`);
      if (e.dtype !== 'F32') fail(`tensor ${key} has dtype ${e.dtype}; only F32 is supported (convert with tensor.float())`);
      if (!Array.isArray(e.shape) || e.shape.join(',') !== shape.join(',')) {
        fail(`tensor ${key} has shape [${e.shape}], the network ${sizes.join('-')} needs [${shape}]`);
      }
      const offsets: unknown = e.data_offsets;
      const [begin, end] = Array.isArray(offsets) && offsets.length === 2 ? offsets : [];
      const n = shape.reduce((a, b) => a * b, 1);
      if (!(Number.isInteger(begin) && Number.isInteger(end) && end - begin === n * 4 && begin >= 0 && end <= dataLen)) {
        fail(`tensor ${key} has data_offsets [${e.data_offsets}], expected ${n * 4} bytes within the ${dataLen} data bytes`);
      }
      const data = new Float32Array(n);
      new Uint8Array(data.buffer).set(bytes.subarray(dataStart + begin, dataStart + end));
      const bad = data.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) fail(`tensor ${key} holds ${data[bad]} at element ${bad}; weights must be finite`);
      return data;
    };
    const inF = sizes[l];
    const outF = sizes[l + 1];
    layers.push({ name, in: inF, out: outF, weight: read('weight', [outF, inF]), bias: read('bias', [outF]) });
  }
  const expected = new Set(layers.flatMap((l) => [`${l.name}.weight`, `${l.name}.bias`]));
  const extra = Object.keys(header).filter((k) => k !== '__metadata__' && !expected.has(k));
  if (extra.length) fail(`unexpected tensors ${extra.join(', ')} for the network ${sizes.join('-')}`);
  return { sizes: [...sizes], layers };
}

/** Layer sizes stored in a safetensors file, for loading a file whose architecture is unknown. */
export function safetensorsSizes(bytes: Uint8Array, fileName = 'weights'): number[] {
  const { header } = readHeader(bytes, fileName);
  const sizes: number[] = [];
  for (let l = 1; header[`fc${l}.weight`]; l++) {
    const shape: unknown = header[`fc${l}.weight`].shape;
    if (!(Array.isArray(shape) && shape.length === 2 && shape.every((d) => Number.isInteger(d) && d > 0))) {
      throw new SafetensorsError(`${fileName}: tensor fc${l}.weight has shape ${JSON.stringify(shape)}, not (out, in)`);
    }
    const [out, inF] = shape as number[];
    if (l === 1) sizes.push(inF);
    sizes.push(out);
  }
  if (sizes.length < 2) throw new SafetensorsError(`${fileName}: no fc1.weight tensor`);
  return sizes;
}
