// The GPU context never lets a run continue silently past a device error.
import { describe, expect, it } from 'vitest';
import { GpuDeviceError } from '../../src/gpu/errors.ts';
import { useGpu } from './gpu-suite.ts';

describe('GPU context', () => {
  const gpu = useGpu();

  it('reports the adapter, its limits and whether it is a CPU fallback', () => {
    const { adapter } = gpu();
    expect(adapter.limits.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(128 * 1024 * 1024);
    expect(typeof adapter.isFallbackAdapter).toBe('boolean');
    // This project's CI has no GPU: SwiftShader must be flagged, or CPU numbers pass for GPU ones.
    if (/swiftshader/i.test(`${adapter.vendor} ${adapter.architecture} ${adapter.description}`)) {
      expect(adapter.isFallbackAdapter).toBe(true);
    }
  });

  it('counts live bytes and refuses a buffer past the device limit with its name', () => {
    const ctx = gpu();
    const before = ctx.liveBytes;
    const b = ctx.storage('scratch', 1000);
    expect(ctx.liveBytes - before).toBe(1000);
    ctx.destroyBuffer(b);
    expect(ctx.liveBytes).toBe(before);
    expect(() => ctx.storage('huge', ctx.device.limits.maxBufferSize + 4)).toThrow(/buffer "huge" needs/);
  });

  it('a validation error surfaces as a GpuDeviceError at the next read-back, and stays fatal', async () => {
    const ctx = gpu();
    // STORAGE with MAP_READ is an invalid usage combination: a validation error, raised
    // asynchronously as an uncapturederror event.
    ctx.device.createBuffer({ size: 16, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.MAP_READ });
    await expect(ctx.sync()).rejects.toThrow(GpuDeviceError);
    expect(() => ctx.check()).toThrow(/WebGPU GPUValidationError/);
    expect(() => ctx.storage('after', 16)).toThrow(GpuDeviceError);
  });
});
