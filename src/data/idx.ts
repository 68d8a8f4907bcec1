// IDX, the format of the MNIST files (http://yann.lecun.com/exdb/mnist/) and of the sets made in
// its image (Fashion-MNIST, KMNIST, ...): a 4-byte magic (0x00 0x00, a type byte, a rank byte),
// then `rank` big-endian u32 dimensions, then the data in row-major order. Only the unsigned-byte
// type is accepted: it is the one these sets use, and the trainer uploads pixels to the GPU as bytes.
import { DataError } from './dataset.ts';

export interface IdxTensor {
  dims: number[];
  /** A view into the input bytes (no copy), exactly product(dims) long. */
  data: Uint8Array;
}

/** A malformed or unexpected IDX file; `file` is the name the caller gave it. */
export class IdxError extends DataError {
  override name = 'IdxError';
}

const TYPE_NAMES: Record<number, string> = {
  0x08: 'unsigned byte',
  0x09: 'signed byte',
  0x0b: 'int16',
  0x0c: 'int32',
  0x0d: 'float32',
  0x0e: 'float64',
};

const hex = (n: number, digits: number): string => '0x' + n.toString(16).padStart(digits, '0');

/** The magic a file should have; MNIST names carry their rank ("idx3"), which makes the hint exact. */
function expectedMagic(name: string): string {
  const rank = /idx([1-4])/.exec(name)?.[1];
  return rank ? hex(0x800 + Number(rank), 8) : '0x000008NN, NN the rank 01..04';
}

export function parseIdx(bytes: Uint8Array, name: string): IdxTensor {
  if (bytes.length < 4) {
    throw new IdxError(
      name,
      `file is ${bytes.length} bytes, too short for an IDX header (at least 4). ` +
        'Is the download incomplete? Fetch the file again.',
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0);
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    throw new IdxError(
      name,
      `bad magic number ${hex(magic, 8)} (expected ${expectedMagic(name)}). ` +
        'Is the file still gzip-compressed? Decompress it (gunzip) first; the folder and URL loaders do that for you.',
    );
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new IdxError(
      name,
      `bad magic number ${hex(magic, 8)} (expected ${expectedMagic(name)}). ` +
        'This is not an IDX file; use the data set\'s original IDX files.',
    );
  }
  const type = bytes[2];
  if (type !== 0x08) {
    const known = TYPE_NAMES[type];
    throw new IdxError(
      name,
      `data type ${hex(type, 2)} (${known ?? 'not an IDX type'}) is not supported; ` +
        'only 0x08 (unsigned byte), the type of the MNIST-style image and label files, is.',
    );
  }
  const rank = bytes[3];
  if (rank < 1 || rank > 4) {
    throw new IdxError(
      name,
      `rank ${rank} is out of range (expected 1 to 4: 1 for labels, 3 for images, 2 for rows of bytes). The header is corrupt.`,
    );
  }
  const headerLength = 4 + 4 * rank;
  if (bytes.length < headerLength) {
    throw new IdxError(
      name,
      `truncated header: rank ${rank} needs ${headerLength} bytes, found ${bytes.length}. ` +
        'Fetch the file again.',
    );
  }
  const dims: number[] = [];
  for (let i = 0; i < rank; i++) {
    const d = view.getUint32(4 + 4 * i);
    if (d === 0) {
      throw new IdxError(name, `dimension ${i} is 0; every dimension must be positive. The header is corrupt.`);
    }
    dims.push(d);
  }
  // A float product is exact up to 2^53, far beyond any length a Uint8Array can have, so an
  // overflowing header simply fails the comparison below.
  const expected = dims.reduce((a, b) => a * b, 1);
  const found = bytes.length - headerLength;
  if (found < expected) {
    throw new IdxError(
      name,
      `truncated: expected ${expected} bytes of data, found ${found} (dims ${dims.join('x')}). ` +
        'Is the download incomplete? Fetch the file again.',
    );
  }
  if (found > expected) {
    throw new IdxError(
      name,
      `${found - expected} trailing bytes after the ${expected} bytes of data (dims ${dims.join('x')}). ` +
        'The file is corrupt or two files were concatenated; fetch it again.',
    );
  }
  return { dims, data: bytes.subarray(headerLength) };
}
