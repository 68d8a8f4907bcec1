import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { IdxError, parseIdx } from '../../src/data/idx.ts';

/** An IDX file of unsigned bytes with the given dims; `data` defaults to 0, 1, 2, ... */
function idx(dims: number[], data?: number[], type = 0x08): Uint8Array {
  const n = dims.reduce((a, b) => a * b, 1);
  const out = new Uint8Array(4 + 4 * dims.length + (data?.length ?? n));
  const view = new DataView(out.buffer);
  out.set([0, 0, type, dims.length]);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  out.set(data ?? Array.from({ length: n }, (_, i) => i & 0xff), 4 + 4 * dims.length);
  return out;
}

function idxError(bytes: Uint8Array, name = 'f-idx3-ubyte'): IdxError {
  try {
    parseIdx(bytes, name);
  } catch (e) {
    expect(e).toBeInstanceOf(IdxError);
    expect((e as IdxError).message.startsWith(`${name}: `)).toBe(true);
    expect((e as IdxError).file).toBe(name);
    return e as IdxError;
  }
  throw new Error('expected parseIdx to throw');
}

describe('parseIdx', () => {
  it('reads dims big-endian and returns the data as a zero-copy view', () => {
    const bytes = idx([2, 3, 4]);
    const t = parseIdx(bytes, 'x');
    expect(t.dims).toEqual([2, 3, 4]);
    expect(t.data.length).toBe(24);
    expect(t.data.buffer).toBe(bytes.buffer);
    expect(t.data.byteOffset).toBe(16);
    expect(Array.from(t.data.subarray(0, 4))).toEqual([0, 1, 2, 3]);
  });

  it('handles a dimension above 2^16 (big-endian, all four bytes)', () => {
    const t = parseIdx(idx([70000]), 'x');
    expect(t.dims).toEqual([70000]);
    expect(t.data.length).toBe(70000);
  });

  it('parses a view that starts inside a larger buffer', () => {
    const inner = idx([3], [7, 8, 9]);
    const outer = new Uint8Array(inner.length + 5);
    outer.set(inner, 5);
    const t = parseIdx(outer.subarray(5), 'x');
    expect(t.dims).toEqual([3]);
    expect(Array.from(t.data)).toEqual([7, 8, 9]);
    expect(t.data.byteOffset).toBe(5 + 8);
  });

  it('rejects a file shorter than the magic', () => {
    expect(idxError(new Uint8Array([0, 0, 8])).message).toMatch(/3 bytes, too short for an IDX header/);
  });

  it('rejects a bad magic number and says it is not IDX', () => {
    const bytes = idx([1, 2, 2]);
    bytes[0] = 0x50;
    bytes[1] = 0x4b;
    const e = idxError(bytes, 'train-images-idx3-ubyte');
    expect(e.message).toMatch(/bad magic number 0x504b0803 \(expected 0x00000803\)/);
    expect(e.message).toMatch(/not an IDX file/);
  });

  it('recognises gzip input and says to decompress it', () => {
    const gz = gzipSync(idx([1, 2, 2]));
    const e = idxError(gz, 'train-images-idx3-ubyte');
    expect(e.message).toMatch(/^train-images-idx3-ubyte: bad magic number 0x1f8b08[0-9a-f]{2} \(expected 0x00000803\)/);
    expect(e.message).toMatch(/still gzip-compressed\?/);
  });

  it('names the expected magic from the rank in the file name', () => {
    const gz = gzipSync(idx([3]));
    expect(idxError(gz, 't10k-labels-idx1-ubyte').message).toMatch(/expected 0x00000801/);
    expect(idxError(gz, 'labels.bin').message).toMatch(/expected 0x000008NN/);
  });

  it('rejects other IDX types, naming the type', () => {
    expect(idxError(idx([2], [0, 0], 0x0d)).message).toMatch(/data type 0x0d \(float32\) is not supported; only 0x08 \(unsigned byte\)/);
    expect(idxError(idx([2], [0, 0], 0x09)).message).toMatch(/data type 0x09 \(signed byte\)/);
    expect(idxError(idx([2], [0, 0], 0x42)).message).toMatch(/data type 0x42 \(not an IDX type\)/);
  });

  it('rejects rank 0 and rank above 4', () => {
    expect(idxError(new Uint8Array([0, 0, 8, 0])).message).toMatch(/rank 0 is out of range/);
    expect(idxError(idx([1, 1, 1, 1, 1])).message).toMatch(/rank 5 is out of range/);
  });

  it('rejects a header cut short', () => {
    const bytes = idx([2, 2, 2]).subarray(0, 10);
    expect(idxError(bytes).message).toMatch(/truncated header: rank 3 needs 16 bytes, found 10/);
  });

  it('rejects a zero dimension', () => {
    expect(idxError(idx([4, 0, 4])).message).toMatch(/dimension 1 is 0/);
  });

  it('rejects truncated data with the byte counts', () => {
    const bytes = idx([3, 2, 2]);
    expect(idxError(bytes.subarray(0, bytes.length - 1)).message).toMatch(
      /truncated: expected 12 bytes of data, found 11/,
    );
  });

  it('rejects trailing bytes after the data', () => {
    const bytes = new Uint8Array(idx([3, 2, 2]).length + 2);
    bytes.set(idx([3, 2, 2]));
    expect(idxError(bytes).message).toMatch(/2 trailing bytes after the 12 bytes of data/);
  });

  it('rejects a header whose dims overflow any possible length', () => {
    expect(idxError(idx([0xffffffff, 0xffffffff, 0xffffffff], [1, 2])).message).toMatch(/truncated: expected/);
  });
});
