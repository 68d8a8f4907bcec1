// What can go wrong with WebGPU itself, apart from the code that gets it (context.ts) so that the
// Node adapter source (node-gpu.ts) can throw them without importing the context.

/** No WebGPU here: no navigator.gpu, no Dawn, or no adapter meeting the kernels' limits. */
export class GpuUnavailableError extends Error {
  override name = 'GpuUnavailableError';
}

/** The device was lost or reported a validation/out-of-memory error: the run cannot continue. */
export class GpuDeviceError extends Error {
  override name = 'GpuDeviceError';
}
