// One batch to the f32 input rows (shaders/gather.wgsl): gathered from the resident data set, u8
// (gather_u8, CPU twin gatherU8Cpu) or f32 (gather_f32, CPU twin gatherF32Cpu), or converted from
// a u8 batch the CPU wrote in sample order (convert_u8, CPU twin convertU8Cpu). images is
// (count, rowLen) u8 packed 4 per u32 word, or f32; labels (count) u8, packed; order is (count)
// u32; record is a run record (its step counter first, the epoch's augmentation salt second); x is
// (rows, rowLen) f32 (in [0, 1] from u8), y is (rows) u32.
import type { GpuContext } from '../context.ts';
import { ceilDiv, makeDispatch, type Dispatch } from '../dispatch.ts';
import { shaders, wgslConst } from '../shaders.ts';
import type { RunRecord } from './metrics.ts';

/** Output pixels per workgroup. */
const PIXELS_PER_GROUP = wgslConst(shaders.gather, 'WG') * wgslConst(shaders.gather, 'PIXELS');

/** Uploads samples or labels as they are: their bytes are the words the kernel reads (u8 packed 4
 * per word, f32 one per word), and the buffer is padded to a whole word (GpuContext.createBuffer
 * rounds sizes up to 4 bytes). */
export function uploadData(ctx: GpuContext, label: string, data: Uint8Array | Float32Array): GPUBuffer {
  return ctx.storage(label, data);
}

export interface ConvertBuffers {
  images: GPUBuffer;
  labels: GPUBuffer;
  /** f32 (rows, rowLen). */
  x: GPUBuffer;
  /** u32 (rows). */
  y: GPUBuffer;
}

export interface GatherBuffers extends ConvertBuffers {
  /** u32 sample indices for the whole epoch. */
  order: GPUBuffer;
  /** The pass's run record (src/gpu/kernels/metrics.ts): its step counter picks the batch, and
   * its salt the shifts when the shape asks for them. */
  record: Pick<RunRecord, 'buffer'>;
}

export interface GatherShape {
  /** Rows of this batch: the batch size, or fewer for the ragged last batch. */
  rows: number;
  /** Samples per step in `order`: the batch size, also for the last batch. */
  batchStride: number;
  /** Values per sample: 784 for MNIST. */
  rowLen: number;
  /** The samples' type (default u8): gather_u8 or gather_f32. */
  type?: 'u8' | 'f32';
  /** Augmentation: shift each image (`width` pixels wide, rowLen / width high) by up to this many
   * pixels each way (gather_u8 only; default 0, none). */
  shift?: number;
  width?: number;
}

// u8 pixels (or f32 values) and labels in, f32 values and u32 labels out; the gathers also read an
// index per row and the counter.
const batchDispatch = (ctx: GpuContext, entry: 'gather_u8' | 'gather_f32' | 'convert_u8', buffers: GPUBuffer[], p: GatherShape): Dispatch => {
  const { rows, batchStride, rowLen, shift = 0, width = rowLen } = p;
  if (!(rows > 0 && rows <= batchStride && rowLen > 0)) {
    throw new RangeError(`${entry}: need 0 < rows <= batchStride and rowLen > 0, got rows ${rows}, batchStride ${batchStride}, rowLen ${rowLen}`);
  }
  if (!(Number.isInteger(shift) && shift >= 0 && width > 0 && rowLen % width === 0)) {
    throw new RangeError(`${entry}: need an integer shift >= 0 and a width dividing rowLen ${rowLen}, got shift ${shift}, width ${width}`);
  }
  if (entry === 'gather_f32' && shift > 0) {
    throw new RangeError(`gather_f32: f32 features are not images and cannot be shifted, got shift ${shift}`);
  }
  const params = ctx.uniform(`${entry} params`, new Uint32Array([batchStride, rowLen, width, shift]));
  const inBytes = entry === 'gather_f32' ? 4 : 1;
  return makeDispatch(ctx, `${entry} ${rows}x${rowLen}`, ctx.pipeline(shaders.gather, entry), [params, ...buffers],
    [ceilDiv(rowLen, PIXELS_PER_GROUP), rows], { flops: rows * rowLen, bytes: rows * rowLen * (inBytes + 4) + rows * 5 + (entry === 'convert_u8' ? 0 : rows * 4 + 4) });
};

/** Row r of the batch is sample order[step * batchStride + r], step being the record's counter. */
export function gatherDispatch(ctx: GpuContext, bufs: GatherBuffers, p: GatherShape): Dispatch {
  return batchDispatch(ctx, p.type === 'f32' ? 'gather_f32' : 'gather_u8', [bufs.images, bufs.labels, bufs.x, bufs.y, bufs.order, bufs.record.buffer], p);
}

/** Row r of the batch is row r of `images` (and label r of `labels`): a batch the CPU has already
 * gathered, such as a slot of a streamed ring. */
export function convertDispatch(ctx: GpuContext, bufs: ConvertBuffers, rows: number, rowLen: number): Dispatch {
  return batchDispatch(ctx, 'convert_u8', [bufs.images, bufs.labels, bufs.x, bufs.y], { rows, batchStride: rows, rowLen });
}
