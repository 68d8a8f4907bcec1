// 2-D convolution and its gradients (shaders/conv2d.wgsl), NCHW; CPU twins: conv2dCpu,
// conv2dInputGradCpu, conv2dWeightGradCpu (src/reference/conv.ts).
// x is (batch, inC, H, W), w (outC, inC, k, k), bias and db (outC), y and dy (batch, outC, OH, OW).
// Flattening y for a dense layer is a no-op: NCHW is already (batch, outC*OH*OW) row-major.
import { ACTIVATION_TABLE, readsInput, type Activation } from '../../model/activations.ts';
import { checkConv2dShape, type Conv2dShape } from '../../reference/conv.ts';
import type { GpuContext } from '../context.ts';
import { ceilDiv, makeDispatch, oneEachGroups, type Dispatch } from '../dispatch.ts';
import { conv2dSource, wgslConst } from '../shaders.ts';
import type { UpdateEpilogue } from './optimizer.ts';

const WG = wgslConst(conv2dSource, 'WG');
const BLOCK = wgslConst(conv2dSource, 'BLOCK');
/** conv2d_forward's output channels per invocation (its FWD_CHANNELS): 8, or 4 where there are at
 * most 4, which half the block of 8 would only waste. */
const forwardChannels = (outC: number): number => (outC <= 4 ? 4 : 8);
/** conv2d_forward's output columns per invocation (its FWD_COLS): 16, or 8 where blocks of 16
 * would run further past the row's end (OW 8 or 24: 16 or 32 columns, for 8 or 24). */
const forwardCols = (OW: number): number => (OW % 16 >= 1 && OW % 16 <= 8 ? 8 : 16);
const DW_CHANNELS = wgslConst(conv2dSource, 'DW_CHANNELS');
const DW_UNITS = wgslConst(conv2dSource, 'DW_UNITS');

/** The forward pass's epilogue: + bias (outC), then the activation; with `pre`, also the
 * pre-activation (batch, outC, OH, OW), which an activation whose backward reads its input needs. */
export interface Conv2dEpilogue {
  bias?: GPUBuffer;
  activation?: Activation;
  pre?: GPUBuffer;
}

/** The kernels' Dims uniform: the input's (batch, channels, height, width), then the output's
 * (channels, height, width), k, stride and pad. */
function dimsUniform(ctx: GpuContext, dims: number[]): GPUBuffer {
  return ctx.uniform('conv2d dims', new Uint32Array([...dims, 0, 0]));
}

function dimsOf(ctx: GpuContext, shape: Conv2dShape): { dims: GPUBuffer; OH: number; OW: number } {
  const { OH, OW } = checkConv2dShape(shape);
  const { batch, inC, H, W, outC, k, stride, pad } = shape;
  return { dims: dimsUniform(ctx, [batch, inC, H, W, outC, OH, OW, k, stride, pad]), OH, OW };
}

const shapeLabel = ({ batch, inC, outC, H, W, k, stride, pad }: Conv2dShape): string => `${batch}x${inC}x${H}x${W}->${outC} k${k}s${stride}p${pad}`;

/** y = act(conv(x, w) + bias). */
export function conv2dForwardDispatch(
  ctx: GpuContext,
  bufs: { x: GPUBuffer; w: GPUBuffer; y: GPUBuffer },
  shape: Conv2dShape,
  epilogue: Conv2dEpilogue = {},
): Dispatch {
  const { dims, OH, OW } = dimsOf(ctx, shape);
  const { bias, activation = 'none', pre } = epilogue;
  if (pre && !readsInput(activation)) throw new Error(`conv2d: '${activation}' reads its output in the backward pass; nothing needs its pre-activation`);
  const { batch, inC, outC, H, W, k } = shape;
  const outputs = batch * outC * OH * OW;
  const pipeline = ctx.pipeline(conv2dSource, 'conv2d_forward', {
    HAS_BIAS: Number(!!bias), ACTIVATION: ACTIVATION_TABLE[activation].code, KEEP_INPUT: Number(!!pre), STRIDE_ONE: Number(shape.stride === 1),
    FWD_CHANNELS: forwardChannels(outC), FWD_COLS: forwardCols(OW),
  });
  const suffix = `${bias ? ' +bias' : ''}${activation === 'none' ? '' : ` +${activation}`}${pre ? ' +keep' : ''}`;
  return makeDispatch(ctx, `conv2d_forward ${shapeLabel(shape)}${suffix}`, pipeline,
    [dims, bufs.x, bufs.w, bias ?? ctx.unusedStorage(0), bufs.y, pre ?? ctx.unusedStorage(1)],
    [oneEachGroups(ctx, batch * ceilDiv(outC, forwardChannels(outC)) * OH * ceilDiv(OW, forwardCols(OW)), WG)],
    { flops: 2 * outputs * inC * k * k, bytes: 4 * (batch * inC * H * W + outC * inC * k * k + outputs * (pre ? 2 : 1) + (bias ? outC : 0)) });
}

/** What the forward pass kept of the activation that produced x, (batch, inC, H, W): its output,
 * or its input where ACTIVATION_TABLE's backwardReads says so. With it, dx is multiplied by
 * act'(kept): the layer below's activation backward, fused (as matmul's 'activation-backward'). */
export interface Conv2dActivationBackward {
  kept: GPUBuffer;
  activation: Activation;
}

/** dx from dy: the gradient of sum(y * dy) with respect to x. At stride 1 (with pad < k) this is
 * the forward kernel on dy with each filter flipped and the channels swapped, padding k - 1 - pad:
 * its register blocks of 8 channels by 16 columns and its window sliding along the row, without
 * the general kernel's integer divisions per window position (on SwiftShader, CPU time, batch 32:
 * 16 -> 32 channels k3 14x14 took 94 ms this way, 250 ms through conv2d_input_grad; 8 -> 16 k5,
 * 45 and 143 ms). Other strides take conv2d_input_grad. */
export function conv2dInputGradDispatch(
  ctx: GpuContext,
  bufs: { dy: GPUBuffer; w: GPUBuffer; dx: GPUBuffer },
  shape: Conv2dShape,
  backward?: Conv2dActivationBackward,
): Dispatch {
  const { OH, OW } = checkConv2dShape(shape);
  const { batch, inC, outC, H, W, k, stride, pad } = shape;
  const inputs = batch * inC * H * W;
  const cost = {
    flops: 2 * batch * outC * OH * OW * inC * k * k + (backward ? 3 * inputs : 0),
    bytes: 4 * (batch * outC * OH * OW + outC * inC * k * k + inputs * (backward ? 2 : 1)),
  };
  const constants = { ACTIVATION_BACKWARD: Number(!!backward), ACTIVATION: backward ? ACTIVATION_TABLE[backward.activation].code : 0 };
  const suffix = backward ? ` +${backward.activation}-backward` : '';
  if (stride === 1 && pad < k) {
    const transposed = dimsUniform(ctx, [batch, outC, OH, OW, inC, H, W, k, 1, k - 1 - pad]);
    return makeDispatch(ctx, `conv2d_forward (input gradient) ${shapeLabel(shape)}${suffix}`,
      ctx.pipeline(conv2dSource, 'conv2d_forward', { TRANSPOSED: 1, STRIDE_ONE: 1, FWD_CHANNELS: forwardChannels(inC), FWD_COLS: forwardCols(W), ...constants }),
      [transposed, bufs.dy, bufs.w, backward?.kept ?? ctx.unusedStorage(0), bufs.dx, ctx.unusedStorage(1)],
      [oneEachGroups(ctx, batch * ceilDiv(inC, forwardChannels(inC)) * H * ceilDiv(W, forwardCols(W)), WG)], cost);
  }
  return makeDispatch(ctx, `conv2d_input_grad ${shapeLabel(shape)}${suffix}`, ctx.pipeline(conv2dSource, 'conv2d_input_grad', constants),
    [dimsOf(ctx, shape).dims, bufs.dy, bufs.w, bufs.dx, backward?.kept ?? ctx.unusedStorage(0)],
    [oneEachGroups(ctx, batch * ceilDiv(inC, BLOCK) * H * ceilDiv(W, BLOCK), WG)], cost);
}

/** store: dW and db take the gradients; update: dW and db are the weight and bias themselves,
 * which take an optimizer step with them, with their state (`state` for the weight, `biasState`
 * for the bias; required when the optimizer keeps any). */
export type Conv2dWeightGradEpilogue = { kind: 'store' } | (UpdateEpilogue & { biasState: GPUBuffer | null });

/** dW and db from x (the forward pass's input) and dy. */
export function conv2dWeightGradDispatch(
  ctx: GpuContext,
  bufs: { x: GPUBuffer; dy: GPUBuffer; dW: GPUBuffer; db: GPUBuffer },
  shape: Conv2dShape,
  epilogue: Conv2dWeightGradEpilogue = { kind: 'store' },
): Dispatch {
  const { dims, OH, OW } = dimsOf(ctx, shape);
  const { batch, inC, outC, H, W, k } = shape;
  const outputs = batch * outC * OH * OW;
  const params = outC * inC * k * k;
  const update = epilogue.kind === 'update' ? epilogue : null;
  const S = update?.optimizer.stateFloats ?? 0;
  const pipeline = ctx.pipeline(conv2dSource, 'conv2d_weight_grad', { UPDATE: Number(!!update), STRIDE_ONE: Number(shape.stride === 1), ...(update ? update.optimizer.constants : {}) });
  const stateBufs = update
    ? [update.optimizer.buffer, update.optimizer.stateBinding('conv2d weight update', update.state, params) ?? ctx.unusedStorage(0),
      update.optimizer.stateBinding('conv2d bias update', update.biasState, outC) ?? ctx.unusedStorage(1), update.record]
    : [ctx.uniformPlaceholder, ctx.unusedStorage(0), ctx.unusedStorage(1), ctx.unusedStorage(2)];
  return makeDispatch(ctx, `conv2d_weight_grad ${shapeLabel(shape)}${update ? ` +${update.optimizer.kind}` : ''}`, pipeline,
    // Units of 4 taps, ceil(k / 4) to a filter row.
    [dims, bufs.dy, bufs.x, bufs.dW, bufs.db, ...stateBufs], [ceilDiv(inC * k * ceilDiv(k, 4), DW_UNITS), ceilDiv(outC, DW_CHANNELS)],
    { flops: 2 * outputs * inC * k * k + outputs + (update ? 3 * (params + outC) : 0),
      bytes: 4 * (batch * inC * H * W + outputs + (params + outC) * (update ? 2 + 2 * S : 1)) });
}
