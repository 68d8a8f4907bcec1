// One batch to the f32 input rows (shaders/gather.wgsl): gathered from the resident u8 data set
// (gather_u8, CPU twin gatherU8Cpu), or converted from a batch the CPU wrote in sample order
// (convert_u8, CPU twin convertU8Cpu). images is (count, rowLen) u8 and labels (count) u8, both
// packed 4 per u32 word; order is (count) u32; record is a run record (its step counter first,
// the epoch's augmentation salt second); x is (rows, rowLen) f32 in
// [0, 1], y is (rows) u32.
import type { GpuContext } from '../context.ts';
import { ceilDiv, makeDispatch, type Dispatch } from '../dispatch.ts';
import { shaders, wgslConst } from '../shaders.ts';
import type { RunRecord } from './metrics.ts';

/** Output pixels per workgroup. */
const PIXELS_PER_GROUP = wgslConst(shaders.gather, 'WG') * wgslConst(shaders.gather, 'PIXELS');

/** Uploads a u8 array as is: its bytes are the packed words the kernel reads, and the buffer is
 * padded to a whole word (GpuContext.createBuffer rounds sizes up to 4 bytes). */
export function uploadU8(ctx: GpuContext, label: string, bytes: Uint8Array): GPUBuffer {
  return ctx.storage(label, bytes);
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
  /** Bytes per image: 784 for MNIST. */
  rowLen: number;
  /** Augmentation: shift each image (`width` pixels wide, rowLen / width high) by up to this many
   * pixels each way (gather_u8 only; default 0, none). */
  shift?: number;
  width?: number;
}

// u8 pixels and labels in, f32 pixels and u32 labels out; gather_u8 also reads an index per row
// and the counter.
const batchDispatch = (ctx: GpuContext, entry: 'gather_u8' | 'convert_u8', buffers: GPUBuffer[], p: GatherShape): Dispatch => {
  const { rows, batchStride, rowLen, shift = 0, width = rowLen } = p;
  if (!(rows > 0 && rows <= batchStride && rowLen > 0)) {
    throw new RangeError(`${entry}: need 0 < rows <= batchStride and rowLen > 0, got rows ${rows}, batchStride ${batchStride}, rowLen ${rowLen}`);
  }
  if (!(Number.isInteger(shift) && shift >= 0 && width > 0 && rowLen % width === 0)) {
    throw new RangeError(`${entry}: need an integer shift >= 0 and a width dividing rowLen ${rowLen}, got shift ${shift}, width ${width}`);
  }
  const params = ctx.uniform(`${entry} params`, new Uint32Array([batchStride, rowLen, width, shift]));
  return makeDispatch(ctx, `${entry} ${rows}x${rowLen}`, ctx.pipeline(shaders.gather, entry), [params, ...buffers],
    [ceilDiv(rowLen, PIXELS_PER_GROUP), rows], { flops: rows * rowLen, bytes: rows * rowLen * 5 + rows * 5 + (entry === 'gather_u8' ? rows * 4 + 4 : 0) });
};

/** Row r of the batch is sample order[step * batchStride + r], step being the record's counter. */
export function gatherDispatch(ctx: GpuContext, bufs: GatherBuffers, p: GatherShape): Dispatch {
  return batchDispatch(ctx, 'gather_u8', [bufs.images, bufs.labels, bufs.x, bufs.y, bufs.order, bufs.record.buffer], p);
}

/** Row r of the batch is row r of `images` (and label r of `labels`): a batch the CPU has already
 * gathered, such as a slot of a streamed ring. */
export function convertDispatch(ctx: GpuContext, bufs: ConvertBuffers, rows: number, rowLen: number): Dispatch {
  return batchDispatch(ctx, 'convert_u8', [bufs.images, bufs.labels, bufs.x, bufs.y], { rows, batchStride: rows, rowLen });
}
