// Max pooling, stride = kernel side (shaders/maxpool2d.wgsl), NCHW; CPU twins: maxpool2dCpu,
// maxpool2dBackwardCpu (then activationBackwardCpu for the fused activation) in
// src/reference/conv.ts. x and dx are (batch, C, H, W), y and dy (batch, C, H / k, W / k).
import { ACTIVATION_TABLE, readsInput, type Activation } from '../../model/activations.ts';
import { checkMaxpool2dShape, type Maxpool2dShape } from '../../reference/conv.ts';
import type { GpuContext } from '../context.ts';
import { makeDispatch, oneEachGroups, type Dispatch } from '../dispatch.ts';
import { maxpool2dSource, wgslConst } from '../shaders.ts';

const WG = wgslConst(maxpool2dSource, 'WG');

function dimsOf(ctx: GpuContext, shape: Maxpool2dShape): { dims: GPUBuffer; outputs: number; inputs: number } {
  const { OH, OW } = checkMaxpool2dShape(shape);
  const { batch, C, H, W, k } = shape;
  const planes = batch * C;
  return { dims: ctx.uniform('maxpool2d dims', new Uint32Array([planes, H, W, OH, OW, k, 0, 0])), outputs: planes * OH * OW, inputs: planes * H * W };
}

/** y = the maximum of each k x k window of x. */
export function maxpool2dDispatch(ctx: GpuContext, bufs: { x: GPUBuffer; y: GPUBuffer }, shape: Maxpool2dShape): Dispatch {
  const { dims, outputs, inputs } = dimsOf(ctx, shape);
  const { batch, C, H, W, k } = shape;
  return makeDispatch(ctx, `maxpool2d_forward ${batch}x${C}x${H}x${W} k${k}`, ctx.pipeline(maxpool2dSource, 'maxpool2d_forward'),
    [dims, bufs.x, bufs.y], [oneEachGroups(ctx, outputs, WG)], { flops: inputs, bytes: 4 * (inputs + outputs) });
}

/** dx = dy at each window's maximum (times act'(x) with `activation`: x is then that activation's
 * output, the layer below's, whose backward this fuses), 0 elsewhere. */
export function maxpool2dBackwardDispatch(
  ctx: GpuContext,
  bufs: { x: GPUBuffer; dy: GPUBuffer; dx: GPUBuffer },
  shape: Maxpool2dShape,
  activation: Activation = 'none',
): Dispatch {
  if (readsInput(activation)) throw new Error(`maxpool2d backward: '${activation}' reads its pre-activation in the backward pass, which pooling does not see; run its backward as its own dispatch`);
  const { dims, outputs, inputs } = dimsOf(ctx, shape);
  const { batch, C, H, W, k } = shape;
  const pipeline = ctx.pipeline(maxpool2dSource, 'maxpool2d_backward', { ACTIVATION: ACTIVATION_TABLE[activation].code });
  return makeDispatch(ctx, `maxpool2d_backward ${batch}x${C}x${H}x${W} k${k}${activation === 'none' ? '' : ` +${activation}-backward`}`, pipeline,
    [dims, bufs.x, bufs.dy, bufs.dx], [oneEachGroups(ctx, inputs, WG)], { flops: inputs * k * k, bytes: 4 * (2 * inputs + outputs) });
}
