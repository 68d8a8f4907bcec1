// The Part 1 tab's settings <-> a toy run. Everything is judged by src/train/toy-config.ts, the
// module `npm run toy` validates with, so the page accepts and refuses exactly what the CLI does;
// its ConfigErrors name a CLI option, which maps to the field to mark.
import { NOTEBOOK_DATASET, countOutputs, type ToyNetwork, type ToyRow } from '../reference/toy.ts';
import { ConfigError } from '../train/config.ts';
import {
  TOY_NOTEBOOK_SETTINGS as NB,
  checkHiddenAgrees,
  defaultToyNetwork,
  validateToyDataset,
  validateToyNetwork,
  validateToySettings,
} from '../train/toy-config.ts';

export type ToyField = 'lr' | 'epochs' | 'hidden' | 'data' | 'weights';

export interface ToyFormValues {
  lr: string;
  epochs: string;
  hidden: string;
  data: string;
  weights: string;
}

export interface ToyRun {
  dataset: ToyRow[];
  network: ToyNetwork;
  lr: number;
  epochs: number;
  /** The same run in a terminal; the files hold the data and the weights as the form shows them. */
  command: string;
}

export interface ToyFormCheck {
  run: ToyRun | null;
  errors: Map<ToyField, string>;
}

const OPTION_FIELD: Record<string, ToyField> = { '--lr': 'lr', '--epochs': 'epochs', '--hidden': 'hidden', '--data': 'data', '--init': 'weights' };
const OPTION_WORDS: Record<string, string> = { '--init': 'the starting weights', '--data': 'the data', '--hidden': 'the hidden width' };

/** "--hidden 3 disagrees with --init, ..." -> "3 disagrees with the starting weights, ...". */
function humanise(err: ConfigError): string {
  return err.message.slice(err.option.length + 1).replace(/--[a-z]+/g, (opt) => OPTION_WORDS[opt] ?? opt);
}

/** JSON laid out one row (or one neuron) per line, as a person would type it. */
export function formatRows(rows: readonly (readonly number[])[]): string {
  return `[\n${rows.map((r) => `  ${JSON.stringify(r).replace(/,/g, ', ')}`).join(',\n')}\n]`;
}

export function formatWeights(network: ToyNetwork): string {
  const layer = (l: ToyNetwork[number]) => `  [\n${l.map((n) => `    {"weights": ${JSON.stringify(n.weights).replace(/,/g, ', ')}}`).join(',\n')}\n  ]`;
  return `[\n${network.map(layer).join(',\n')}\n]`;
}

export const NOTEBOOK_FORM: ToyFormValues = Object.freeze({
  lr: String(NB.lr),
  epochs: String(NB.epochs),
  hidden: String(NB.hidden),
  data: formatRows(NOTEBOOK_DATASET),
  weights: formatWeights(defaultToyNetwork(NOTEBOOK_DATASET, NB.hidden, NB.seed, false)),
});

const num = (s: string) => (s.trim() === '' ? NaN : Number(s.trim()));

function parseJson(field: 'data' | 'weights', text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ConfigError(field === 'data' ? '--data' : '--init', `is not valid JSON: ${(e as Error).message}`);
  }
}

/** The starting weights the CLI would draw for this data and width: what the weights field shows
 * until a person edits it. Null while the data or the width is invalid. */
export function defaultWeightsText(values: ToyFormValues): string | null {
  try {
    const dataset = validateToyDataset(parseJson('data', values.data));
    const hidden = num(values.hidden);
    validateToySettings({ ...NB, hidden });
    return formatWeights(defaultToyNetwork(dataset, hidden, NB.seed, false));
  } catch (e) {
    if (e instanceof ConfigError) return null;
    throw e;
  }
}

/** Every field checked (not only the first bad one); `weightsEdited`: the weights were typed by a
 * person, so they fix the hidden width as --init does. */
export function checkToyForm(values: ToyFormValues, weightsEdited: boolean): ToyFormCheck {
  const errors = new Map<ToyField, string>();
  const attempt = <T>(body: () => T): T | null => {
    try {
      return body();
    } catch (e) {
      const field = e instanceof ConfigError ? OPTION_FIELD[e.option] : undefined;
      if (!field) throw e;
      if (!errors.has(field)) errors.set(field, humanise(e as ConfigError));
      return null;
    }
  };
  const settings = { lr: num(values.lr), epochs: num(values.epochs), hidden: num(values.hidden), seed: NB.seed };
  for (const key of ['lr', 'epochs', 'hidden'] as const) attempt(() => validateToySettings({ ...NB, [key]: settings[key] }));
  const dataset = attempt(() => validateToyDataset(parseJson('data', values.data)));
  let network: ToyNetwork | null = null;
  if (dataset) {
    network = attempt(() => validateToyNetwork(parseJson('weights', values.weights), dataset[0].length - 1, countOutputs(dataset)));
    if (network && weightsEdited && !errors.has('hidden')) attempt(() => checkHiddenAgrees(network!, settings.hidden));
  }
  if (errors.size || !dataset || !network) return { run: null, errors };
  return { run: { dataset, network, lr: settings.lr, epochs: settings.epochs, command: toyCommand(values, dataset, network, weightsEdited) }, errors };
}

function toyCommand(values: ToyFormValues, dataset: ToyRow[], network: ToyNetwork, weightsEdited: boolean): string {
  const args: string[] = [];
  const lr = num(values.lr);
  const epochs = num(values.epochs);
  const hidden = network[0].length;
  if (lr !== NB.lr) args.push(`--lr ${lr}`);
  if (epochs !== NB.epochs) args.push(`--epochs ${epochs}`);
  if (JSON.stringify(dataset) !== JSON.stringify(NOTEBOOK_DATASET)) args.push('--data data.json');
  const drawn = defaultToyNetwork(dataset, hidden, NB.seed, false);
  if (weightsEdited && JSON.stringify(network) !== JSON.stringify(drawn)) args.push('--init weights.json');
  else if (hidden !== NB.hidden) args.push(`--hidden ${hidden}`);
  return `npm run toy${args.length ? ` -- ${args.join(' ')}` : ''}`;
}
