import { describe, expect, it } from 'vitest';
import { KernelChooser } from '../../src/gpu/kernel-choice.ts';
import type { KernelCache, KernelChoices } from '../../src/gpu/kernel-cache.ts';
import { conv2dVariantsFor, defaultConv2dVariant } from '../../src/gpu/kernels/conv2d.ts';
import { matmulVariantsFor, type MatmulDims } from '../../src/gpu/kernels/matmul.ts';
import type { Conv2dShape } from '../../src/reference/conv.ts';
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

  // The CNN preset's second convolution at batch 5: each direction is its own problem.
  const CONV: Conv2dShape = { batch: 5, inC: 6, outC: 24, H: 12, W: 12, k: 5, stride: 1, pad: 0 };

  it('times every variant of a convolution\'s forward pass and input gradient, keeps the fastest, persists it, and a later chooser asks no trial', async () => {
    const ctx = gpu();
    const cache = memoryCache();
    const first = await KernelChooser.create(ctx, { cache, fresh: true });
    for (const direction of ['forward', 'input-grad'] as const) {
      const chosen = await first.conv2d(direction, CONV);
      const trials = first.trials.filter((t) => t.problem.startsWith(`conv2d ${direction} `));
      console.log(`trials on conv2d ${direction} 5x6x12x12->24 k5: ${trials.map((t) => `${t.variant} ${t.ms === null ? 'mismatch' : `${t.ms.toFixed(3)} ms`}`).join(', ')}; chose ${chosen}`);
      expect(trials.map((t) => t.variant)).toEqual(conv2dVariantsFor(direction, CONV));
      expect(trials.every((t) => t.ms !== null)).toBe(true);
      expect(chosen).toBe(trials.reduce((a, b) => (b.ms! < a.ms! ? b : a)).variant);
    }
    const summary = first.summary().conv2d;
    expect(Object.keys(summary)).toEqual(['conv2d forward 5x6x12x12->24 k5s1p0', 'conv2d input-grad 5x6x12x12->24 k5s1p0']);
    await expect.poll(() => Object.values(cache.saved)[0]?.['conv2d input-grad 5x6x12x12->24 k5s1p0']).toBe(summary['conv2d input-grad 5x6x12x12->24 k5s1p0']);

    const second = await KernelChooser.create(ctx, { cache });
    expect(await second.conv2d('forward', CONV)).toBe(summary['conv2d forward 5x6x12x12->24 k5s1p0']);
    expect(await second.conv2d('input-grad', CONV)).toBe(summary['conv2d input-grad 5x6x12x12->24 k5s1p0']);
    expect(second.trials).toEqual([]);
  });

  it('a convolution at stride 2 has one input-gradient kernel; --matmul leaves convolutions to the rule; a checkpoint\'s pin wins', async () => {
    const ctx = gpu();
    const strided = { ...CONV, stride: 2 };
    const chooser = await KernelChooser.create(ctx, { cache: null, fresh: true });
    expect(await chooser.conv2d('input-grad', strided)).toBe('general');
    expect(chooser.trials.map((t) => t.variant)).toEqual(['general']);

    const forced = await KernelChooser.create(ctx, { cache: null, force: 'vec4' });
    expect(await forced.conv2d('forward', CONV)).toBe(defaultConv2dVariant('forward', CONV));
    expect(forced.trials).toEqual([]);

    const pinned = await KernelChooser.create(ctx, { cache: null, fresh: true, pinned: { 'conv2d input-grad 5x6x12x12->24 k5s1p0': 'general', 'conv2d input-grad 5x6x12x12->24 k5s2p0': '4x8' } });
    expect(await pinned.conv2d('input-grad', CONV)).toBe('general');
    // A pin this shape cannot run is ignored: the choice is made as usual.
    expect(await pinned.conv2d('input-grad', strided)).toBe('general');
    expect(pinned.trials.map((t) => t.problem)).toEqual(['conv2d input-grad 5x6x12x12->24 k5s2p0']);
  });
});
