import { describe, expect, it } from 'vitest';
import { KernelChooser } from '../../src/gpu/kernel-choice.ts';
import type { KernelCache, KernelChoices } from '../../src/gpu/kernel-cache.ts';
import { matmulVariantsFor, type MatmulDims } from '../../src/gpu/kernels/matmul.ts';
import { useGpu } from './gpu-suite.ts';

/** A cache in memory, recording what was saved. */
function memoryCache(): KernelCache & { saved: Record<string, KernelChoices> } {
  const saved: Record<string, KernelChoices> = {};
  return { where: 'memory', saved, load: async (key) => ({ ...saved[key] }), save: async (key, choices) => void (saved[key] = { ...choices }) };
}

// fc2's forward at batch 7: small enough that every candidate's trial is quick on a CPU adapter.
const DIMS: MatmulDims = { M: 7, N: 256, K: 512, transB: true };
const EPILOGUE = { kind: 'store' } as const;

describe('per-shape kernel choice', () => {
  const gpu = useGpu();

  it('validates and times every candidate, keeps the fastest, persists it, and a later chooser asks no trial', async () => {
    const ctx = gpu();
    const cache = memoryCache();
    const first = await KernelChooser.create(ctx, { cache, fresh: true });
    const chosen = await first.matmul(DIMS, EPILOGUE);
    const timed = first.trials.filter((t) => t.ms !== null);
    console.log(`trials on 7x256x512 B^T: ${first.trials.map((t) => `${t.variant} ${t.ms === null ? 'mismatch' : `${t.ms.toFixed(3)} ms`}`).join(', ')}; chose ${chosen}`);
    // Every candidate matched its twin on this adapter, and the fastest won.
    expect(timed.length).toBe(first.trials.length);
    expect(chosen).toBe(timed.reduce((a, b) => (b.ms! < a.ms! ? b : a)).variant);
    expect(matmulVariantsFor(ctx)).toContain(chosen);
    expect(first.summary().matmul).toEqual({ '7x256x512 B^T store': chosen });
    // The save is asynchronous: wait for it.
    await expect.poll(() => Object.values(cache.saved)[0]?.['7x256x512 B^T store']).toBe(chosen);

    const second = await KernelChooser.create(ctx, { cache });
    expect(await second.matmul(DIMS, EPILOGUE)).toBe(chosen);
    expect(second.trials).toEqual([]);
  });

  it('--matmul forces one variant everywhere, resolved per shape, with no trial', async () => {
    const ctx = gpu();
    const forced = await KernelChooser.create(ctx, { cache: null, force: 'vec4' });
    expect(await forced.matmul(DIMS, EPILOGUE)).toBe('vec4');
    // K = 33 cannot be read as vec4: the blocked kernel runs instead.
    expect(await forced.matmul({ M: 7, N: 10, K: 33 }, EPILOGUE)).toBe('blocked');
    expect(forced.trials).toEqual([]);
    expect(forced.summary().forced).toBe('vec4');
  });
});
