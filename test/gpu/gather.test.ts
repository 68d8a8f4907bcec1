import { describe, expect, it } from 'vitest';
import { convertU8Cpu, gatherU8Cpu } from '../../src/reference/kernels.ts';
import { convertDispatch, gatherDispatch, uploadU8 } from '../../src/gpu/kernels/gather.ts';
import { runDispatches } from '../../src/gpu/runner.ts';
import { epochOrder } from '../../src/data/batches.ts';
import { createRng } from '../../src/data/prng.ts';
import { augmentSalt } from '../../src/data/augment.ts';
import { expectClose, useGpu } from './gpu-suite.ts';

// byte / 255: WGSL allows f32 division 2.5 ULP of error (SwiftShader multiplies by 1/255 and is
// 1 ULP off), and an ULP is at most 2^-23 of the value. Labels are copied, so exact.
const X_TOL = { atol: 0, rtol: 2.5 * 2 ** -23 };
const EXACT = { atol: 0, rtol: 0 };

const BATCH = 32;

// 112 = 3 * 32 + 16: the last batch is ragged like MNIST's test set (10000 mod 32 = 16). 113
// samples of 5 bytes make 565-byte images and 113-byte labels, neither a whole number of words,
// and rows that start at every byte offset inside a word.
const CASES = [
  { rowLen: 784, count: 112 },
  { rowLen: 5, count: 113 },
];

describe('gather kernel vs gatherU8Cpu', () => {
  const gpu = useGpu();
  for (const { rowLen, count } of CASES) {
    it(`rowLen ${rowLen}: full batches at counter 0 and > 0, then the ragged last batch`, async () => {
      const ctx = gpu();
      const rng = createRng(rowLen);
      const images = Uint8Array.from({ length: count * rowLen }, () => rng.int(256));
      const labels = Uint8Array.from({ length: count }, () => rng.int(10));
      // Bytes 0 and 255 pin the ends of the scale.
      images[0] = 0;
      images[1] = 255;
      const order = epochOrder(count, 7, 1, true);
      const x = ctx.storage('x', BATCH * rowLen * 4);
      const y = ctx.storage('y', BATCH * 4);
      const bufs = { images: uploadU8(ctx, 'images', images), labels: uploadU8(ctx, 'labels', labels), order: ctx.storage('order', order), x, y };
      const steps = Math.ceil(count / BATCH);
      let maxErr = 0;
      for (const step of [0, 1, steps - 1]) {
        const rows = Math.min(BATCH, count - step * BATCH);
        const counter = ctx.storage('counter', new Uint32Array([step]));
        await runDispatches(ctx, [gatherDispatch(ctx, { ...bufs, counter }, { rows, batchStride: BATCH, rowLen })]);
        const indices = order.subarray(step * BATCH, step * BATCH + rows);
        const what = `gather rowLen ${rowLen} step ${step} rows ${rows}`;
        maxErr = Math.max(maxErr, expectClose(`${what} x`, await ctx.readF32(x, rows * rowLen), gatherU8Cpu(images, indices, rowLen), X_TOL));
        expectClose(`${what} y`, await ctx.readU32(y, rows), Array.from(indices, (i) => labels[i]), EXACT);
        ctx.destroyBuffer(counter);
      }
      console.log(`gather rowLen ${rowLen}: max |gpu - ref| of x = ${maxErr.toExponential(2)}`);
      for (const buf of Object.values(bufs)) ctx.destroyBuffer(buf);
    });
  }
});

// Augmentation: MNIST's 28x28 by up to 2 pixels, and 5x3 images (rows starting mid-word) by up to
// 1; every shift of each row is drawn on the GPU from the counter's salt and must equal the twin's.
describe('gather kernel with random shifts vs gatherU8Cpu', () => {
  const gpu = useGpu();
  for (const { rowLen, width, shift, count } of [{ rowLen: 784, width: 28, shift: 2, count: 112 }, { rowLen: 15, width: 5, shift: 1, count: 113 }]) {
    it(`${width}x${rowLen / width} images, shift ${shift}: full and ragged batches`, async () => {
      const ctx = gpu();
      const rng = createRng(rowLen + 2);
      const images = Uint8Array.from({ length: count * rowLen }, () => 1 + rng.int(255));
      const labels = Uint8Array.from({ length: count }, () => rng.int(10));
      const order = epochOrder(count, 3, 2, true);
      const salt = augmentSalt(3, 2);
      const x = ctx.storage('x', BATCH * rowLen * 4);
      const y = ctx.storage('y', BATCH * 4);
      const bufs = { images: uploadU8(ctx, 'images', images), labels: uploadU8(ctx, 'labels', labels), order: ctx.storage('order', order), x, y };
      let moved = 0;
      for (const step of [0, 1, Math.ceil(count / BATCH) - 1]) {
        const rows = Math.min(BATCH, count - step * BATCH);
        const counter = ctx.storage('counter', new Uint32Array([step, salt]));
        await runDispatches(ctx, [gatherDispatch(ctx, { ...bufs, counter }, { rows, batchStride: BATCH, rowLen, width, shift })]);
        const indices = order.subarray(step * BATCH, step * BATCH + rows);
        const ref = gatherU8Cpu(images, indices, rowLen, { shift, width, salt, firstPosition: step * BATCH });
        expectClose(`shifted gather step ${step}`, await ctx.readF32(x, rows * rowLen), ref, X_TOL);
        // Every pixel is >= 1, so a zero is a pixel shifted in: most rows must have some.
        for (let r = 0; r < rows; r++) if (ref.subarray(r * rowLen, (r + 1) * rowLen).includes(0)) moved++;
        ctx.destroyBuffer(counter);
      }
      expect(moved).toBeGreaterThan(30);
      for (const buf of Object.values(bufs)) ctx.destroyBuffer(buf);
    });
  }
});

// A streamed ring slot: the CPU wrote a batch's rows in sample order. 13 rows: a ragged batch whose
// labels are not a whole number of words; the slot's rows past it are left over from earlier.
describe('convert kernel vs convertU8Cpu', () => {
  const gpu = useGpu();
  for (const { rowLen } of CASES) {
    it(`rowLen ${rowLen}: a full batch, then a ragged one`, async () => {
      const ctx = gpu();
      const rng = createRng(rowLen + 1);
      const x = ctx.storage('x', BATCH * rowLen * 4);
      const y = ctx.storage('y', BATCH * 4);
      for (const rows of [BATCH, 13]) {
        const images = Uint8Array.from({ length: BATCH * rowLen }, () => rng.int(256));
        const labels = Uint8Array.from({ length: BATCH }, () => rng.int(10));
        images[0] = 0;
        images[1] = 255;
        const slot = { images: uploadU8(ctx, 'slot images', images), labels: uploadU8(ctx, 'slot labels', labels), x, y };
        await runDispatches(ctx, [convertDispatch(ctx, slot, rows, rowLen)]);
        const what = `convert rowLen ${rowLen} rows ${rows}`;
        expectClose(`${what} x`, await ctx.readF32(x, rows * rowLen), convertU8Cpu(images, rows, rowLen), X_TOL);
        expectClose(`${what} y`, await ctx.readU32(y, rows), labels.subarray(0, rows), EXACT);
        ctx.destroyBuffer(slot.images);
        ctx.destroyBuffer(slot.labels);
      }
      ctx.destroyBuffer(x);
      ctx.destroyBuffer(y);
    });
  }
});
