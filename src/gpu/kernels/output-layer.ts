// The output layer's whole step in one workgroup (shaders/output_layer.wgsl): its forward pass,
// the loss, the metrics, the delta of the layer below and its own optimizer step. CPU twin: the
// composition outputLayerCpu: matmulCpu, logSoftmaxNllCpu or squaredErrorCpu, stepMetricsCpu,
// activationBackwardCpu, biasGradCpu and optimizerUpdateCpu. h is (B,H), W (C,H), b (C), labels (B) u32,
// dzPrev (B,H).
import type { GpuContext } from '../context.ts';
import { makeDispatch, type Dispatch } from '../dispatch.ts';
import { shaders, wgslConst } from '../shaders.ts';
import { ACTIVATION_TABLE, readsInput, type HiddenActivation } from '../../model/activations.ts';
import type { LossKind } from '../../model/losses.ts';
import type { RunRecord } from './metrics.ts';
import type { OptimizerParams } from './optimizer.ts';

const MAX_LOGITS = wgslConst(shaders.outputLayer, 'MAX_LOGITS');

/** Whether a batch of B rows and C classes fits the kernel's one workgroup. */
export const outputLayerFits = (B: number, C: number): boolean => B * C <= MAX_LOGITS;

export interface OutputLayerBuffers {
  h: GPUBuffer;
  weight: GPUBuffer;
  bias: GPUBuffer;
  labels: GPUBuffer;
  record: RunRecord;
}

/** A training step's part: the update, and the delta of the layer below when h is a hidden
 * layer's output (through that layer's activation; null when h is the network's input). */
export interface OutputLayerTraining {
  optimizer: OptimizerParams;
  stateWeight: GPUBuffer | null;
  stateBias: GPUBuffer | null;
  /** pre: the layer below's pre-activation, where its activation's backward reads its input:
   * bound in place of h, which the kernel recomputes from it. */
  below: { dz: GPUBuffer; activation: HiddenActivation; pre?: GPUBuffer | null } | null;
}

export interface OutputLayerShape {
  B: number;
  H: number;
  C: number;
  loss: LossKind;
  /** null: evaluation (forward, loss, metrics). */
  train: OutputLayerTraining | null;
  /** Record each row's argmax as the prediction of sample step * batchStride + r. */
  predict?: { batchStride: number };
}

export function outputLayerDispatch(ctx: GpuContext, bufs: OutputLayerBuffers, p: OutputLayerShape): Dispatch {
  const { B, H, C, loss, train } = p;
  if (!(B > 0 && H > 0 && C > 0)) throw new RangeError(`outputLayer: B, H and C must be positive, got ${B}, ${H}, ${C}`);
  if (!outputLayerFits(B, C)) throw new RangeError(`outputLayer: ${B} rows x ${C} classes exceed its ${MAX_LOGITS} logits`);
  const pre = train?.below?.pre ?? null;
  if (train?.below && readsInput(train.below.activation) !== !!pre) {
    throw new Error(`outputLayer: the layer below's ${train.below.activation} backward reads its ${pre ? 'output: pass no below.pre' : 'pre-activation: pass it as below.pre'}`);
  }
  if (p.predict && bufs.record.samples === 0) throw new Error('outputLayer: predictions need a record with sample slots');
  const { layout } = bufs.record;
  const params = new DataView(new ArrayBuffer(48));
  params.setUint32(0, B, true);
  params.setUint32(4, H, true);
  params.setUint32(8, C, true);
  // The gradient of the batch's mean loss, and that mean as the step's loss (what the notebook logs).
  params.setFloat32(12, 1 / B, true);
  params.setFloat32(16, 1 / B, true);
  params.setUint32(20, layout.losses, true);
  params.setUint32(24, layout.correct, true);
  params.setUint32(28, layout.predictions, true);
  params.setUint32(32, p.predict?.batchStride ?? 0, true);
  const stateWeight = train?.optimizer.stateBinding('output layer weight', train.stateWeight, C * H) ?? null;
  const stateBias = train?.optimizer.stateBinding('output layer bias', train.stateBias, C) ?? null;
  const S = train?.optimizer.stateFloats ?? 0;
  // The vec4 kernel where H allows: a quarter of the loads.
  const pipeline = ctx.pipeline(shaders.outputLayer, H % 4 === 0 ? 'output_layer_vec4' : 'output_layer', {
    LOSS_SQUARED: Number(loss === 'squared'),
    TRAIN: Number(!!train),
    PREV_ACTIVATION: train?.below ? ACTIVATION_TABLE[train.below.activation].code : 0,
    PREV_READS_INPUT: Number(!!pre),
    PREDICT: Number(!!p.predict),
    ...(train ? train.optimizer.constants : {}),
  });
  const macs = B * C * H * (train ? (train.below ? 3 : 2) : 1);
  const label = `output_layer ${B}x${C}x${H} ${loss}${train ? ` +backward+${train.optimizer.kind}` : ''}${p.predict ? ' +predictions' : ''}`;
  return makeDispatch(ctx, label, pipeline, [
    ctx.uniform('output_layer params', params), pre ?? bufs.h, bufs.weight, bufs.bias, bufs.labels, bufs.record.buffer,
    train?.below?.dz ?? ctx.unusedStorage(0), stateWeight ?? ctx.unusedStorage(1), stateBias ?? ctx.unusedStorage(2),
    train ? train.optimizer.buffer : ctx.uniformPlaceholder,
  ], [1], { flops: 2 * macs + 8 * B * C, bytes: 4 * (B * H * (train?.below ? 2 : 1) + C * H * (train ? 2 + 2 * S : 1) + 3 * B) });
}
