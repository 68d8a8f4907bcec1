// What a sweep runs: configurations of the notebook's architecture built from a grid of values
// and/or a list, each with a stable key so a finished run is recognised when the sweep resumes.
import { OPTIMIZERS } from '../model/optimizers.ts';
import { formatModel, parseModel } from '../model/spec.ts';
import { ConfigError, LR_SCHEDULES, NOTEBOOK_RECIPE, optimizerDefaults, validateConfig, type DataExtent, type TrainConfig } from '../train/config.ts';

/** The settings a sweep may vary, by the names used on the command line and in list files. */
export const SWEEP_KEYS = ['model', 'optimizer', 'lr', 'momentum', 'nesterov', 'batch', 'epochs', 'schedule', 'weight-decay', 'beta1', 'beta2', 'eps',
  'augment-shift', 'seed'] as const;
export type SweepKey = (typeof SWEEP_KEYS)[number];
export type SweepValue = number | boolean | string;
/** One configuration's settings that differ from the notebook's recipe. */
export type SweepPoint = Partial<Record<SweepKey, SweepValue>>;

export class SweepSpecError extends Error {
  override name = 'SweepSpecError';
}

const FIELD: Record<SweepKey, keyof TrainConfig> = {
  model: 'model',
  optimizer: 'optimizer',
  lr: 'lr',
  momentum: 'momentum',
  nesterov: 'nesterov',
  batch: 'batchSize',
  epochs: 'epochs',
  schedule: 'lrSchedule',
  'weight-decay': 'weightDecay',
  beta1: 'beta1',
  beta2: 'beta2',
  eps: 'eps',
  'augment-shift': 'augmentShift',
  seed: 'seed',
};

function parseValue(key: SweepKey, raw: SweepValue, where: string): SweepValue {
  // Kept as written by formatModel, so that equal models key equal runs.
  if (key === 'model') {
    if (typeof raw !== 'string') throw new SweepSpecError(`${where}: model must be a string such as "dense:128:relu", got ${JSON.stringify(raw)}`);
    try {
      return formatModel(parseModel(raw));
    } catch (e) {
      if (e instanceof ConfigError) throw new SweepSpecError(`${where}: ${e.message.replace(/^--model/, 'model')}`);
      throw e;
    }
  }
  for (const [choice, values] of [['schedule', LR_SCHEDULES], ['optimizer', OPTIMIZERS]] as const) {
    if (key !== choice) continue;
    if (typeof raw === 'string' && (values as readonly string[]).includes(raw)) return raw;
    throw new SweepSpecError(`${where}: ${key} must be one of ${values.join(', ')}, got ${JSON.stringify(raw)}`);
  }
  if (key === 'nesterov') {
    if (raw === true || raw === 'true') return true;
    if (raw === false || raw === 'false') return false;
    throw new SweepSpecError(`${where}: nesterov must be true or false, got ${JSON.stringify(raw)}`);
  }
  const n = typeof raw === 'number' ? raw : raw === '' || typeof raw === 'boolean' ? NaN : Number(raw);
  if (!Number.isFinite(n)) throw new SweepSpecError(`${where}: ${key} must be a number, got ${JSON.stringify(raw)}`);
  return n;
}

function asKey(name: string, where: string): SweepKey {
  if ((SWEEP_KEYS as readonly string[]).includes(name)) return name as SweepKey;
  throw new SweepSpecError(`${where}: unknown setting ${JSON.stringify(name)} (accepted: ${SWEEP_KEYS.join(', ')})`);
}

/** A setting's value as a sweep point holds it (a model as its --model text). */
const valueOf = (c: TrainConfig, k: SweepKey): SweepValue => (k === 'model' ? formatModel(c.model) : (c[FIELD[k]] as SweepValue));

/** The sweep settings of a configuration, e.g. to run another sweep's best ones again. */
export function pointOf(c: TrainConfig): SweepPoint {
  return Object.fromEntries(SWEEP_KEYS.filter((k) => k !== 'seed').map((k) => [k, valueOf(c, k)]));
}

/** `--grid lr=0.5,1,2` and friends: one axis per assignment, every value parsed. */
export function parseGrid(assignments: string[]): Map<SweepKey, SweepValue[]> {
  const axes = new Map<SweepKey, SweepValue[]>();
  for (const a of assignments) {
    const where = `--grid ${a}`;
    const eq = a.indexOf('=');
    if (eq <= 0 || eq === a.length - 1) throw new SweepSpecError(`${where}: expected key=value[,value...], e.g. lr=0.5,1,2`);
    const key = asKey(a.slice(0, eq).trim(), where);
    if (axes.has(key)) throw new SweepSpecError(`${where}: ${key} is given twice; list its values in one --grid`);
    // A model's layers are separated by commas already: its values by semicolons.
    axes.set(key, a.slice(eq + 1).split(key === 'model' ? ';' : ',').map((v) => parseValue(key, v.trim(), where)));
  }
  return axes;
}

/** A list file: a JSON array of objects such as {"lr": 2, "schedule": "cosine", "epochs": 20}. */
export function parseList(json: string, file: string): SweepPoint[] {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch (e) {
    throw new SweepSpecError(`--list ${file}: not valid JSON (${(e as Error).message})`);
  }
  if (!Array.isArray(data) || data.length === 0) {
    throw new SweepSpecError(`--list ${file}: expected a non-empty JSON array of configurations such as [{"lr": 2, "schedule": "cosine"}]`);
  }
  return data.map((entry, i) => {
    const where = `--list ${file}, entry ${i}`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new SweepSpecError(`${where}: expected an object`);
    const point: SweepPoint = {};
    for (const [name, raw] of Object.entries(entry as Record<string, unknown>)) {
      const key = asKey(name, where);
      if (typeof raw !== 'number' && typeof raw !== 'string' && typeof raw !== 'boolean') {
        throw new SweepSpecError(`${where}: ${key} must be a number, string or boolean`);
      }
      point[key] = parseValue(key, raw, where);
    }
    return point;
  });
}

/** Every list entry (or the recipe alone) crossed with every grid axis; a grid value overrides
 * the same setting in a list entry. */
export function expandPoints(list: SweepPoint[] | null, grid: Map<SweepKey, SweepValue[]>): SweepPoint[] {
  let points: SweepPoint[] = list ?? [{}];
  for (const [key, values] of grid) points = points.flatMap((p) => values.map((v) => ({ ...p, [key]: v })));
  return points;
}

export interface PlannedRun {
  /** Identifies the run in the results file: every setting that changes what is trained. */
  key: string;
  /** The same without the seed: the runs of one configuration over several seeds. */
  group: string;
  /** Short, for tables and legends: the settings that differ from the notebook's recipe. */
  label: string;
  config: TrainConfig;
}

/** Settings added after results were first written: in a run's key only when not at their
 * default, so the keys of earlier results (and their resumption) stay valid. */
const LATER_KEYS: readonly SweepKey[] = ['augment-shift', 'optimizer', 'beta1', 'beta2', 'eps', 'model'];

const describe = (c: TrainConfig, keys: readonly SweepKey[]) =>
  keys.map((k) => `${k}=${String(valueOf(c, k))}`).join(' ');
const isDefault = (c: TrainConfig, k: SweepKey) => valueOf(c, k) === valueOf(NOTEBOOK_RECIPE, k);

/** Validated configurations; `base` carries what the whole sweep shares (subset limits). */
export function planRuns(points: SweepPoint[], base: Partial<TrainConfig>, data?: DataExtent): PlannedRun[] {
  const runs = points.map((p, i) => {
    let partial: Partial<TrainConfig> = { ...base };
    for (const [k, v] of Object.entries(p) as [SweepKey, SweepValue][]) {
      (partial as Record<string, unknown>)[FIELD[k]] = k === 'model' ? parseModel(String(v)) : v;
    }
    // Adam's and AdamW's lr and weight decay where the point leaves them open, as on the CLI.
    if (partial.optimizer) partial = { ...optimizerDefaults(partial.optimizer), ...partial };
    let config: TrainConfig;
    try {
      config = validateConfig(partial, data);
    } catch (e) {
      if (e instanceof ConfigError) throw new SweepSpecError(`configuration ${i + 1} (${JSON.stringify(p)}): ${e.message}`);
      throw e;
    }
    const limits = [config.limitTrain === null ? '' : ` limit-train=${config.limitTrain}`, config.limitTest === null ? '' : ` limit-test=${config.limitTest}`].join('');
    const keyed = SWEEP_KEYS.filter((k) => k !== 'seed' && !(LATER_KEYS.includes(k) && isDefault(config, k)));
    const group = describe(config, keyed) + limits;
    const changed = SWEEP_KEYS.filter((k) => k !== 'seed' && !isDefault(config, k));
    return { key: `${group} seed=${config.seed}`, group, label: changed.length ? describe(config, changed) : 'notebook recipe', config };
  });
  const seen = new Set<string>();
  return runs.filter((r) => !seen.has(r.key) && seen.add(r.key));
}
