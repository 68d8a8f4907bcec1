// The kernel-test helper itself: a check that compares nothing must fail, or a suite whose
// expectations went missing would pass by comparing no value at all.
import { describe, expect, it } from 'vitest';
import { checkKernel } from './kernel-check.ts';
import { useGpu } from './gpu-suite.ts';

describe('checkKernel', () => {
  const gpu = useGpu();

  it('fails a check whose expect() names no buffer, or only empty references', async () => {
    const none = { what: 'no expectation', buffers: { x: 4 }, dispatches: () => [], expect: () => ({}) };
    await expect(checkKernel(gpu(), none)).rejects.toThrow(/no expectation: run 0 compared no values/);
    const empty = { ...none, what: 'empty reference', expect: () => ({ x: { ref: new Float32Array(0), tol: { atol: 0, rtol: 0 } } }) };
    await expect(checkKernel(gpu(), empty)).rejects.toThrow(/empty reference: run 0 compared no values/);
  });
});
