// Where data enters the GPU: a split is uploaded once as it was loaded (u8 images as bytes, 47 MB
// for MNIST's training images, or f32 features as they are), and each batch is gathered from it
// into a model's input on the GPU, its rows picked through an index buffer at the run record's
// step, so a step costs no CPU work and no transfer. The trainer, the noise measurement and the
// bench feed their models this one way.
import { featureType, type Split } from '../data/dataset.ts';
import type { GpuContext } from '../gpu/context.ts';
import type { Dispatch } from '../gpu/dispatch.ts';
import { gatherDispatch, uploadData } from '../gpu/kernels/gather.ts';
import type { RunRecord } from '../gpu/kernels/metrics.ts';
import type { GpuModel } from './gpu-model.ts';

/** A split's samples and labels on the GPU. */
export interface ResidentSplit {
  samples: GPUBuffer;
  labels: GPUBuffer;
  /** Values per sample. */
  rowLen: number;
  type: 'u8' | 'f32';
}

/** The first split.count samples and labels, uploaded; `name` labels the buffers. */
export function uploadSplit(ctx: GpuContext, name: string, split: Split, rowLen: number): ResidentSplit {
  return {
    samples: uploadData(ctx, `${name} ${split.image ? 'images' : 'features'}`, split.features.subarray(0, split.count * rowLen)),
    labels: uploadData(ctx, `${name} labels`, split.labels.subarray(0, split.count)),
    rowLen,
    type: featureType(split),
  };
}

/** Where a batch comes from: `rows` samples at order[step * batchStride ..], step being the
 * record's counter; with `augment`, images `width` pixels wide shifted by up to `shift` pixels. */
export interface Feed {
  order: GPUBuffer;
  record: RunRecord;
  rows: number;
  batchStride: number;
  augment?: { shift: number; width: number };
}

/** The dispatch that fills model.input and model.labels with the step's batch. */
export function feedDispatch(ctx: GpuContext, data: ResidentSplit, model: GpuModel, f: Feed): Dispatch {
  return gatherDispatch(ctx, { images: data.samples, labels: data.labels, order: f.order, record: f.record, x: model.input, y: model.labels },
    { rows: f.rows, batchStride: f.batchStride, rowLen: data.rowLen, type: data.type, ...(f.augment ?? {}) });
}
