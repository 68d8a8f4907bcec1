import { describe, expect, it } from 'vitest';
import { initMlp, mlpParamTensors, type Mlp, resolveMlp } from '../../src/reference/mlp.ts';
import { decodeSafetensors, encodeSafetensors, safetensorsSizes, SafetensorsError } from '../../src/train/safetensors.ts';

const SIZES = [784, 512, 256, 10];
const SMALL = [4, 3, 2];
const NAMES = ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias', 'fc3.weight', 'fc3.bias'];

interface RawTensor {
  dtype: string;
  shape: number[];
  bytes: Uint8Array;
}

/** An independent writer laid out as safetensors.torch.save_file does: tensor data in sorted-name
 * order, `__metadata__` first, the header padded with spaces to 8 bytes. `headerOrder` lists the
 * header's keys in another order where given, and `entry` overrides fields of one header entry. */
function writeSafetensors(
  tensors: Record<string, RawTensor>,
  opts: { headerOrder?: string[]; entry?: Record<string, Record<string, unknown>> } = {},
): Uint8Array {
  const names = Object.keys(tensors).sort();
  const offsets = new Map<string, [number, number]>();
  let offset = 0;
  for (const name of names) {
    offsets.set(name, [offset, offset + tensors[name].bytes.length]);
    offset += tensors[name].bytes.length;
  }
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  for (const name of opts.headerOrder ?? names) {
    const { dtype, shape } = tensors[name];
    header[name] = { dtype, shape, data_offsets: offsets.get(name), ...opts.entry?.[name] };
  }
  let json = JSON.stringify(header);
  while ((8 + json.length) % 8 !== 0) json += ' ';
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(new TextEncoder().encode(json), 8);
  let pos = 8 + json.length;
  for (const name of names) {
    out.set(tensors[name].bytes, pos);
    pos += tensors[name].bytes.length;
  }
  return out;
}

/** An MLP's tensors as F32 little-endian bytes, written element by element. */
function rawTensors(mlp: Mlp): Record<string, RawTensor> {
  const out: Record<string, RawTensor> = {};
  for (const t of mlpParamTensors(mlp)) {
    const bytes = new Uint8Array(t.data.length * 4);
    const view = new DataView(bytes.buffer);
    t.data.forEach((v, i) => view.setFloat32(i * 4, v, true));
    out[t.name] = { dtype: 'F32', shape: t.shape, bytes };
  }
  return out;
}

function expectSameBits(a: Mlp, b: Mlp): void {
  expect(b.sizes).toEqual(a.sizes);
  const ta = mlpParamTensors(a);
  const tb = mlpParamTensors(b);
  expect(tb.map((t) => [t.name, t.shape])).toEqual(ta.map((t) => [t.name, t.shape]));
  ta.forEach((t, i) => {
    const bitsA = new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length);
    const bitsB = new Uint32Array(tb[i].data.buffer, tb[i].data.byteOffset, tb[i].data.length);
    // The first differing element, not a deep equal: that is slow on 400k entries.
    expect(bitsA.findIndex((bits, j) => bits !== bitsB[j]), t.name).toBe(-1);
  });
}

function readHeader(bytes: Uint8Array): { len: number; json: string } {
  const len = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { len, json: new TextDecoder().decode(bytes.subarray(8, 8 + len)) };
}

/** decodeSafetensors must throw a SafetensorsError whose message contains every piece. */
function expectRefused(bytes: Uint8Array, pieces: string[], sizes = SMALL): void {
  let result: unknown;
  let error: unknown;
  try {
    result = decodeSafetensors(bytes, resolveMlp(sizes), 'bad.safetensors');
  } catch (e) {
    error = e;
  }
  expect(result).toBeUndefined();
  expect(error).toBeInstanceOf(SafetensorsError);
  const message = (error as Error).message;
  expect(message).toContain('bad.safetensors');
  for (const piece of pieces) expect(message).toContain(piece);
}

describe('encodeSafetensors / decodeSafetensors', () => {
  it('round-trips the MNIST MLP bit for bit', () => {
    const mlp = initMlp(SIZES, 1);
    // Values a lossy path would change: -0, a subnormal, the largest float32.
    mlp.layers[0].params[0].data[0] = -0;
    mlp.layers[0].params[0].data[1] = 1e-45;
    mlp.layers[2].params[1].data[9] = 3.4028234663852886e38;
    const bytes = encodeSafetensors(mlp);
    expectSameBits(mlp, decodeSafetensors(bytes, resolveMlp(SIZES)));
    expect(safetensorsSizes(bytes)).toEqual(SIZES);
  });

  it('lays the file out as the safetensors spec says', () => {
    const mlp = initMlp(SIZES, 1);
    const bytes = encodeSafetensors(mlp, { epochs: '3' });
    const { len, json } = readHeader(bytes);
    expect((8 + len) % 8).toBe(0);
    const header = JSON.parse(json) as Record<string, { dtype: string; shape: number[]; data_offsets: number[] }>;
    expect(header.__metadata__).toEqual({ format: 'pt', epochs: '3' });
    const tensors = mlpParamTensors(mlp);
    expect(Object.keys(header).filter((k) => k !== '__metadata__')).toEqual(NAMES);
    let offset = 0;
    for (const t of tensors) {
      const e = header[t.name];
      expect(e.dtype).toBe('F32');
      expect(e.shape).toEqual(t.shape);
      expect(e.data_offsets).toEqual([offset, offset + t.data.length * 4]);
      // Little-endian f32 at data start + begin.
      expect(new DataView(bytes.buffer).getFloat32(8 + len + offset, true)).toBe(t.data[0]);
      offset += t.data.length * 4;
    }
    expect(header['fc1.weight'].shape).toEqual([512, 784]);
    expect(bytes.length).toBe(8 + len + offset);
  });

  it("loads a file laid out as PyTorch's save_file would, header keys in any order", () => {
    const mlp = initMlp(SIZES, 7);
    const tensors = rawTensors(mlp);
    for (const headerOrder of [undefined, [...NAMES].reverse()]) {
      const bytes = writeSafetensors(tensors, { headerOrder });
      expectSameBits(mlp, decodeSafetensors(bytes, resolveMlp(SIZES), 'torch.safetensors'));
      expect(safetensorsSizes(bytes)).toEqual(SIZES);
    }
  });

  it('reads a file from an unaligned view into a larger buffer', () => {
    const mlp = initMlp(SMALL, 3);
    const bytes = encodeSafetensors(mlp);
    const host = new Uint8Array(bytes.length + 3);
    host.set(bytes, 3);
    expectSameBits(mlp, decodeSafetensors(host.subarray(3), resolveMlp(SMALL)));
  });
});

describe('refusing bad files', () => {
  const good = () => rawTensors(initMlp(SMALL, 2));

  it('loads the unaltered file each case below corrupts (control)', () => {
    expect(decodeSafetensors(writeSafetensors(good()), resolveMlp(SMALL)).sizes).toEqual(SMALL);
  });

  it('refuses a file shorter than its header length', () => {
    const bytes = encodeSafetensors(initMlp(SMALL, 2));
    expectRefused(bytes.subarray(0, 20), ['header length']);
    expectRefused(bytes.subarray(0, 5), ['8-byte header length']);
    const huge = bytes.slice();
    new DataView(huge.buffer).setBigUint64(0, 2n ** 63n, true);
    expectRefused(huge, ['header length']);
  });

  it('refuses a header that is not JSON, or not a JSON object', () => {
    for (const text of ['{"fc1.weight": ', 'not json', '[1, 2]', 'null', '"fc1.weight"']) {
      const json = new TextEncoder().encode(text);
      const bytes = new Uint8Array(8 + json.length);
      new DataView(bytes.buffer).setBigUint64(0, BigInt(json.length), true);
      bytes.set(json, 8);
      expectRefused(bytes, ['header']);
      expect(() => safetensorsSizes(bytes)).toThrow(SafetensorsError);
    }
  });

  it('refuses a missing tensor', () => {
    const t = good();
    delete t['fc2.bias'];
    expectRefused(writeSafetensors(t), ['fc2.bias', 'missing']);
  });

  it.each(['F16', 'F64', 'BF16'])('refuses dtype %s', (dtype) => {
    const t = good();
    const n = t['fc1.weight'].bytes.length / 4;
    t['fc1.weight'] = { dtype, shape: [3, 4], bytes: new Uint8Array(n * (dtype === 'F64' ? 8 : 2)) };
    expectRefused(writeSafetensors(t), ['fc1.weight', dtype, 'F32']);
  });

  // Found by fuzzing: an object dtype whose toString is not a function failed with 'TypeError:
  // Cannot convert object to primitive value', and the name of an Object method passed as a dtype.
  it.each([['an object', { toString: 1 }], ['a name on Object.prototype', 'toString'], ['a number', 4]])('refuses a dtype that is %s', (_, dtype) => {
    expectRefused(writeSafetensors(good(), { entry: { 'fc1.weight': { dtype } } }), ['fc1.weight', 'dtype', 'not a safetensors dtype']);
  });

  it('refuses shapes other than the configured sizes', () => {
    expectRefused(encodeSafetensors(initMlp(SMALL, 2)), ['fc1.weight', 'shape [3,4]', '[5,4]'], [4, 5, 2]);
    // Same element count, transposed.
    const t = good();
    t['fc1.weight'].shape = [4, 3];
    expectRefused(writeSafetensors(t), ['fc1.weight', 'shape', '[3,4]']);
    const s = good();
    s['fc2.bias'].shape = [2, 1];
    expectRefused(writeSafetensors(s), ['fc2.bias', 'shape']);
    const entry = { 'fc2.bias': { shape: 'x' } };
    expectRefused(writeSafetensors(good(), { entry }), ['fc2.bias', 'shape']);
  });

  it.each([
    ['past the data', { data_offsets: [0, 10_000] }],
    ['negative', { data_offsets: [-8, 0] }],
    ['too short for the shape', { data_offsets: [0, 4] }],
    ['reversed', { data_offsets: [8, 0] }],
    ['one number', { data_offsets: [0] }],
    ['three numbers', { data_offsets: [0, 8, 16] }],
    ['not an array', { data_offsets: 8 }],
    ['absent', { data_offsets: undefined }],
    ['fractional', { data_offsets: [0.5, 8.5] }],
  ])('refuses data_offsets %s', (_, override) => {
    const bytes = writeSafetensors(good(), { entry: { 'fc2.bias': override } });
    expectRefused(bytes, ['fc2.bias', 'data_offsets']);
  });

  // The layout rules of the reference implementation: sorted by offset, the tensors tile the data
  // section exactly. The sorted-name layout ends with fc2.weight (2x3 floats, 24 bytes).
  it('refuses tensors that share bytes', () => {
    const bytes = writeSafetensors(good(), { entry: { 'fc2.bias': { data_offsets: [0, 8] } } });
    expectRefused(bytes, ['fc2.bias', 'overlapping', 'fc1.bias']);
  });

  it('refuses bytes that belong to no tensor: a gap, or data after the last tensor', () => {
    const t = good();
    const end = Object.values(t).reduce((a, x) => a + x.bytes.length, 0);
    // fc2.weight's 24 bytes written with 4 spare ones after them.
    const padded = { ...t, 'fc2.weight': { ...t['fc2.weight'], bytes: new Uint8Array(28) } };
    const gapped = writeSafetensors(padded, { entry: { 'fc2.weight': { data_offsets: [end - 20, end + 4] } } });
    expectRefused(gapped, ['fc2.weight', `bytes ${end - 24}-${end - 20}`, 'no tensor']);
    const trailing = writeSafetensors(padded, { entry: { 'fc2.weight': { data_offsets: [end - 24, end] } } });
    expectRefused(trailing, [`end at byte ${end}`, `${end + 4}-byte data section`]);
  });

  it('refuses metadata that is not an object of strings', () => {
    const bytes = encodeSafetensors(initMlp(SMALL, 2), { epochs: '3' });
    const { len, json } = readHeader(bytes);
    const patched = json.replace('"epochs":"3"', '"epochs":3  ');
    bytes.set(new TextEncoder().encode(patched), 8);
    expect(patched.length).toBe(len);
    expectRefused(bytes, ['__metadata__', 'strings']);
  });

  it("skips a checkpoint's optimizer and history tensors when reading weights", () => {
    const t = good();
    t['optimizer.fc1.weight.momentum_buffer'] = { dtype: 'F32', shape: [3, 4], bytes: new Uint8Array(48) };
    t['history.step_losses'] = { dtype: 'F32', shape: [0], bytes: new Uint8Array(0) };
    expect(decodeSafetensors(writeSafetensors(t), resolveMlp(SMALL)).sizes).toEqual(SMALL);
  });

  it.each([Number.NaN, Infinity, -Infinity])('refuses a %s value, naming the tensor and element', (value) => {
    const t = good();
    new DataView(t['fc2.weight'].bytes.buffer).setFloat32(4 * 5, value, true);
    expectRefused(writeSafetensors(t), ['fc2.weight', String(value), 'element 5']);
  });

  it('refuses an unexpected extra tensor', () => {
    const t = good();
    t['fc3.weight'] = { dtype: 'F32', shape: [1, 2], bytes: new Uint8Array(8) };
    expectRefused(writeSafetensors(t), ['unexpected', 'fc3.weight']);
    const u = good();
    u['conv1.weight'] = { dtype: 'F32', shape: [1], bytes: new Uint8Array(4) };
    expectRefused(writeSafetensors(u), ['unexpected', 'conv1.weight']);
  });
});

describe('safetensorsSizes', () => {
  it('reads the layer sizes from the fc*.weight shapes', () => {
    expect(safetensorsSizes(encodeSafetensors(initMlp(SIZES, 1)))).toEqual([784, 512, 256, 10]);
    expect(safetensorsSizes(writeSafetensors(rawTensors(initMlp(SMALL, 1))))).toEqual(SMALL);
  });

  it('refuses a file without fc1.weight, or with a weight that is not a matrix', () => {
    const t = rawTensors(initMlp(SMALL, 1));
    expect(() => safetensorsSizes(writeSafetensors({ 'fc1.bias': t['fc1.bias'] }), 'w')).toThrow(/w: .*fc1\.weight/);
    const entry = { 'fc2.weight': { shape: [6] } };
    expect(() => safetensorsSizes(writeSafetensors(t, { entry }), 'w')).toThrow(SafetensorsError);
    expect(() => safetensorsSizes(writeSafetensors(t, { entry }), 'w')).toThrow(/fc2\.weight/);
  });
});
