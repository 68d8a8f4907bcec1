// Element-wise activation and its backward pass (shaders/activation.wgsl); CPU twins:
// activationCpu, activationBackwardCpu. Every buffer holds n f32 values.
import { ACTIVATION_TABLE, type Activation } from '../../model/activations.ts';
import type { GpuContext } from '../context.ts';
import { gridStrideGroups, makeDispatch, type Dispatch } from '../dispatch.ts';
import { shaders, wgslConst } from '../shaders.ts';

const WG = wgslConst(shaders.activation, 'WG');

function elementwise(ctx: GpuContext, entry: string, activation: Activation, buffers: GPUBuffer[], n: number): Dispatch {
  if (!(n > 0)) throw new RangeError(`${entry}: n must be positive, got ${n}`);
  const dims = ctx.uniform(`${entry} dims`, new Uint32Array([n, 0, 0, 0]));
  const pipeline = ctx.pipeline(shaders.activation, entry, { ACTIVATION: ACTIVATION_TABLE[activation].code });
  // Every buffer but the dims is n f32 values, each touched once; about 4 FLOPs per element.
  return makeDispatch(ctx, `${entry} ${activation} ${n}`, pipeline, [dims, ...buffers], [gridStrideGroups(n, WG)],
    { flops: 4 * n, bytes: 4 * n * buffers.length });
}

/** y = act(x). */
export function activationDispatch(ctx: GpuContext, activation: Activation, bufs: { x: GPUBuffer; y: GPUBuffer }, n: number): Dispatch {
  return elementwise(ctx, 'activation_forward', activation, [bufs.x, bufs.y], n);
}

/** dx = g * act'(x), written with `kept`, what the forward pass kept: y = act(x), or x where
 * ACTIVATION_TABLE's backwardReads says 'input'. dx must be its own buffer: WebGPU forbids
 * binding g writable and readable in one dispatch. */
export function activationBackwardDispatch(
  ctx: GpuContext,
  activation: Activation,
  bufs: { g: GPUBuffer; kept: GPUBuffer; dx: GPUBuffer },
  n: number,
): Dispatch {
  return elementwise(ctx, 'activation_backward', activation, [bufs.g, bufs.kept, bufs.dx], n);
}
