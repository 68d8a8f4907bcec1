// Element-wise sigmoid and its backward pass (shaders/sigmoid.wgsl); CPU twins: sigmoidCpu,
// sigmoidBackwardCpu. Every buffer holds n f32 values.
import type { GpuContext } from '../context.ts';
import { gridStrideGroups, makeDispatch, type Dispatch } from '../dispatch.ts';
import { shaders, wgslConst } from '../shaders.ts';

const WG = wgslConst(shaders.sigmoid, 'WG');

function elementwise(ctx: GpuContext, entry: string, buffers: GPUBuffer[], n: number): Dispatch {
  if (!(n > 0)) throw new RangeError(`${entry}: n must be positive, got ${n}`);
  const dims = ctx.uniform(`${entry} dims`, new Uint32Array([n, 0, 0, 0]));
  // Every buffer but the dims is n f32 values, each touched once; about 4 FLOPs per element.
  return makeDispatch(ctx, `${entry} ${n}`, ctx.pipeline(shaders.sigmoid, entry), [dims, ...buffers], [gridStrideGroups(n, WG)],
    { flops: 4 * n, bytes: 4 * n * buffers.length });
}

/** y = sigmoid(x). */
export function sigmoidDispatch(ctx: GpuContext, bufs: { x: GPUBuffer; y: GPUBuffer }, n: number): Dispatch {
  return elementwise(ctx, 'sigmoid_forward', [bufs.x, bufs.y], n);
}

/** dx = g * y * (1 - y), y being the forward output. dx must be its own buffer: WebGPU forbids
 * binding g writable and readable in one dispatch. */
export function sigmoidBackwardDispatch(ctx: GpuContext, bufs: { g: GPUBuffer; y: GPUBuffer; dx: GPUBuffer }, n: number): Dispatch {
  return elementwise(ctx, 'sigmoid_backward', [bufs.g, bufs.y, bufs.dx], n);
}
