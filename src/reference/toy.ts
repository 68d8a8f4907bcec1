// The notebook's part 1, "Build back propagation with numpy": a one-hidden-layer sigmoid network
// trained by per-sample SGD on the squared error, with the notebook's anonymous functions a…f given
// their real names (homework 1). Plain float64 loops in the notebook's order of operations (bias
// first, then += w*x; sums from 0 left to right), so the errors and weights match CPython to the
// last bit or two: Math.exp and libm's exp may differ by an ulp, nothing else can (so may two
// JavaScript engines' Math.exp: Chromium 156's and Node 20's do for ~10% of arguments).
import type { Rng } from '../data/prng.ts';

export interface ToyNeuron {
  /** fan_in weights, then the bias as the last entry (the notebook's layout). */
  weights: number[];
  /** sigmoid(activation) from the latest forward pass. */
  output?: number;
  /** ∂(squared error)/∂(activation) from the latest backward pass. */
  delta?: number;
}

/** Layers in order: hidden, output (any number of hidden layers works, the notebook uses one). */
export type ToyNetwork = ToyNeuron[][];

export type ReadonlyToyNetwork = readonly (readonly {
  readonly weights: readonly number[];
  readonly output?: number;
  readonly delta?: number;
}[])[];

/** A row is [x1, ..., xn, label]; the label is the index of the output that should be 1. */
export type ToyRow = readonly number[];

/** z = b + Σ_j w_j x_j: the neuron's pre-activation, an affine function of its inputs. The bias
 * starts the sum, as in the notebook, so the rounding is the same. */
export function activate(weights: readonly number[], inputs: readonly number[]): number {
  let activation = weights[weights.length - 1];
  for (let i = 0; i < weights.length - 1; i++) activation += weights[i] * inputs[i];
  return activation;
}

/** σ(z) = 1 / (1 + e^(−z)): the logistic sigmoid, a smooth squashing of z into (0, 1). */
export function transfer(activation: number): number {
  return 1.0 / (1.0 + Math.exp(-activation));
}

/** Runs one row through every layer, storing each neuron's output σ(z) because the backward pass
 * needs it (for σ' and as the next layer's inputs). Returns the last layer's outputs. A row may
 * carry its label at the end: each neuron reads only as many inputs as it has weights − 1. */
export function forwardPropagate(network: ToyNetwork, row: ToyRow): number[] {
  let inputs: readonly number[] = row;
  let outputs: number[] = [];
  for (const layer of network) {
    outputs = [];
    for (const neuron of layer) {
      neuron.output = transfer(activate(neuron.weights, inputs));
      outputs.push(neuron.output);
    }
    inputs = outputs;
  }
  return outputs;
}

/** σ'(z) = σ(z)(1 − σ(z)). Written in terms of the stored output σ(z) so the backward pass needs
 * neither z nor another exp. */
export function transferDerivative(output: number): number {
  return output * (1.0 - output);
}

function storedOutput(neuron: ToyNeuron): number {
  if (neuron.output === undefined) throw new Error('forwardPropagate must run before this step');
  return neuron.output;
}

function storedDelta(neuron: ToyNeuron): number {
  if (neuron.delta === undefined) throw new Error('backwardPropagateError must run first');
  return neuron.delta;
}

/** Chain rule, output layer to input, storing delta = ∂E/∂z for every neuron, E = Σ (out − y)².
 * Output neuron: ∂E/∂out = 2(out − y) (derivative of the square). Hidden neuron j feeds every
 * neuron k of the next layer through w_kj, so ∂E/∂out_j = Σ_k w_kj · delta_k. In both cases
 * delta = ∂E/∂out · σ'(z), with σ' taken from the stored output. */
export function backwardPropagateError(network: ToyNetwork, expected: readonly number[]): void {
  for (let i = network.length - 1; i >= 0; i--) {
    const layer = network[i];
    const errors: number[] = [];
    if (i === network.length - 1) {
      for (let j = 0; j < layer.length; j++) errors.push(2 * (storedOutput(layer[j]) - expected[j]));
    } else {
      for (let j = 0; j < layer.length; j++) {
        let error = 0.0;
        for (const neuron of network[i + 1]) error += neuron.weights[j] * storedDelta(neuron);
        errors.push(error);
      }
    }
    for (let j = 0; j < layer.length; j++) {
      layer[j].delta = errors[j] * transferDerivative(storedOutput(layer[j]));
    }
  }
}

/** One SGD step: ∂E/∂w_j = delta · input_j (z is linear in w_j) and ∂E/∂b = delta, so
 * w_j −= lrate · delta · input_j and bias −= lrate · delta. Layer 0's inputs are the row without its
 * label, later layers' inputs are the previous layer's stored outputs. */
export function updateWeights(network: ToyNetwork, row: ToyRow, lrate: number): void {
  for (let i = 0; i < network.length; i++) {
    const inputs = i === 0 ? row.slice(0, -1) : network[i - 1].map(storedOutput);
    for (const neuron of network[i]) {
      const delta = storedDelta(neuron);
      for (let j = 0; j < inputs.length; j++) neuron.weights[j] -= lrate * delta * inputs[j];
      neuron.weights[neuron.weights.length - 1] -= lrate * delta;
    }
  }
}

/** One per-sample SGD step on one row: forward, the row's Σ (y − out)² against the one-hot target
 * (expected[label] = 1; returned, measured before the update, as the notebook adds it up),
 * backward, update. Mutates `network`, leaving each neuron's output and delta of this row. */
export function trainRow(network: ToyNetwork, row: ToyRow, lrate: number, nOutputs: number): number {
  const outputs = forwardPropagate(network, row);
  const label = row[row.length - 1];
  // Python would raise IndexError here; JS would silently train towards an all-zero target.
  if (!Number.isInteger(label) || label < 0 || label >= nOutputs) {
    throw new RangeError(`label ${label} is not an output index in [0, ${nOutputs})`);
  }
  const expected = oneHot(label, nOutputs);
  // Python's sum() of the row's terms first, then added to the running total by the caller.
  let rowError = 0;
  for (let i = 0; i < nOutputs; i++) {
    const diff = expected[i] - outputs[i];
    rowError += diff * diff;
  }
  backwardPropagateError(network, expected);
  updateWeights(network, row, lrate);
  return rowError;
}

/** The notebook's `expected`: 1 at the label, 0 elsewhere. */
export function oneHot(label: number, nOutputs: number): number[] {
  const expected = new Array<number>(nOutputs).fill(0);
  expected[label] = 1;
  return expected;
}

/** Per-sample SGD for `epochs` passes over the rows in order, mutating `network`. Returns each
 * epoch's Σ over rows and outputs of (y − out)², measured before each row's update, as the
 * notebook prints it; `onEpoch` sees it as it happens. */
export function trainNetwork(
  network: ToyNetwork,
  dataset: readonly ToyRow[],
  lrate: number,
  epochs: number,
  nOutputs: number,
  onEpoch?: (epoch: number, error: number) => void,
): number[] {
  const errors: number[] = [];
  for (let epoch = 0; epoch < epochs; epoch++) {
    let sumError = 0;
    for (const row of dataset) sumError += trainRow(network, row, lrate, nOutputs);
    errors.push(sumError);
    onEpoch?.(epoch, sumError);
  }
  return errors;
}

/** Every weight and bias uniform in [0, 1) like Python's random(), drawn hidden layer first, neuron
 * by neuron, as the notebook draws them. */
export function initializeNetwork(
  nInputs: number,
  nHidden: number,
  nOutputs: number,
  rng: Rng,
): ToyNetwork {
  const layer = (count: number, fanIn: number): ToyNeuron[] =>
    Array.from({ length: count }, () => ({
      weights: Array.from({ length: fanIn + 1 }, () => rng.next()),
    }));
  const hidden = layer(nHidden, nInputs);
  return [hidden, layer(nOutputs, nHidden)];
}

/** The notebook's n_outputs = len(set(labels)). */
export function countOutputs(dataset: readonly ToyRow[]): number {
  return new Set(dataset.map((row) => row[row.length - 1])).size;
}

/** A mutable deep copy, since training mutates the network in place. */
export function cloneNetwork(network: ReadonlyToyNetwork): ToyNetwork {
  return network.map((layer) =>
    layer.map((neuron) => {
      const copy: ToyNeuron = { weights: [...neuron.weights] };
      if (neuron.output !== undefined) copy.output = neuron.output;
      if (neuron.delta !== undefined) copy.delta = neuron.delta;
      return copy;
    }),
  );
}

/** Python's '%.<digits>f': the exact binary value rounded half-to-even. Number#toFixed rounds exact
 * ties away from zero (0.0625 → "0.063", Python "0.062"), drops the sign of −0 and switches to
 * exponent form from 1e21, so the digits are computed here from the bits. */
export function formatFixed(x: number, digits: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & 0xfffffffffffffn;
  // |x| = mantissa · 2^exponent exactly.
  const mantissa = biased === 0 ? fraction : fraction | (1n << 52n);
  const exponent = Math.max(biased, 1) - 1075;
  const scaled = mantissa * 10n ** BigInt(digits);
  let q: bigint;
  if (exponent >= 0) {
    q = scaled << BigInt(exponent);
  } else {
    const shift = BigInt(-exponent);
    q = scaled >> shift;
    const remainder = scaled - (q << shift);
    const half = 1n << (shift - 1n);
    if (remainder > half || (remainder === half && (q & 1n) === 1n)) q += 1n;
  }
  const text = q.toString().padStart(digits + 1, '0');
  const body = digits === 0 ? text : `${text.slice(0, -digits)}.${text.slice(-digits)}`;
  return (bits >> 63n === 1n ? '-' : '') + body;
}

/** The notebook's progress line, '>epoch=%d, lrate=%.3f, error=%.3f'. */
export function formatEpochLine(epoch: number, lrate: number, error: number): string {
  return `>epoch=${epoch}, lrate=${formatFixed(lrate, 3)}, error=${formatFixed(error, 3)}`;
}

/** One line per layer heading and per neuron, numbers in shortest round-trip form (Python's repr
 * digits), weights with the bias last as stored. */
export function formatNetwork(network: ReadonlyToyNetwork): string {
  const lines: string[] = [];
  network.forEach((layer, i) => {
    const role = i === network.length - 1 ? 'output' : 'hidden';
    lines.push(`layer ${i} (${role}), ${layer.length} neurons, weights = [w_1..w_n, bias]:`);
    layer.forEach((neuron, j) => {
      let line = `  neuron ${j}: weights=[${neuron.weights.join(', ')}]`;
      if (neuron.output !== undefined) line += ` output=${neuron.output}`;
      if (neuron.delta !== undefined) line += ` delta=${neuron.delta}`;
      lines.push(line);
    });
  });
  return lines.join('\n');
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/** The notebook's 10 two-dimensional rows, labels 0 and 1. */
export const NOTEBOOK_DATASET: readonly ToyRow[] = deepFreeze([
  [2.7810836, 2.550537003, 0],
  [1.465489372, 2.362125076, 0],
  [3.396561688, 4.400293529, 0],
  [1.38807019, 1.850220317, 0],
  [3.06407232, 3.005305973, 0],
  [7.627531214, 2.759262235, 1],
  [5.332441248, 2.088626775, 1],
  [6.922596716, 1.77106367, 1],
  [8.675418651, -0.242068655, 1],
  [7.673756466, 3.508563011, 1],
]);

/** The 2-2-2 network CPython's seed(1); random() drew in the notebook (frozen: clone to train). */
export const NOTEBOOK_INITIAL_NETWORK: ReadonlyToyNetwork = deepFreeze([
  [
    { weights: [0.13436424411240122, 0.8474337369372327, 0.763774618976614] },
    { weights: [0.2550690257394217, 0.49543508709194095, 0.4494910647887381] },
  ],
  [
    { weights: [0.651592972722763, 0.7887233511355132, 0.0938595867742349] },
    { weights: [0.02834747652200631, 0.8357651039198697, 0.43276706790505337] },
  ],
]);

/** The errors the notebook printed with %.3f for epochs 0..18 (the export cut off epoch 19). */
export const NOTEBOOK_EPOCH_ERRORS: readonly number[] = deepFreeze([
  6.128, 5.333, 5.001, 4.4, 3.882, 3.376, 2.934, 2.553, 2.228, 1.952, 1.717, 1.518, 1.348, 1.204,
  1.081, 0.977, 0.887, 0.811, 0.744,
]);

/** Cell 12: the network after 20 epochs at lrate 0.4, outputs and deltas from the last row. */
export const NOTEBOOK_FINAL_NETWORK: ReadonlyToyNetwork = deepFreeze([
  [
    {
      weights: [-1.7162510676007774, 2.2017368671278477, 1.2236115716194655],
      output: 0.0174917162472531,
      delta: 0.006688936418205769,
    },
    {
      weights: [-0.4276550412463933, 0.195595536359702, 0.33038057152505096],
      output: 0.10021812672613511,
      delta: 0.0024335479554760007,
    },
  ],
  [
    {
      weights: [3.079101186041918, 0.6653253481230443, -1.6094439234205478],
      output: 0.18758158041770231,
      delta: 0.05717288901627574,
    },
    {
      weights: [-3.2651365888431174, 0.17393950180259954, 1.4382688763664562],
      output: 0.797736837670095,
      delta: -0.06527144524433287,
    },
  ],
]);
