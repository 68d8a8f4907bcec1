// One per-sample step of the toy network laid out for a reader (homework 1): every neuron's z, output,
// ∂E/∂out with the chain-rule terms it is summed from, σ', delta and weight change. The device's
// own results (outputs, deltas, weights after; from the CPU reference or the GPU) go in as they are;
// what a device does not keep (z, the terms of a hidden neuron's sum) is computed here in float64
// from the weights before the step, which is what the device started from.
import { activate, oneHot, trainRow, transferDerivative, type ReadonlyToyNetwork, type ToyNetwork, type ToyRow } from './toy.ts';

export interface NeuronTrace {
  /** This neuron's inputs: the row for the first layer, the previous layer's outputs after it. */
  inputs: number[];
  /** Weights then bias, before the step. */
  before: number[];
  /** b + Σ w_j x_j from `before` and `inputs` (computed here, in float64). */
  z: number;
  /** σ(z) as the device computed it. */
  output: number;
  /** ∂E/∂out: 2 (out − y) for an output neuron; Σ_k w_kj · delta_k for a hidden one. */
  dOut: number;
  /** The hidden sum's terms [w_kj before the step, delta_k]; empty for an output neuron. */
  terms: [number, number][];
  /** σ'(z) = out (1 − out). */
  slope: number;
  /** ∂E/∂z as the device computed it. */
  delta: number;
  /** after − before, per weight and the bias. */
  change: number[];
  /** Weights then bias, after the step. */
  after: number[];
}

export interface RowTrace {
  inputs: number[];
  label: number;
  expected: number[];
  /** The row's Σ (y − out)², before the update. */
  error: number;
  /** layers[i][j]: neuron j of layer i (hidden first). */
  layers: NeuronTrace[][];
}

/** What a device reports for one row's step. */
export interface DeviceStep {
  /** Per layer, per neuron: σ(z), delta and the weights (bias last) after the update. */
  network: ReadonlyToyNetwork;
  /** The row's squared error as the device summed it. */
  error: number;
}

export function traceRow(before: ReadonlyToyNetwork, row: ToyRow, step: DeviceStep): RowTrace {
  const nOutputs = before[before.length - 1].length;
  const label = row[row.length - 1];
  const expected = oneHot(label, nOutputs);
  const inputsOf = (i: number) => (i === 0 ? row.slice(0, -1) : step.network[i - 1].map((n) => n.output ?? NaN));
  const layers = step.network.map((layer, i) =>
    layer.map((neuron, j): NeuronTrace => {
      const inputs = inputsOf(i);
      const output = neuron.output ?? NaN;
      const next = step.network[i + 1];
      // Output layer: derivative of (out − y)². Hidden: every next-layer neuron k reaches this one
      // through w_kj (its weight before this step's update, as backward runs before update).
      const terms = next ? next.map((n, k): [number, number] => [before[i + 1][k].weights[j], n.delta ?? NaN]) : [];
      const dOut = next ? terms.reduce((s, [w, d]) => s + w * d, 0) : 2 * (output - expected[j]);
      return {
        inputs,
        before: [...before[i][j].weights],
        z: activate(before[i][j].weights, inputs),
        output,
        dOut,
        terms,
        slope: transferDerivative(output),
        delta: neuron.delta ?? NaN,
        change: neuron.weights.map((w, k) => w - before[i][j].weights[k]),
        after: [...neuron.weights],
      };
    }),
  );
  return { inputs: row.slice(0, -1), label, expected, error: step.error, layers };
}

/** One CPU-reference step on `network` (mutated, as trainRow does) with its trace. */
export function traceCpuStep(network: ToyNetwork, row: ToyRow, lrate: number): RowTrace {
  const before = network.map((layer) => layer.map((n) => ({ weights: [...n.weights] })));
  const error = trainRow(network, row, lrate, network[network.length - 1].length);
  return traceRow(before, row, { network, error });
}
