// A compute dispatch prepared once (pipeline, bind group, grid) and encoded as often as needed:
// a training step is a fixed list of these, so nothing is allocated on the hot path.
import type { GpuContext } from './context.ts';

/** What a dispatch must do at least: arithmetic (FLOPs, a multiply-add counting 2) and the
 * bytes it must read and write if every operand element moved once. The benchmark's bytes and
 * FLOPs per step are sums of these; a kernel that re-reads operands moves more than `bytes`. */
export interface DispatchCost {
  flops: number;
  bytes: number;
}

export interface Dispatch {
  label: string;
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  workgroups: [number, number, number];
  cost?: DispatchCost;
}

/** `buffers[i]` is bound at @binding(i) of @group(0). */
export function makeDispatch(
  ctx: GpuContext,
  label: string,
  pipeline: GPUComputePipeline,
  buffers: GPUBuffer[],
  workgroups: [number, number?, number?],
  cost?: DispatchCost,
): Dispatch {
  const [x, y = 1, z = 1] = workgroups;
  const max = ctx.device.limits.maxComputeWorkgroupsPerDimension;
  if (x > max || y > max || z > max) {
    throw new RangeError(`${label}: grid ${x}x${y}x${z} exceeds maxComputeWorkgroupsPerDimension ${max}`);
  }
  const bindGroup = ctx.device.createBindGroup({
    label,
    layout: pipeline.getBindGroupLayout(0),
    entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
  });
  return { label, pipeline, bindGroup, workgroups: [x, y, z], ...(cost ? { cost } : {}) };
}

export function encodeDispatches(pass: GPUComputePassEncoder, dispatches: readonly Dispatch[]): void {
  for (const d of dispatches) {
    pass.setPipeline(d.pipeline);
    pass.setBindGroup(0, d.bindGroup);
    pass.dispatchWorkgroups(...d.workgroups);
  }
}

export const ceilDiv = (a: number, b: number): number => Math.ceil(a / b);

/** Workgroups of `wg` invocations for a grid-stride kernel over n elements, about 16 elements per
 * invocation: few enough invocations that their fixed cost (large on CPU adapters) is amortised,
 * enough to fill a GPU for the model's tensor sizes. */
export const gridStrideGroups = (n: number, wg: number): number => ceilDiv(n, wg * 16);

/** Workgroups of `wg` invocations for a grid-stride kernel whose elements are heavy enough (a
 * convolution window each) to take one per invocation, capped at the device's grid limit; the
 * kernel's loop takes the rest. */
export const oneEachGroups = (ctx: GpuContext, n: number, wg: number): number =>
  Math.min(ceilDiv(n, wg), ctx.device.limits.maxComputeWorkgroupsPerDimension);
