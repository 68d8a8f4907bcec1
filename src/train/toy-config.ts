// What a run of the notebook's toy network is, and the one place that decides whether its inputs
// are possible: `npm run toy` and the dashboard's Part 1 tab both validate through here, so a
// data set, a starting network or a setting is accepted or refused with the same message in
// both. Errors are ConfigErrors naming the CLI option (--data, --init, --lr, ...).
import { MAX_JSON_DEPTH, nestedTooDeeply } from '../data/json.ts';
import { createRng } from '../data/prng.ts';
import {
  NOTEBOOK_INITIAL_NETWORK,
  cloneNetwork,
  countOutputs,
  initializeNetwork,
  type ToyNetwork,
  type ToyRow,
} from '../reference/toy.ts';
import { ConfigError } from './config.ts';

/** The notebook's run: lr 0.4, 20 epochs, 2 hidden neurons; seed 1 is what CPython's seed(1)
 * stands for when a network is not 2-2-2. */
export const TOY_NOTEBOOK_SETTINGS = Object.freeze({ lr: 0.4, epochs: 20, hidden: 2, seed: 1 });

export interface ToySettings {
  lr: number;
  epochs: number;
  hidden: number;
  seed: number;
}

const ROW_SHAPE = 'rows [x1, ..., xn, label] of equal length >= 2';

/** The notebook's data layout: rows [x1, ..., xn, label], labels 0..k-1 for k distinct labels. */
export function validateToyDataset(value: unknown): ToyRow[] {
  const fail = (message: string): never => {
    throw new ConfigError('--data', message);
  };
  if (!Array.isArray(value) || value.length === 0) fail(`must hold a non-empty JSON array of ${ROW_SHAPE}`);
  if (nestedTooDeeply(value)) fail(`nests more than ${MAX_JSON_DEPTH} levels deep; it must hold ${ROW_SHAPE}`);
  const rowsIn = value as unknown[];
  const width = Array.isArray(rowsIn[0]) ? rowsIn[0].length : 0;
  rowsIn.forEach((row: unknown, i) => {
    if (!Array.isArray(row) || row.length < 2 || row.length !== width) {
      const got = Array.isArray(row) ? `${row.length} values` : JSON.stringify(row);
      fail(`row ${i} has ${got}, expected ${ROW_SHAPE} (row 0 has ${width})`);
    }
    (row as unknown[]).forEach((x: unknown, j) => {
      if (typeof x !== 'number' || !Number.isFinite(x)) fail(`row ${i} value ${j} is ${JSON.stringify(x)}, expected a finite number`);
    });
    const label = (row as number[])[width - 1];
    if (!Number.isInteger(label) || label < 0) fail(`row ${i} label is ${label}, expected an integer >= 0`);
  });
  const rows = rowsIn as ToyRow[];
  // The notebook counts outputs as distinct labels and uses each label as the one-hot index.
  const nOutputs = countOutputs(rows);
  const label = rows.map((row) => row[row.length - 1]).find((l) => l >= nOutputs);
  if (label !== undefined) {
    fail(`labels must be 0..k-1 for k distinct labels (each label is an output index), got label ${label} with ${nOutputs} distinct labels`);
  }
  return rows;
}

/** A starting network in the notebook's layout ([hidden layer, output layer] of {"weights"}),
 * shaped for the data; only the weights are kept (a saved network's outputs and deltas are stale). */
export function validateToyNetwork(value: unknown, nInputs: number, nOutputs: number): ToyNetwork {
  const fail = (message: string): never => {
    throw new ConfigError('--init', message);
  };
  const layout = '[[{"weights": [...]}, ...], [{"weights": [...]}, ...]] (hidden layer, output layer)';
  if (!Array.isArray(value) || value.length !== 2) fail(`must hold ${layout}`);
  if (nestedTooDeeply(value)) fail(`nests more than ${MAX_JSON_DEPTH} levels deep; it must hold ${layout}`);
  const [hidden, output] = value as unknown[];
  const checkLayer = (layer: unknown, name: string, count: number | null, fanIn: number): void => {
    if (!Array.isArray(layer) || layer.length === 0) fail(`${name} layer must be a non-empty array of {"weights": [...]}`);
    const neurons = layer as unknown[];
    if (count !== null && neurons.length !== count) fail(`${name} layer has ${neurons.length} neurons, the data has ${count} distinct labels`);
    neurons.forEach((neuron: unknown, j) => {
      const weights: unknown = (neuron as { weights?: unknown } | null)?.weights;
      if (!Array.isArray(weights) || weights.length !== fanIn + 1 || !weights.every((w) => typeof w === 'number' && Number.isFinite(w))) {
        fail(`${name} neuron ${j} needs "weights": ${fanIn + 1} finite numbers (${fanIn} inputs + bias), got ${JSON.stringify(weights)}`);
      }
    });
  };
  checkLayer(hidden, 'hidden', null, nInputs);
  checkLayer(output, 'output', nOutputs, (hidden as unknown[]).length);
  return (value as { weights: number[] }[][]).map((layer) => layer.map((neuron) => ({ weights: [...neuron.weights] })));
}

/** lr, epochs, hidden width and seed as the CLI's options accept them. */
export function validateToySettings(s: ToySettings): ToySettings {
  if (!(Number.isFinite(s.lr) && s.lr > 0)) throw new ConfigError('--lr', `must be a finite number > 0, got ${s.lr}`);
  if (!(Number.isInteger(s.epochs) && s.epochs >= 1)) throw new ConfigError('--epochs', `must be an integer >= 1, got ${s.epochs}`);
  if (!(Number.isInteger(s.hidden) && s.hidden >= 1)) throw new ConfigError('--hidden', `must be an integer >= 1, got ${s.hidden}`);
  if (!(Number.isInteger(s.seed) && s.seed >= 0 && s.seed <= 0xffffffff)) {
    throw new ConfigError('--seed', `must be an integer in [0, 4294967295], got ${s.seed}`);
  }
  return s;
}

/** The network a run starts from when none is given: the notebook's printed weights, which are
 * what CPython's seed(1) draws for any 2-2-2 network, unless a seed was chosen explicitly; else
 * this project's seeded generator. */
export function defaultToyNetwork(dataset: readonly ToyRow[], hidden: number, seed: number, seedGiven: boolean): ToyNetwork {
  const nInputs = dataset[0].length - 1;
  const nOutputs = countOutputs(dataset);
  if (nInputs === 2 && nOutputs === 2 && hidden === 2 && !seedGiven) return cloneNetwork(NOTEBOOK_INITIAL_NETWORK);
  return initializeNetwork(nInputs, hidden, nOutputs, createRng(seed));
}

/** A given starting network fixes the hidden width; a width chosen as well must agree with it. */
export function checkHiddenAgrees(network: ToyNetwork, hidden: number): void {
  if (network[0].length !== hidden) {
    throw new ConfigError('--hidden', `${hidden} disagrees with --init, whose hidden layer has ${network[0].length}`);
  }
}
