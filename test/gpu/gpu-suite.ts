// Shared set-up for the kernel suites, which run twice: in Node through Dawn (project gpu-node)
// and in headless Chromium (project gpu-chromium). No adapter means a failing suite with the
// reason printed, never a silent pass.
import { afterAll, beforeAll, expect } from 'vitest';
import { describeAdapter, requestGpu, type GpuContext } from '../../src/gpu/context.ts';
import { compareArrays, describeComparison, type Tolerance } from '../../src/reference/tolerance.ts';
import type { DataSet } from '../../src/data/dataset.ts';
import { loadMnistFromUrl } from '../../src/data/mnist.ts';

export function useGpu(): () => GpuContext {
  let ctx: GpuContext | null = null;
  beforeAll(async () => {
    try {
      ctx = await requestGpu();
    } catch (err) {
      console.error(`GPU suite cannot run: ${(err as Error).message}`);
      throw err;
    }
    console.log(`GPU suite on ${describeAdapter(ctx.adapter)}`);
  });
  afterAll(() => ctx?.destroy());
  return () => {
    if (!ctx) throw new Error('GPU context not acquired (see the beforeAll error above)');
    return ctx;
  };
}

export function expectClose(what: string, gpu: ArrayLike<number>, ref: ArrayLike<number>, tol: Tolerance): number {
  const c = compareArrays(gpu, ref, tol);
  expect(c.ok, describeComparison(what, c, tol)).toBe(true);
  return c.maxAbs;
}

export { randomArray } from '../../src/data/prng.ts';

/** The embedded MNIST: from the file system in Node, from the /mnist/ route the Vite plugin
 * serves in the browser. */
export async function loadTestMnist(): Promise<DataSet> {
  if (typeof window !== 'undefined') return loadMnistFromUrl('/mnist/');
  const nodeLoader = '../../src/data/mnist-node.ts';
  const { loadEmbeddedMnist } = (await import(/* @vite-ignore */ nodeLoader)) as typeof import('../../src/data/mnist-node.ts');
  return loadEmbeddedMnist();
}
