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

/** conv2d_forward's register block, `<channels>x<columns>` of the output per invocation (its
 * FWD_CHANNELS and FWD_COLS). 'general' is conv2d_input_grad, the input gradient's kernel for any
 * stride; at stride 1 with pad < k the input gradient can also run as the forward kernel on dy
 * with the filters flipped, in any block. Which is fastest depends on the shape and the adapter:
 * the kernel chooser times them (src/gpu/kernel-choice.ts). */
export const CONV2D_VARIANTS = ['8x16', '8x8', '4x16', '4x8', 'general'] as const;
export type Conv2dVariant = (typeof CONV2D_VARIANTS)[number];
export type Conv2dDirection = 'forward' | 'input-grad';

const transposable = ({ stride, pad, k }: Conv2dShape): boolean => stride === 1 && pad < k;

/** The variants that can compute `direction` of `shape`, the one the rule of thumb picks first
 * (the order a trial tries them in, so its early stop spends little on the rest). */
export function conv2dVariantsFor(direction: Conv2dDirection, shape: Conv2dShape): Conv2dVariant[] {
  if (direction === 'input-grad' && !transposable(shape)) return ['general'];
  const first = defaultConv2dVariant(direction, shape);
  const blocks = CONV2D_VARIANTS.filter((v) => v !== 'general' && v !== first);
  return direction === 'forward' ? [first, ...blocks] : [first, ...blocks, 'general'];
}

/** The rule of thumb, for runs without trials (--matmul forces the matmuls' variant and leaves
 * the convolutions to this): 8 channels, or 4 where there are at most 4, which a block of 8 would
 * half waste; 16 columns, or 8 where blocks of 16 would run further past the row's end (a row of
 * 8 or 24: 16 or 32 columns computed). The input gradient at stride 1 takes the transposed
 * forward kernel (on SwiftShader, CPU time, batch 32: 16 -> 32 channels k3 14x14 took 94 ms
 * this way, 250 ms through conv2d_input_grad; 8 -> 16 k5, 45 and 143 ms). */
export function defaultConv2dVariant(direction: Conv2dDirection, shape: Conv2dShape): Conv2dVariant {
  if (direction === 'input-grad' && !transposable(shape)) return 'general';
  const { OW } = checkConv2dShape(shape);
  // The transposed kernel's outputs are the input's channels and columns.
  const [channels, cols] = direction === 'forward' ? [shape.outC, OW] : [shape.inC, shape.W];
  return `${channels <= 4 ? 4 : 8}x${cols % 16 >= 1 && cols % 16 <= 8 ? 8 : 16}` as Conv2dVariant;
}

/** FWD_CHANNELS and FWD_COLS of a block variant. */
function blockOf(variant: Conv2dVariant, what: string): { FWD_CHANNELS: number; FWD_COLS: number } {
  if (variant === 'general') throw new Error(`${what}: 'general' is the input gradient's kernel, not a block of conv2d_forward`);
  const [FWD_CHANNELS, FWD_COLS] = variant.split('x').map(Number);
  return { FWD_CHANNELS, FWD_COLS };
}

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

/** The kernel chooser's name for one direction of one shape (its cache key and summary). */
export const conv2dProblemKey = (direction: Conv2dDirection, shape: Conv2dShape): string => `conv2d ${direction} ${shapeLabel(shape)}`;

/** y = act(conv(x, w) + bias). */
export function conv2dForwardDispatch(
  ctx: GpuContext,
  bufs: { x: GPUBuffer; w: GPUBuffer; y: GPUBuffer },
  shape: Conv2dShape,
  epilogue: Conv2dEpilogue = {},
  variant: Conv2dVariant = defaultConv2dVariant('forward', shape),
): Dispatch {
  const { dims, OH, OW } = dimsOf(ctx, shape);
  const { bias, activation = 'none', pre } = epilogue;
  if (pre && !readsInput(activation)) throw new Error(`conv2d: '${activation}' reads its output in the backward pass; nothing needs its pre-activation`);
  const { batch, inC, outC, H, W, k } = shape;
  const outputs = batch * outC * OH * OW;
  const block = blockOf(variant, 'conv2d forward');
  const pipeline = ctx.pipeline(conv2dSource, 'conv2d_forward', {
    HAS_BIAS: Number(!!bias), ACTIVATION: ACTIVATION_TABLE[activation].code, KEEP_INPUT: Number(!!pre), STRIDE_ONE: Number(shape.stride === 1),
    ...block,
  });
  const suffix = `${bias ? ' +bias' : ''}${activation === 'none' ? '' : ` +${activation}`}${pre ? ' +keep' : ''}`;
  return makeDispatch(ctx, `conv2d_forward ${variant} ${shapeLabel(shape)}${suffix}`, pipeline,
    [dims, bufs.x, bufs.w, bias ?? ctx.unusedStorage(0), bufs.y, pre ?? ctx.unusedStorage(1)],
    [oneEachGroups(ctx, batch * ceilDiv(outC, block.FWD_CHANNELS) * OH * ceilDiv(OW, block.FWD_COLS), WG)],
    { flops: 2 * outputs * inC * k * k, bytes: 4 * (batch * inC * H * W + outC * inC * k * k + outputs * (pre ? 2 : 1) + (bias ? outC : 0)) });
}

/** What the forward pass kept of the activation that produced x, (batch, inC, H, W): its output,
 * or its input where ACTIVATION_TABLE's backwardReads says so. With it, dx is multiplied by
 * act'(kept): the layer below's activation backward, fused (as matmul's 'activation-backward'). */
export interface Conv2dActivationBackward {
  kept: GPUBuffer;
  activation: Activation;
}

/** dx from dy: the gradient of sum(y * dy) with respect to x. At stride 1 (with pad < k) this can
 * be the forward kernel on dy with each filter flipped and the channels swapped, padding
 * k - 1 - pad (a block variant); 'general' is conv2d_input_grad, for any stride. */
export function conv2dInputGradDispatch(
  ctx: GpuContext,
  bufs: { dy: GPUBuffer; w: GPUBuffer; dx: GPUBuffer },
  shape: Conv2dShape,
  backward?: Conv2dActivationBackward,
  variant: Conv2dVariant = defaultConv2dVariant('input-grad', shape),
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
  if (variant !== 'general') {
    if (!transposable(shape)) throw new Error(`conv2d input gradient ${shapeLabel(shape)}: only 'general' runs at stride ${stride} or padding ${pad} >= kernel ${k}, not '${variant}'`);
    const block = blockOf(variant, 'conv2d input gradient');
    const transposed = dimsUniform(ctx, [batch, outC, OH, OW, inC, H, W, k, 1, k - 1 - pad]);
    return makeDispatch(ctx, `conv2d_forward ${variant} (input gradient) ${shapeLabel(shape)}${suffix}`,
      ctx.pipeline(conv2dSource, 'conv2d_forward', { TRANSPOSED: 1, STRIDE_ONE: 1, ...block, ...constants }),
      [transposed, bufs.dy, bufs.w, backward?.kept ?? ctx.unusedStorage(0), bufs.dx, ctx.unusedStorage(1)],
      [oneEachGroups(ctx, batch * ceilDiv(inC, block.FWD_CHANNELS) * H * ceilDiv(W, block.FWD_COLS), WG)], cost);
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
