// A run's checkpoint: one safetensors file with everything that continues it exactly. The
// weights keep PyTorch's names (fc1.weight ...), so the file still loads into the notebook's Net;
// the momentum velocities are `optimizer.<param>.momentum_buffer` (torch.optim.SGD's state name)
// and every step's loss is `history.step_losses`, names that load_state_dict(strict=False)
// reports as unexpected and ignores. The metadata holds the configuration (seed included: it
// draws every epoch's shuffle and augmentation salt), the epoch and step reached, the finished
// epochs' results, the data it trained on and the GPU kernels that ran.
import { mlpParamTensors, type Mlp } from '../reference/mlp.ts';
import { ConfigError, validateConfig, type TrainConfig } from './config.ts';
import { decodeSafetensors, encodeTensors, readSafetensors, safetensorsSizes, SafetensorsError, type NamedTensor } from './safetensors.ts';
import type { EpochRecord, TrainProgress } from './trainer.ts';

/** Written in the metadata; a file without it is weights, not a checkpoint. */
export const CHECKPOINT_FORMAT = 'webgpu-mnist-trainer checkpoint 1';

export interface TrainState {
  config: TrainConfig;
  weights: Mlp;
  /** Momentum velocities in state_dict order; null without momentum. */
  velocities: Float32Array[] | null;
  progress: TrainProgress;
  /** The data set it trains on (whole splits; the config's limits take their first images). */
  data: { source: string; train: number; test: number };
  /** The kernel variant of each matmul and bias-gradient problem the GPU trained with, by problem
   * (null on the CPU): a resumed GPU run uses them again, since another variant rounds
   * differently. */
  kernels: Record<string, string> | null;
}

const velocityName = (param: string) => `optimizer.${param}.momentum_buffer`;
const STEP_LOSSES = 'history.step_losses';

export function encodeCheckpoint(s: TrainState): Uint8Array {
  const params = mlpParamTensors(s.weights);
  const tensors: NamedTensor[] = [
    ...params,
    ...(s.velocities ?? []).map((v, i) => ({ name: velocityName(params[i].name), shape: params[i].shape, data: v })),
    { name: STEP_LOSSES, shape: [s.progress.stepLosses.length], data: Float32Array.from(s.progress.stepLosses) },
  ];
  const { stepLosses: _l, ...progress } = s.progress;
  return encodeTensors(tensors, {
    checkpoint: CHECKPOINT_FORMAT,
    config: JSON.stringify(s.config),
    progress: JSON.stringify(progress),
    data: JSON.stringify(s.data),
    kernels: s.kernels ? JSON.stringify(s.kernels) : '',
  });
}

const isCount = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;

/** Reads a checkpoint, checking everything that needs no data: the format, the configuration,
 * the tensors against it, and the progress's shape. checkFits then checks it against the data. */
export function decodeCheckpoint(bytes: Uint8Array, fileName: string): TrainState {
  const fail = (msg: string): never => {
    throw new SafetensorsError(`${fileName}: ${msg}`);
  };
  const file = readSafetensors(bytes, fileName);
  const meta = file.metadata;
  if (meta.checkpoint !== CHECKPOINT_FORMAT) {
    fail(meta.checkpoint ? `is a checkpoint of another format (${meta.checkpoint})` :
      'holds weights, not a checkpoint (it has no training state); start from it with --init instead');
  }
  const json = (key: string): unknown => {
    try {
      return JSON.parse(meta[key] ?? '');
    } catch {
      return fail(`metadata ${key} is not valid JSON`);
    }
  };
  const raw = json('config') as Partial<TrainConfig> | null;
  if (typeof raw !== 'object' || raw === null) return fail('metadata config is not an object');
  for (const key of ['shuffle', 'nesterov', 'divergenceStop'] as const) {
    if (typeof raw[key] !== 'boolean') fail(`metadata config.${key} must be true or false, got ${JSON.stringify(raw[key])}`);
  }
  let config: TrainConfig;
  try {
    config = validateConfig(raw);
  } catch (e) {
    if (e instanceof ConfigError) return fail(`metadata config: ${e.message}`);
    throw e;
  }
  const sizes = safetensorsSizes(bytes, fileName);
  if (sizes.slice(1, -1).join(',') !== config.hidden.join(',')) {
    fail(`its tensors are a ${sizes.join('-')} network, its config says hidden ${config.hidden.join(',')}`);
  }
  const weights = decodeSafetensors(bytes, sizes, fileName);
  const params = mlpParamTensors(weights);
  const velocities = config.momentum > 0 ? params.map((p) => file.f32(velocityName(p.name), p.shape, `momentum ${config.momentum}`)) : null;
  const stray = [...file.entries.keys()].filter((k) => k.startsWith('optimizer.') && !velocities);
  if (stray.length) fail(`holds ${stray[0]}, but its config has no momentum`);

  const p = json('progress') as Partial<TrainProgress> | null;
  if (!(p && isCount(p.epoch) && isCount(p.step) && isCount(p.epochCorrect) && Array.isArray(p.epochs))) {
    return fail('metadata progress must hold epoch, step and epochCorrect counts and an epochs list');
  }
  if (p.epoch > config.epochs || p.epochs.length !== p.epoch) {
    fail(`metadata progress is at epoch ${p.epoch} with ${p.epochs.length} finished epochs, of ${config.epochs}`);
  }
  p.epochs.forEach((e: Partial<EpochRecord>, i) => {
    // A run without a test split (a library fit without validation data) has null test numbers.
    const numberOrNull = (v: unknown) => typeof v === 'number' || v === null;
    if (e?.epoch !== i + 1 || typeof e.trainLoss !== 'number' || !numberOrNull(e.testLoss) || !numberOrNull(e.testAccuracy)) {
      fail(`metadata progress.epochs[${i}] is not the record of epoch ${i + 1}`);
    }
  });
  const lossCount = file.entries.get(STEP_LOSSES)?.shape[0] ?? 0;
  const stepLosses = Array.from(file.f32(STEP_LOSSES, [lossCount], 'a checkpoint'));
  const data = json('data') as TrainState['data'] | null;
  if (!(data && typeof data.source === 'string' && isCount(data.train) && isCount(data.test))) {
    return fail('metadata data must name the source and the train and test counts');
  }
  const kernels = meta.kernels ? json('kernels') : null;
  if (kernels !== null && !(typeof kernels === 'object' && Object.values(kernels).every((v) => typeof v === 'string'))) {
    fail('metadata kernels must map each problem to a variant name');
  }
  return {
    config, weights, velocities, data, kernels: kernels as Record<string, string> | null,
    progress: { epoch: p.epoch, step: p.step, epochCorrect: p.epochCorrect, stepLosses, epochs: p.epochs },
  };
}

/** Checks a checkpoint against the data a run would continue on: the same images, and a step
 * count that matches its losses. */
export function checkFits(s: TrainState, data: { source: string; train: number; test: number; inputSize: number }, fileName: string): void {
  const fail = (msg: string): never => {
    throw new SafetensorsError(`${fileName}: ${msg}`);
  };
  if (s.data.source !== data.source || s.data.train !== data.train || s.data.test !== data.test) {
    fail(`was trained on ${s.data.source} (${s.data.train} training / ${s.data.test} test images), this run's data is ` +
      `${data.source} (${data.train} / ${data.test}); give the same --data`);
  }
  if (s.weights.sizes[0] !== data.inputSize) fail(`takes ${s.weights.sizes[0]} inputs, the images have ${data.inputSize} pixels`);
  const stepsPerEpoch = Math.ceil((s.config.limitTrain ?? data.train) / s.config.batchSize);
  const { epoch, step, stepLosses } = s.progress;
  if (step >= stepsPerEpoch || (epoch === s.config.epochs && step > 0) || stepLosses.length !== epoch * stepsPerEpoch + step) {
    fail(`is at epoch ${epoch + 1}, step ${step} with ${stepLosses.length} step losses; an epoch here has ${stepsPerEpoch} steps`);
  }
}
