import { describe, expect, it } from 'vitest';
import { createRng } from '../../src/data/prng.ts';
import { traceCpuStep, traceRow } from '../../src/reference/toy-trace.ts';
import { NOTEBOOK_DATASET, NOTEBOOK_INITIAL_NETWORK, cloneNetwork, initializeNetwork, trainNetwork } from '../../src/reference/toy.ts';

describe('the trace of one toy step', () => {
  it('stepping an epoch row by row is trainNetwork: same error sum, same weights', () => {
    const stepped = cloneNetwork(NOTEBOOK_INITIAL_NETWORK);
    const errors = NOTEBOOK_DATASET.map((row) => traceCpuStep(stepped, row, 0.4).error);
    const whole = cloneNetwork(NOTEBOOK_INITIAL_NETWORK);
    const [epochError] = trainNetwork(whole, NOTEBOOK_DATASET, 0.4, 1, 2);
    expect(errors.reduce((s, e) => s + e, 0)).toBe(epochError);
    expect(stepped).toEqual(whole);
  });

  it('every number of a 2-3-2 step follows from the chain rule', () => {
    const net = initializeNetwork(2, 3, 2, createRng(4));
    const row = NOTEBOOK_DATASET[6];
    const t = traceCpuStep(net, row, 0.4);
    expect(t.expected).toEqual([0, 1]);
    const [hidden, output] = t.layers;
    output.forEach((n, j) => {
      expect(n.inputs).toEqual(hidden.map((h) => h.output));
      expect(n.dOut).toBe(2 * (n.output - t.expected[j]));
      expect(n.delta).toBe(n.dOut * n.slope);
      expect(n.output).toBeCloseTo(1 / (1 + Math.exp(-n.z)), 15);
    });
    hidden.forEach((n, j) => {
      expect(n.terms).toEqual(output.map((o) => [o.before[j], o.delta]));
      expect(n.delta).toBe(n.dOut * n.slope);
      // w_j -= lr · delta · input_j; bias -= lr · delta
      [...row.slice(0, 2), 1].forEach((x, k) => expect(n.change[k]).toBeCloseTo(-0.4 * n.delta * x, 15));
    });
    expect(t.error).toBe(output.reduce((s, n, j) => s + (t.expected[j] - n.output) ** 2, 0));
  });

  it("takes another device's outputs, deltas and weights as they are", () => {
    const before = cloneNetwork(NOTEBOOK_INITIAL_NETWORK);
    const device = cloneNetwork(NOTEBOOK_INITIAL_NETWORK);
    const cpu = traceCpuStep(device, NOTEBOOK_DATASET[0], 0.4);
    // A float32 device: its own numbers show; z still comes from the weights before the step.
    const rounded = device.map((layer) => layer.map((n) => ({ weights: n.weights.map(Math.fround), output: Math.fround(n.output!), delta: Math.fround(n.delta!) })));
    const t = traceRow(before, NOTEBOOK_DATASET[0], { network: rounded, error: Math.fround(cpu.error) });
    expect(t.layers[1][0].delta).toBe(Math.fround(cpu.layers[1][0].delta));
    expect(t.layers[0][1].after).toEqual(rounded[0][1].weights);
    expect(t.layers[0][0].z).toBe(cpu.layers[0][0].z);
  });
});
