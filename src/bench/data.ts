// Section 6: how MNIST batches enter the GPU, the two designs the product requirement names, per
// epoch of the recipe's 60,000 training images:
//   (A) upload-once, what GpuTrainer does: the u8 training set uploaded once (timed apart); per
//       epoch the shuffled order written once and every batch gathered on the GPU (gather_u8, by
//       the order buffer and the GPU step counter);
//   (B) streaming: per step the CPU gathers the batch's u8 rows and labels by the same order into
//       staging arrays, queue.writeBuffer()s them into a ring slot, and convert_u8 turns the slot
//       into the f32 input rows.
// Both submit readbackEvery steps at a time as the trainer does, with one sync per epoch, and both
// end each step with the counter's advance, which the trainer's metrics need whichever way data
// enters: they differ by their data path alone. The CPU work of (B) for a submit overlaps the GPU
// running the previous one, as it would in a streaming trainer.
import { batchIndices, epochOrder } from '../data/batches.ts';
import { syntheticSplit, type ByteSplit } from '../data/synthetic.ts';
import type { GpuContext } from '../gpu/context.ts';
import type { Dispatch } from '../gpu/dispatch.ts';
import { submitSteps } from '../gpu/runner.ts';
import { convertDispatch, gatherDispatch, uploadData } from '../gpu/kernels/gather.ts';
import { advanceDispatch, createRunRecord, resetRecord } from '../gpu/kernels/metrics.ts';
import { gatherU8Cpu } from '../reference/kernels.ts';
import { TOLERANCES } from '../reference/tolerance.ts';
import { median, medianRatio, timeInterleaved, type TimingBudget } from './timing.ts';
import { RECIPE_TRAIN, readbackEveryFor } from './training.ts';
import type { DataRow } from './types.ts';
import type { Validator } from './validate.ts';

/** Copies batch `step` of the epoch `order` into a ring slot's staging arrays, rows in sample
 * order (images: rows x rowLen bytes, labels: rows bytes), as convert_u8 reads them; returns the
 * row count, fewer than batchSize for a ragged last batch. */
export function packBatch(split: ByteSplit, order: Uint32Array, step: number, batchSize: number, images: Uint8Array, labels: Uint8Array): number {
  const idx = batchIndices(order, step, batchSize);
  const rowLen = split.width;
  for (let r = 0; r < idx.length; r++) {
    const s = idx[r];
    images.set(split.features.subarray(s * rowLen, (s + 1) * rowLen), r * rowLen);
    labels[r] = split.labels[s];
  }
  return idx.length;
}

/** Epochs after which upload-once has paid for its upload: the upload over what streaming costs
 * more per epoch; null when streaming costs no more, so the upload never pays back. */
export const breakEvenEpochs = (uploadMs: number, streamExtraMsPerEpoch: number): number | null =>
  streamExtraMsPerEpoch > 0 ? uploadMs / streamExtraMsPerEpoch : null;

/** Which design the trainer should use for a run of `epochs` epochs, and why, from the measured
 * figures: upload-once where its upload pays back within the run, else streaming. */
export function dataVerdict(
  row: Pick<DataRow, 'batch' | 'uploadMs' | 'streamExtraMsPerEpoch' | 'breakEvenEpochs' | 'streamOverOnce'>,
  epochs: number,
): { choice: 'upload-once' | 'streaming'; line: string } {
  const { batch, uploadMs, streamExtraMsPerEpoch: extra, breakEvenEpochs: be, streamOverOnce } = row;
  const ms = (x: number) => `${x.toFixed(0)} ms`;
  const at = `batch ${batch} (streaming / upload-once per epoch ${streamOverOnce.toFixed(2)})`;
  if (be === null) {
    return { choice: 'streaming', line: `Streaming: at ${at} it costs ${ms(-extra)} less per epoch than gathering from the resident ` +
      `set, so upload-once never pays back its ${ms(uploadMs)} upload; the trainer should stream.` };
  }
  if (be > epochs) {
    return { choice: 'streaming', line: `Streaming: at ${at} upload-once saves ${ms(extra)} per epoch, but its ${ms(uploadMs)} upload ` +
      `takes ${be.toFixed(1)} epochs to pay back, more than the run's ${epochs}; the trainer should stream ` +
      `(upload-once wins from ${Math.ceil(be)} epochs on).` };
  }
  return { choice: 'upload-once', line: `Upload-once: at ${at} streaming costs ${ms(extra)} more per epoch, so the ${ms(uploadMs)} ` +
    `upload has paid for itself after ${be.toFixed(1)} epochs; over the run's ${epochs} it saves ${ms(epochs * extra - uploadMs)}: ` +
    'the trainer should keep uploading once.' };
}

export async function benchData(
  ctx: GpuContext,
  opts: { batches: number[]; readbackEvery: number | null },
  budget: TimingBudget,
  v: Validator,
  log: (s: string) => void,
): Promise<DataRow[]> {
  const rows: DataRow[] = [];
  const release = ctx.trackNewBuffers();
  try {
    log(`data: generating ${RECIPE_TRAIN} synthetic MNIST-sized images`);
    const train = syntheticSplit(RECIPE_TRAIN, 300);
    const rowLen = train.width;
    const order = epochOrder(train.count, 1, 0, true);
    const images = uploadData(ctx, 'data images', train.features);
    const labels = uploadData(ctx, 'data labels', train.labels);
    const orderBuf = ctx.storage('data order', train.count * 4);
    for (const B of opts.batches) {
      const perSubmit = opts.readbackEvery ?? readbackEveryFor(B);
      const steps = Math.ceil(train.count / B);
      const rest = train.count % B;
      const x = ctx.storage(`data x B=${B}`, B * rowLen * 4);
      const y = ctx.storage(`data y B=${B}`, B * 4);
      const record = createRunRecord(ctx, `data B=${B}`, 0);
      const advance = advanceDispatch(ctx, record);
      const onceStep = (n: number): Dispatch[] =>
        [gatherDispatch(ctx, { images, labels, order: orderBuf, record, x, y }, { rows: n, batchStride: B, rowLen }), advance];
      const once = { full: onceStep(B), tail: rest ? onceStep(rest) : null };
      // writeBuffer lands before the next submit runs, so every step of a submit needs its own
      // slot: the ring holds one submit's batches, rewritten for the next submit (queue order
      // keeps that after the previous one has run).
      const ring = Array.from({ length: Math.min(perSubmit, steps) }, (_, i) => {
        const slot = { images: ctx.storage(`ring ${i} images`, B * rowLen), labels: ctx.storage(`ring ${i} labels`, B), x, y };
        return { ...slot, full: [convertDispatch(ctx, slot, B, rowLen), advance] };
      });
      const lastSlot = ring[(steps - 1) % perSubmit];
      const streamTail = rest ? [convertDispatch(ctx, lastSlot, rest, rowLen), advance] : null;
      // Staging padded to whole words: writeBuffer sizes are multiples of 4 bytes.
      const words = (n: number) => Math.ceil(n / 4) * 4;
      const stagingImages = new Uint8Array(words(B * rowLen));
      const stagingLabels = new Uint8Array(words(B));

      const runEpoch = async (stepDispatches: (step: number) => readonly Dispatch[]) => {
        resetRecord(ctx, record);
        for (let s0 = 0; s0 < steps; s0 += perSubmit) {
          submitSteps(ctx, { steps: Math.min(perSubmit, steps - s0), dispatches: (i) => stepDispatches(s0 + i) });
        }
        await ctx.sync();
      };
      const onceEpoch = () => {
        ctx.write(orderBuf, order);
        return runEpoch((s) => (s === steps - 1 && once.tail ? once.tail : once.full));
      };
      let streamCpuMs = 0;
      const streamEpoch = () => runEpoch((s) => {
        const t0 = performance.now();
        const slot = ring[s % perSubmit];
        const n = packBatch(train, order, s, B, stagingImages, stagingLabels);
        ctx.write(slot.images, stagingImages.subarray(0, words(n * rowLen)));
        ctx.write(slot.labels, stagingLabels.subarray(0, words(n)));
        streamCpuMs += performance.now() - t0;
        return n < B ? streamTail! : slot.full;
      });

      // Validate first: after an epoch x and y hold the last batch, ragged where B does not divide it.
      log(`data B=${B}: validating both paths' last batch against the CPU gather`);
      const last = batchIndices(order, steps - 1, B);
      const wantX = gatherU8Cpu(train.features, last, rowLen);
      const wantY = Array.from(last, (s) => train.labels[s]);
      let ok = true;
      for (const [name, epoch] of [['upload-once', onceEpoch], ['streaming', streamEpoch]] as const) {
        await epoch();
        ok = v.check(`data ${name} B=${B} x`, await ctx.readF32(x, last.length * rowLen), wantX, TOLERANCES.pixels) && ok;
        ok = v.check(`data ${name} B=${B} y`, await ctx.readU32(y, last.length), wantY, TOLERANCES.exact) && ok;
      }
      if (!ok) continue;

      log(`data B=${B}: timing an epoch of ${steps} steps each way, ${perSubmit} per submit, and the upload, in rounds`);
      const cpuPerRun: number[] = [];
      const { timings, samples } = await timeInterleaved([
        async (inner) => {
          for (let i = 0; i < inner; i++) await onceEpoch();
        },
        async (inner) => {
          streamCpuMs = 0;
          for (let i = 0; i < inner; i++) await streamEpoch();
          cpuPerRun.push(streamCpuMs / inner);
        },
        async (inner) => {
          for (let i = 0; i < inner; i++) {
            const up = [uploadData(ctx, 'timed upload images', train.features), uploadData(ctx, 'timed upload labels', train.labels)];
            await ctx.sync();
            for (const b of up) ctx.destroyBuffer(b);
          }
        },
      ], budget);
      const [onceT, streamT, uploadT] = timings;
      const extra = median(samples[1].map((ms, r) => ms - samples[0][r]));
      const row: DataRow = {
        batch: B,
        steps,
        stepsPerSubmit: perSubmit,
        ringSlots: ring.length,
        ringBytes: ring.length * (B * rowLen + B),
        residentBytes: train.features.byteLength + train.labels.byteLength,
        uploadMs: uploadT.ms,
        onceEpochMs: onceT.ms,
        streamEpochMs: streamT.ms,
        streamCpuMs: median(cpuPerRun.slice(-streamT.repeats)),
        streamOverOnce: medianRatio(samples[1], samples[0]),
        streamExtraMsPerEpoch: extra,
        breakEvenEpochs: breakEvenEpochs(uploadT.ms, extra),
        timings: { upload: uploadT, once: onceT, stream: streamT },
      };
      rows.push(row);
      log(`data B=${B}: upload ${row.uploadMs.toFixed(0)} ms once; per epoch (A) gather ${row.onceEpochMs.toFixed(0)} ms, ` +
        `(B) streaming ${row.streamEpochMs.toFixed(0)} ms (CPU ${row.streamCpuMs.toFixed(0)}); B/A ${row.streamOverOnce.toFixed(2)}, ` +
        `break-even ${row.breakEvenEpochs === null ? 'never' : `${row.breakEvenEpochs.toFixed(1)} epochs`}`);
    }
  } finally {
    release();
  }
  return rows;
}
