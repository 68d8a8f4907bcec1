import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { nodeKernelCache } from '../../src/gpu/node-gpu.ts';
import { cacheKeyFor, fingerprint } from '../../src/gpu/kernel-cache.ts';
import { validChoices } from '../../src/gpu/kernel-choice.ts';

const dir = mkdtempSync(join(tmpdir(), 'kernel-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const saved = process.env.WEBGPU_TRAINER_CACHE_DIR;
afterEach(() => {
  if (saved === undefined) delete process.env.WEBGPU_TRAINER_CACHE_DIR;
  else process.env.WEBGPU_TRAINER_CACHE_DIR = saved;
});

describe('the kernel-choice cache in Node', () => {
  it('keeps each adapter key apart in one JSON file in $WEBGPU_TRAINER_CACHE_DIR', async () => {
    process.env.WEBGPU_TRAINER_CACHE_DIR = join(dir, 'a');
    const cache = nodeKernelCache()!;
    expect(cache.where).toBe(join(dir, 'a', 'kernel-choices.json'));
    expect(await cache.load('gpu-1')).toEqual({});
    await cache.save('gpu-1', { '32x512x784 B^T bias-sigmoid': 'skinny' });
    await cache.save('gpu-2', { '32x512x784 B^T bias-sigmoid': 'tiled' });
    expect(await nodeKernelCache()!.load('gpu-1')).toEqual({ '32x512x784 B^T bias-sigmoid': 'skinny' });
    expect(JSON.parse(readFileSync(cache.where, 'utf8'))).toEqual({
      'gpu-1': { '32x512x784 B^T bias-sigmoid': 'skinny' },
      'gpu-2': { '32x512x784 B^T bias-sigmoid': 'tiled' },
    });
  });

  it('reads a corrupt file as empty and replaces it on the next save', async () => {
    process.env.WEBGPU_TRAINER_CACHE_DIR = join(dir, 'b');
    const cache = nodeKernelCache()!;
    await cache.save('gpu', { p: 'naive' });
    writeFileSync(cache.where, '{ not json');
    expect(await cache.load('gpu')).toEqual({});
    await cache.save('gpu', { p: 'vec4' });
    expect(await cache.load('gpu')).toEqual({ p: 'vec4' });
  });

  it('replaces a file that holds a JSON array (found by fuzzing: saves into one were lost)', async () => {
    process.env.WEBGPU_TRAINER_CACHE_DIR = join(dir, 'array');
    const cache = nodeKernelCache()!;
    await cache.save('gpu', { p: 'naive' });
    writeFileSync(cache.where, '[]');
    await cache.save('gpu', { p: 'vec4' });
    expect(await nodeKernelCache()!.load('gpu')).toEqual({ p: 'vec4' });
  });

  it('drops the same adapter\'s choices for an older kernel source when it saves the current ones', async () => {
    process.env.WEBGPU_TRAINER_CACHE_DIR = join(dir, 'c');
    const cache = nodeKernelCache()!;
    const [old, current, other] = [cacheKeyFor(['node', 'google'], 'v1'), cacheKeyFor(['node', 'google'], 'v2'), cacheKeyFor(['node', 'nvidia'], 'v1')];
    await cache.save(old, { p: 'naive' });
    await cache.save(other, { p: 'tiled' });
    await cache.save(current, { p: 'vec4' });
    expect(Object.keys(JSON.parse(readFileSync(cache.where, 'utf8'))).sort()).toEqual([current, other].sort());
  });

  it('is off with WEBGPU_TRAINER_CACHE_DIR=off', () => {
    process.env.WEBGPU_TRAINER_CACHE_DIR = 'off';
    expect(nodeKernelCache()).toBeNull();
  });

  it('fingerprints the kernels\' source: any edit changes the key', () => {
    expect(fingerprint('fn main() {}')).toMatch(/^[0-9a-f]{8}$/);
    expect(fingerprint('fn main() {}')).not.toBe(fingerprint('fn main() { }'));
  });

  it('keeps each family\'s problems with that family\'s variants only: matmul, bias gradient, convolution', () => {
    const { valid, rejected } = validChoices({
      '32x512x784 B^T bias-sigmoid': 'vec4',
      'bias 32x10': 'serial',
      'conv2d forward 32x1x28x28->6 k5s1p0': '4x8',
      'conv2d input-grad 32x6x12x12->24 k5s1p0': 'general',
      // A convolution's variant under a matmul problem, and the reverse; an unknown direction.
      '32x64x384 store': '8x16',
      'conv2d forward 32x1x28x28->6 k5s1p0 ': 'vec4',
      'conv2d backward 32x1x28x28->6 k5s1p0': '8x8',
    });
    expect(valid).toEqual({
      '32x512x784 B^T bias-sigmoid': 'vec4', 'bias 32x10': 'serial',
      'conv2d forward 32x1x28x28->6 k5s1p0': '4x8', 'conv2d input-grad 32x6x12x12->24 k5s1p0': 'general',
    });
    expect(rejected).toBe(3);
  });
});
