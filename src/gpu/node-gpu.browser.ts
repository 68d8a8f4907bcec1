// What browser builds get for '#node-gpu' (package.json "imports"): pages take WebGPU from
// navigator.gpu and never call these, and this stub keeps Dawn's native addon out of their graph.
import type * as NodeGpu from './node-gpu.ts';

const nodeOnly = (): never => {
  throw new Error('Dawn (npm webgpu) runs in Node only; in a browser WebGPU comes from navigator.gpu');
};

export const requestNodeAdapter: typeof NodeGpu.requestNodeAdapter = nodeOnly;
export const exposeNavigatorGpu: typeof NodeGpu.exposeNavigatorGpu = nodeOnly;
export const nodeKernelCache: typeof NodeGpu.nodeKernelCache = nodeOnly;
