import { describe, expect, it } from 'vitest';
import { convertU8Cpu, gatherF32Cpu, gatherU8Cpu } from '../../src/reference/kernels.ts';
import { TOLERANCES } from '../../src/reference/tolerance.ts';
import { convertDispatch, gatherDispatch } from '../../src/gpu/kernels/gather.ts';
import { epochOrder } from '../../src/data/batches.ts';
import { createRng } from '../../src/data/prng.ts';
import { augmentSalt } from '../../src/data/augment.ts';
import { useGpu } from './gpu-suite.ts';
import { checkKernel, WorstErrors } from './kernel-check.ts';

const BATCH = 32;

// 112 = 3 * 32 + 16: the last batch is ragged like MNIST's test set (10000 mod 32 = 16). 113
// samples of 5 bytes make 565-byte images and 113-byte labels, neither a whole number of words,
// and rows that start at every byte offset inside a word.
const CASES = [
  { rowLen: 784, count: 112 },
  { rowLen: 5, count: 113 },
];

function makeSet(rowLen: number, count: number, seed: number, minPixel = 0) {
  const rng = createRng(seed);
  const images = Uint8Array.from({ length: count * rowLen }, () => minPixel + rng.int(256 - minPixel));
  const labels = Uint8Array.from({ length: count }, () => rng.int(10));
  return { images, labels };
}

describe('gather kernel vs gatherU8Cpu', () => {
  const gpu = useGpu();
  for (const { rowLen, count } of CASES) {
    it(`rowLen ${rowLen}: full batches at counter 0 and > 0, then the ragged last batch`, async () => {
      const { images, labels } = makeSet(rowLen, count, rowLen);
      // Bytes 0 and 255 pin the ends of the scale.
      images[0] = 0;
      images[1] = 255;
      const order = epochOrder(count, 7, 1, true);
      const worst = new WorstErrors();
      for (const step of [0, 1, Math.ceil(count / BATCH) - 1]) {
        const rows = Math.min(BATCH, count - step * BATCH);
        const indices = order.subarray(step * BATCH, step * BATCH + rows);
        worst.add(await checkKernel(gpu(), {
          what: `gather rowLen ${rowLen} step ${step} rows ${rows}`,
          buffers: { images, labels, order, counter: Uint32Array.of(step), x: BATCH * rowLen, y: BATCH },
          dispatches: (bufs) => gatherDispatch(gpu(), { ...bufs, record: { buffer: bufs.counter } }, { rows, batchStride: BATCH, rowLen }),
          expect: () => ({
            x: { ref: gatherU8Cpu(images, indices, rowLen), tol: TOLERANCES.pixels },
            y: { ref: Array.from(indices, (i) => labels[i]), tol: TOLERANCES.exact, as: 'u32' },
          }),
        }));
      }
      worst.log(`gather rowLen ${rowLen}`);
    });
  }
});

// f32 features (a CSV's): copied as they are, bit for bit. Four features like Iris's, and 784 like
// an MNIST CSV; values of every sign and magnitude f32 holds, labels past 9 (13 classes).
describe('gather_f32 vs gatherF32Cpu', () => {
  const gpu = useGpu();
  for (const { rowLen, count } of [{ rowLen: 4, count: 113 }, { rowLen: 784, count: 112 }]) {
    it(`rowLen ${rowLen}: full batches at counter 0 and > 0, then the ragged last batch`, async () => {
      const rng = createRng(rowLen + 5);
      const features = Float32Array.from({ length: count * rowLen }, () => (rng.next() - 0.5) * 10 ** rng.int(12) * (rng.next() < 0.5 ? 1e-6 : 1));
      features.set([0, -0, 3.4e38, -1.2e-38].slice(0, rowLen));
      const labels = Uint8Array.from({ length: count }, () => rng.int(13));
      const order = epochOrder(count, 5, 0, true);
      for (const step of [0, 1, Math.ceil(count / BATCH) - 1]) {
        const rows = Math.min(BATCH, count - step * BATCH);
        const indices = order.subarray(step * BATCH, step * BATCH + rows);
        await checkKernel(gpu(), {
          what: `gather_f32 rowLen ${rowLen} step ${step} rows ${rows}`,
          buffers: { features, labels, order, counter: Uint32Array.of(step), x: BATCH * rowLen, y: BATCH },
          dispatches: (bufs) => gatherDispatch(gpu(), { ...bufs, images: bufs.features, record: { buffer: bufs.counter } }, { rows, batchStride: BATCH, rowLen, type: 'f32' }),
          expect: () => ({
            x: { ref: gatherF32Cpu(features, indices, rowLen), tol: TOLERANCES.exact },
            y: { ref: Array.from(indices, (i) => labels[i]), tol: TOLERANCES.exact, as: 'u32' },
          }),
        });
      }
    });
  }

  it('refuses to shift features: they are not images', () => {
    const b = gpu().storage('b', 16);
    expect(() => gatherDispatch(gpu(), { images: b, labels: b, order: b, x: b, y: b, record: { buffer: b } }, { rows: 1, batchStride: 1, rowLen: 4, type: 'f32', shift: 1 }))
      .toThrow('gather_f32: f32 features are not images and cannot be shifted, got shift 1');
    b.destroy();
  });
});

// Augmentation: MNIST's 28x28 by up to 2 pixels, and 5x3 images (rows starting mid-word) by up to
// 1; every shift of each row is drawn on the GPU from the counter's salt and must equal the twin's.
describe('gather kernel with random shifts vs gatherU8Cpu', () => {
  const gpu = useGpu();
  for (const { rowLen, width, shift, count } of [{ rowLen: 784, width: 28, shift: 2, count: 112 }, { rowLen: 15, width: 5, shift: 1, count: 113 }]) {
    it(`${width}x${rowLen / width} images, shift ${shift}: full and ragged batches`, async () => {
      // Every pixel >= 1, so a zero is a pixel shifted in.
      const { images, labels } = makeSet(rowLen, count, rowLen + 2, 1);
      const order = epochOrder(count, 3, 2, true);
      const salt = augmentSalt(3, 2);
      let moved = 0;
      for (const step of [0, 1, Math.ceil(count / BATCH) - 1]) {
        const rows = Math.min(BATCH, count - step * BATCH);
        const indices = order.subarray(step * BATCH, step * BATCH + rows);
        const ref = gatherU8Cpu(images, indices, rowLen, { shift, width, salt, firstPosition: step * BATCH });
        await checkKernel(gpu(), {
          what: `shifted gather step ${step}`,
          buffers: { images, labels, order, counter: Uint32Array.of(step, salt), x: BATCH * rowLen, y: BATCH },
          dispatches: (bufs) => gatherDispatch(gpu(), { ...bufs, record: { buffer: bufs.counter } }, { rows, batchStride: BATCH, rowLen, width, shift }),
          expect: () => ({ x: { ref, tol: TOLERANCES.pixels } }),
        });
        for (let r = 0; r < rows; r++) if (ref.subarray(r * rowLen, (r + 1) * rowLen).includes(0)) moved++;
      }
      // Most rows must have moved.
      expect(moved).toBeGreaterThan(30);
    });
  }
});

// A streamed ring slot: the CPU wrote a batch's rows in sample order. 13 rows: a ragged batch whose
// labels are not a whole number of words; the slot's rows past it are left over from earlier.
describe('convert kernel vs convertU8Cpu', () => {
  const gpu = useGpu();
  for (const { rowLen } of CASES) {
    it(`rowLen ${rowLen}: a full batch, then a ragged one`, async () => {
      for (const rows of [BATCH, 13]) {
        const { images, labels } = makeSet(rowLen, BATCH, rowLen + rows);
        images[0] = 0;
        images[1] = 255;
        await checkKernel(gpu(), {
          what: `convert rowLen ${rowLen} rows ${rows}`,
          buffers: { images, labels, x: BATCH * rowLen, y: BATCH },
          dispatches: (bufs) => convertDispatch(gpu(), bufs, rows, rowLen),
          expect: () => ({
            x: { ref: convertU8Cpu(images, rows, rowLen), tol: TOLERANCES.pixels },
            y: { ref: labels.subarray(0, rows), tol: TOLERANCES.exact, as: 'u32' },
          }),
        });
      }
    });
  }
});
