// The one way GPU work is submitted: steps encoded into one command buffer, then at most one
// read-back. The trainer's read-back intervals and evaluation, the toy network, the noise
// measurement, the benchmark and the kernel tests all go through here.
import type { GpuContext } from './context.ts';
import { encodeDispatches, type Dispatch } from './dispatch.ts';

export interface StepBatch {
  label?: string;
  steps: number;
  /** The dispatches of step s (0-based within this submit). */
  dispatches: (s: number) => readonly Dispatch[];
  /** Copies around each step (a row copied into the batch buffer, a result copied out). A step
   * with copies gets a compute pass of its own: copies cannot be recorded inside a pass. */
  beforeStep?: (enc: GPUCommandEncoder, s: number) => void;
  afterStep?: (enc: GPUCommandEncoder, s: number) => void;
  /** Copies before the first step (a parameter backup) and after the last (results gathered
   * into one buffer, so that one read-back brings them all). */
  before?: (enc: GPUCommandEncoder) => void;
  after?: (enc: GPUCommandEncoder) => void;
}

export interface Readback {
  buffer: GPUBuffer;
  bytes: number;
  offset?: number;
}

export function submitSteps(ctx: GpuContext, batch: StepBatch): void {
  const enc = ctx.device.createCommandEncoder({ label: batch.label });
  batch.before?.(enc);
  if (batch.beforeStep || batch.afterStep) {
    for (let s = 0; s < batch.steps; s++) {
      batch.beforeStep?.(enc, s);
      const pass = enc.beginComputePass();
      encodeDispatches(pass, batch.dispatches(s));
      pass.end();
      batch.afterStep?.(enc, s);
    }
  } else {
    const pass = enc.beginComputePass();
    for (let s = 0; s < batch.steps; s++) encodeDispatches(pass, batch.dispatches(s));
    pass.end();
  }
  batch.after?.(enc);
  ctx.device.queue.submit([enc.finish()]);
}

/** Submits the steps and waits until the GPU has run them, returning the read-back's bytes. */
export async function runSteps(ctx: GpuContext, batch: StepBatch, readback: Readback): Promise<ArrayBuffer>;
export async function runSteps(ctx: GpuContext, batch: StepBatch): Promise<void>;
export async function runSteps(ctx: GpuContext, batch: StepBatch, readback?: Readback): Promise<ArrayBuffer | void> {
  submitSteps(ctx, batch);
  if (readback) return ctx.read(readback.buffer, readback.bytes, readback.offset);
  await ctx.sync();
}

/** One list of dispatches, `repeat` times in one pass, and a wait for the GPU. */
export function runDispatches(ctx: GpuContext, dispatches: readonly Dispatch[], repeat = 1): Promise<void> {
  return runSteps(ctx, { steps: repeat, dispatches: () => dispatches });
}
