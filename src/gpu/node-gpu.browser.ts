// What browser builds get for '#node-gpu' (package.json "imports"): pages take WebGPU from
// navigator.gpu and never call these, and this stub keeps Dawn's native addon out of their graph.
import type * as NodeGpu from './node-gpu.ts';

const nodeOnly = (): never => {
  throw new Error('Dawn (npm webgpu) runs in Node only; in a browser WebGPU comes from navigator.gpu');
};

export const requestNodeAdapter: typeof NodeGpu.requestNodeAdapter = nodeOnly;
export const exposeNavigatorGpu: typeof NodeGpu.exposeNavigatorGpu = nodeOnly;
export const nodeKernelCache: typeof NodeGpu.nodeKernelCache = nodeOnly;

/** A page is told no free memory: Chrome's navigator.deviceMemory (the device's RAM in GB, rounded
 * down, at most 8), else 4 GB. A tab gets less than that, so the plan refuses only what cannot
 * fit at all (a network of billions of parameters), with the typed error instead of a RangeError. */
export const availableHostMemory: typeof NodeGpu.availableHostMemory = () =>
  ((globalThis.navigator as { deviceMemory?: number } | undefined)?.deviceMemory ?? 4) * 1e9;
