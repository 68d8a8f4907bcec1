// The training form <-> TrainConfig. validateConfig stays the one judge of what is possible; its
// ConfigError names the CLI option, which maps to the form field to mark with the message (which
// states the valid range, and names other options by their fields' labels). Every invalid field
// is marked, not only the first.
import { HIDDEN_ACTIVATIONS } from '../model/activations.ts';
import { denseSpec, formatModel, MODEL_PRESETS, parseModel, PRESET_ABOUT, resolveNetwork } from '../model/spec.ts';
import { MNIST_MLP_SIZES } from '../reference/mlp.ts';
import type { OptimizerKind } from '../model/optimizers.ts';
import { inPageWords, type FieldLabels } from './page-words.ts';
import { ConfigError, NOTEBOOK_RECIPE, optimizerDefaults, PRESET_RECIPES, validateConfig, type DataExtent, type TrainConfig } from '../train/config.ts';

const FIELDS = {
  '--epochs': ['epochs', 'Epochs'],
  '--batch': ['batchSize', 'Batch size'],
  '--optimizer': ['optimizer', 'Optimizer'],
  '--lr': ['lr', 'Learning rate'],
  '--momentum': ['momentum', 'Momentum'],
  '--nesterov': ['nesterov', 'Nesterov'],
  '--weight-decay': ['weightDecay', 'Weight decay'],
  '--beta1': ['beta1', 'Beta 1'],
  '--beta2': ['beta2', 'Beta 2'],
  '--eps': ['eps', 'Epsilon'],
  '--model': ['model', 'Model'],
  '--loss': ['loss', 'Loss'],
  '--seed': ['seed', 'Seed'],
  '--limit-train': ['limitTrain', 'Train samples'],
  '--limit-test': ['limitTest', 'Test samples'],
  '--readback-every': ['readbackEvery', 'Read back every'],
  '--lr-schedule': ['lrSchedule', 'LR schedule'],
  '--augment-shift': ['augmentShift', 'Augmentation: shift up to (px)'],
} as const satisfies Record<string, readonly [keyof TrainConfig, string]>;

export type FieldName = (typeof FIELDS)[keyof typeof FIELDS][0];

const FIELD_NAMES = Object.values(FIELDS).map(([name]) => name);

/** The training tab's fields by the CLI options they stand for (the form's, the CSV label
 * column's and the check's steps), as the labels read on the page. */
export const TRAIN_TAB_LABELS: FieldLabels = {
  ...Object.fromEntries(Object.entries(FIELDS).map(([option, [, label]]) => [option, label])),
  '--label-column': 'CSV label column',
  '--steps': 'Steps',
};

function input(form: HTMLFormElement, name: FieldName): HTMLInputElement | HTMLSelectElement {
  const el = form.elements.namedItem(name);
  if (!(el instanceof HTMLInputElement || el instanceof HTMLSelectElement)) throw new Error(`the form has no field "${name}"`);
  return el;
}

/** Parses the fields as typed; an unparsable number becomes NaN, which validateConfig rejects.
 * The model is left to checkForm, which marks a spec that does not parse. */
function readConfig(form: HTMLFormElement): Partial<TrainConfig> {
  const num = (name: FieldName) => {
    const v = input(form, name).value.trim();
    return v === '' ? NaN : Number(v);
  };
  const limit = (name: FieldName) => (input(form, name).value.trim() === '' ? null : num(name));
  const optimizer = input(form, 'optimizer').value as TrainConfig['optimizer'];
  return {
    epochs: num('epochs'),
    batchSize: num('batchSize'),
    optimizer,
    lr: num('lr'),
    // Hidden for Adam and AdamW, which refuse them: what they hold then does not count.
    momentum: optimizer === 'sgd' ? num('momentum') : 0,
    nesterov: optimizer === 'sgd' && (input(form, 'nesterov') as HTMLInputElement).checked,
    weightDecay: num('weightDecay'),
    beta1: num('beta1'),
    beta2: num('beta2'),
    eps: num('eps'),
    loss: input(form, 'loss').value as TrainConfig['loss'],
    seed: num('seed'),
    limitTrain: limit('limitTrain'),
    limitTest: limit('limitTest'),
    readbackEvery: num('readbackEvery'),
    lrSchedule: input(form, 'lrSchedule').value as TrainConfig['lrSchedule'],
    augmentShift: num('augmentShift'),
  };
}

/** The model field's suggestions (the presets, and the notebook's widths with every activation of
 * the table) and its grammar as the hint. */
export function fillModelChoices(form: HTMLFormElement): void {
  const el = input(form, 'model');
  if (!(el instanceof HTMLInputElement) || !el.list) throw new Error('the model field has no datalist of choices');
  const widths = MNIST_MLP_SIZES.slice(1, -1);
  el.list.replaceChildren(
    ...Object.entries(MODEL_PRESETS).map(([name, spec]) => new Option(`${name}: ${PRESET_ABOUT[name]}`, spec)),
    ...HIDDEN_ACTIVATIONS.map((a) => formatModel(denseSpec(widths, [a]))).map((spec) => new Option(spec, spec)),
  );
  el.title = 'hidden layers, comma-separated: dense:<units>:<activation>, conv2d:<channels>:k<kernel>[:s<stride>][:p<padding>][:<activation>], maxpool2d:<kernel>, ' +
    `flatten (activations: ${HIDDEN_ACTIVATIONS.join(', ')}), or a preset (${Object.keys(MODEL_PRESETS).join(', ')}); the output layer comes from the data`;
}

/** Puts a preset's layers in the model field (which stays editable) and its recipe's optimizer,
 * learning rate, weight decay, schedule and shift in theirs. */
export function choosePreset(form: HTMLFormElement, name: string): void {
  const spec = MODEL_PRESETS[name];
  const recipe = PRESET_RECIPES[name];
  if (spec === undefined || recipe === undefined) throw new Error(`no model preset "${name}" (${Object.keys(MODEL_PRESETS).join(', ')})`);
  setField(form, 'model', spec);
  setField(form, 'optimizer', recipe.optimizer);
  showOptimizerFields(form);
  for (const name of ['lr', 'weightDecay', 'lrSchedule', 'augmentShift'] as const) setField(form, name, String(recipe[name]));
}

/** The preset the model field holds (by name or by its layers), or null for any other model. */
export function presetInForm(form: HTMLFormElement): string | null {
  const text = getField(form, 'model').trim();
  let spec: string;
  try {
    spec = formatModel(parseModel(text));
  } catch {
    return null;
  }
  return Object.keys(MODEL_PRESETS).find((name) => MODEL_PRESETS[name] === spec) ?? null;
}

export function writeConfig(form: HTMLFormElement, c: TrainConfig): void {
  for (const name of FIELD_NAMES) {
    const el = input(form, name);
    const v = c[name];
    if (name === 'nesterov') (el as HTMLInputElement).checked = Boolean(v);
    else el.value = name === 'model' ? formatModel(c.model) : v === null ? '' : String(v);
  }
  showOptimizerFields(form);
}

/** Shows the chosen optimizer's own fields (SGD's momentum, Adam's betas and epsilon) and hides
 * the others'. On a switch of optimizer, a learning rate or weight decay still at the previous
 * one's default becomes the new one's: Adam at SGD's lr 0.5 would diverge. */
export function showOptimizerFields(form: HTMLFormElement): void {
  const kind = input(form, 'optimizer').value as OptimizerKind;
  const previous = form.dataset.optimizer as OptimizerKind | undefined;
  if (previous && previous !== kind) {
    const [from, to] = [optimizerDefaults(previous), optimizerDefaults(kind)];
    for (const name of ['lr', 'weightDecay'] as const) {
      if (Number(getField(form, name)) === from[name]) setField(form, name, String(to[name]));
    }
  }
  form.dataset.optimizer = kind;
  for (const label of form.querySelectorAll<HTMLElement>('[data-optimizers]')) label.hidden = !label.dataset.optimizers!.split(' ').includes(kind);
}

export function setField(form: HTMLFormElement, name: FieldName, value: string): void {
  input(form, name).value = value;
}

export function getField(form: HTMLFormElement, name: FieldName): string {
  return input(form, name).value;
}

export interface FormCheck {
  /** The configuration to run, or null while any field is invalid. */
  config: TrainConfig | null;
  /** Field -> what is wrong with it, including the valid range. */
  errors: Map<FieldName, string>;
}

export function checkForm(form: HTMLFormElement, extent: DataExtent): FormCheck {
  let partial = readConfig(form);
  const errors = new Map<FieldName, string>();
  try {
    partial.model = parseModel(getField(form, 'model'));
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    errors.set('model', humanise(err));
  }
  // validateConfig stops at the first problem: note it, put the recipe's value in its place and
  // ask again, until the rest passes.
  for (;;) {
    try {
      const config = validateConfig(partial, extent);
      return { config: errors.size ? null : config, errors };
    } catch (err) {
      const field = err instanceof ConfigError ? FIELDS[err.option as keyof typeof FIELDS] : undefined;
      if (!field || errors.has(field[0])) throw err;
      errors.set(field[0], humanise(err as ConfigError));
      partial = { ...partial, [field[0]]: NOTEBOOK_RECIPE[field[0]] };
    }
  }
}

/** Why the model's layers do not fit the data's samples (a convolution on a CSV's rows, pooling
 * past 1x1), as the model field's message; null when they fit. */
export function modelMisfit(config: TrainConfig, data: { inputShape: number[]; classes: number }): string | null {
  try {
    resolveNetwork(config.model, data.inputShape, data.classes, config.loss);
    return null;
  } catch (err) {
    if (err instanceof ConfigError) return humanise(err);
    throw err;
  }
}

/** "--batch must be at most ..." -> "must be at most ...", with other options by their labels. */
function humanise(err: ConfigError): string {
  return inPageWords(err.message.slice(err.option.length + 1), TRAIN_TAB_LABELS);
}

/** Marks each field in `errors` (aria-invalid and the message under it) and clears the others. */
export function showErrors(form: HTMLFormElement, errors: Map<FieldName, string>): void {
  for (const name of FIELD_NAMES) {
    const el = input(form, name);
    const message = errors.get(name);
    const note = form.querySelector<HTMLElement>(`[data-error-for="${name}"]`);
    el.setAttribute('aria-invalid', String(Boolean(message)));
    if (note) note.textContent = message ?? '';
  }
}
