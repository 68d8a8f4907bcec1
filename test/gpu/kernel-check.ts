// The one helper every kernel test goes through, in the spirit of tinygrad's helper_test_op:
// upload a case's buffers, run the kernel's dispatches, read its outputs back and compare each
// with the CPU twin under a tolerance of src/reference/tolerance.ts, then free the buffers.
import type { GpuContext } from '../../src/gpu/context.ts';
import type { Dispatch } from '../../src/gpu/dispatch.ts';
import { runDispatches } from '../../src/gpu/runner.ts';
import type { Tolerance } from '../../src/reference/tolerance.ts';
import { expectClose } from './gpu-suite.ts';

/** A buffer's starting content, uploaded as is; a number is that many zeroed 4-byte elements. */
export type HostBuffer = Float32Array | Uint32Array | Uint8Array | number;

export type Uploaded<T> = { [K in keyof T]: GPUBuffer };

export interface Expected {
  /** The twin's values; as many are read back from the buffer, from `offset` on. */
  ref: ArrayLike<number>;
  /** In elements; default 0. */
  offset?: number;
  tol: Tolerance;
  /** How the buffer is read: u32 for indices, labels and counts. Default: u32 when ref is a
   * Uint32Array, else f32. */
  as?: 'f32' | 'u32';
}

export interface KernelCheck<T extends Record<string, HostBuffer>> {
  /** Names the case in failures. */
  what: string;
  buffers: T;
  dispatches(bufs: Uploaded<T>): Dispatch | Dispatch[];
  /** Runs of the dispatches, each followed by the comparison (default 1): a kernel that updates
   * state in place (SGD) must stay right on the second run too. */
  runs?: number;
  /** Called before run r (new gradients, new hyper-parameters). */
  beforeRun?(bufs: Uploaded<T>, run: number): void;
  /** What the twin says after run r, per compared buffer (several regions of one buffer: a list). */
  expect(run: number): { [K in keyof T]?: Expected | Expected[] };
}

/** Runs the check; returns the largest |gpu - ref| per compared buffer over all runs. A check
 * whose expect() names no buffer in some run fails: a test that compares nothing cannot fail. */
export async function checkKernel<T extends Record<string, HostBuffer>>(
  ctx: GpuContext,
  check: KernelCheck<T>,
): Promise<Partial<Record<keyof T, number>>> {
  const names = Object.keys(check.buffers) as (keyof T & string)[];
  const bufs = Object.fromEntries(names.map((name) => {
    const data = check.buffers[name];
    return [name, ctx.storage(name, typeof data === 'number' ? data * 4 : data)];
  })) as Uploaded<T>;
  const worst: Partial<Record<keyof T, number>> = {};
  try {
    const list = check.dispatches(bufs);
    for (let run = 0; run < (check.runs ?? 1); run++) {
      check.beforeRun?.(bufs, run);
      await runDispatches(ctx, Array.isArray(list) ? list : [list]);
      const expected = check.expect(run);
      let compared = 0;
      for (const name of names) {
        const regions: Expected | Expected[] | undefined = expected[name];
        for (const e of regions === undefined ? [] : Array.isArray(regions) ? regions : [regions]) {
          const u32 = (e.as ?? (e.ref instanceof Uint32Array ? 'u32' : 'f32')) === 'u32';
          const offset = e.offset ?? 0;
          const got = u32 ? await ctx.readU32(bufs[name], e.ref.length, offset) : await ctx.readF32(bufs[name], e.ref.length, offset);
          const where = `${name}${offset ? `[${offset}..]` : ''}`;
          const err = expectClose(`${check.what}${(check.runs ?? 1) > 1 ? ` run ${run}` : ''}: ${where}`, got, e.ref, e.tol);
          worst[name] = Math.max(worst[name] ?? 0, err);
          compared += e.ref.length;
        }
      }
      if (compared === 0) throw new Error(`${check.what}: run ${run} compared no values (expect() named no buffer, or only empty ones)`);
    }
  } finally {
    for (const name of names) ctx.destroyBuffer(bufs[name]);
  }
  return worst;
}

/** Largest errors over many cases, logged once per test as the suites always have. */
export class WorstErrors {
  private readonly worst = new Map<string, number>();

  add(errors: Partial<Record<string, number>>): void {
    for (const [name, err] of Object.entries(errors)) {
      if (err !== undefined) this.worst.set(name, Math.max(this.worst.get(name) ?? 0, err));
    }
  }

  log(what: string): void {
    console.log(`${what}: max |gpu - ref| ${[...this.worst].map(([name, e]) => `${name} ${e.toExponential(2)}`).join(', ')}`);
  }
}
