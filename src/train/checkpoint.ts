// A run's checkpoint: one safetensors file with everything that continues it exactly. The
// weights keep PyTorch's names (fc1.weight ...), so the file still loads into the notebook's Net;
// the optimizer's state is `optimizer.<param>.<name>` under torch.optim's state names (SGD's
// momentum_buffer; Adam's and AdamW's exp_avg, exp_avg_sq and the scalar step, as torch 1.13 keeps
// it) and every step's loss is `history.step_losses`, names that load_state_dict(strict=False)
// reports as unexpected and ignores. The metadata holds the configuration (seed included: it
// draws every epoch's shuffle and augmentation salt), the epoch and step reached, the finished
// epochs' results, the data it trained on and the GPU kernels that ran.
import {
  createOptimizerState, joinState, OPTIMIZER_TABLE, optimizerSettings, splitState, stateFloats, type OptimizerState,
} from '../model/optimizers.ts';
import { mlpParamTensors, type Mlp } from '../reference/mlp.ts';
import { denseWidths, elementCount, formatModel, resolveNetwork, type NetworkSpec, type ResolvedLayer } from '../model/spec.ts';
import { isPositiveInt } from './config-error.ts';
import { ConfigError, upgradeConfig, validateConfig, type TrainConfig } from './config.ts';
import {
  decodeSafetensors, encodeTensors, isClassNameList, metadataJson, readSafetensors, safetensorsSizes, SafetensorsError, type NamedTensor, type SafetensorsFile,
} from './safetensors.ts';
import type { EpochRecord, TrainProgress } from './trainer.ts';

/** Written in the metadata; a file without it is weights, not a checkpoint. Format 3 holds the
 * model as layer specs (config.model); format 2 added the optimizer (its config fields and Adam's
 * state). Older formats still load: their dense widths and activations become the model, and
 * validateConfig fills the optimizer fields format 1 lacks with SGD's defaults. */
export const CHECKPOINT_FORMAT = 'webgpu-mnist-trainer checkpoint 3';
const READABLE_FORMATS = [CHECKPOINT_FORMAT, 'webgpu-mnist-trainer checkpoint 2', 'webgpu-mnist-trainer checkpoint 1'];


export interface TrainState {
  config: TrainConfig;
  weights: Mlp;
  /** The optimizer's state (interleaved, state_dict order) and step count; null at the start. */
  optimizer: OptimizerState | null;
  progress: TrainProgress;
  /** The data set it trains on (whole splits; the config's limits take their first images), and
   * its contentHash (absent in checkpoints written before it was kept, and before a first fit);
   * classes: each class's name by index where the data named them (a CSV's labels), which an
   * ONNX export writes to its metadata (absent in checkpoints written before). */
  data: { source: string; train: number; test: number; hash?: string; classes?: string[] | null };
  /** The kernel variant of each matmul and bias-gradient problem the GPU trained with, by problem
   * (null on the CPU): a resumed GPU run uses them again, since another variant rounds
   * differently. */
  kernels: Record<string, string> | null;
}

const stateName = (param: string, name: string) => `optimizer.${param}.${name}`;
const STEP_LOSSES = 'history.step_losses';

export function encodeCheckpoint(s: TrainState): Uint8Array {
  const params = mlpParamTensors(s.weights);
  const tensors: NamedTensor[] = [
    ...params,
    ...optimizerTensors(s),
    { name: STEP_LOSSES, shape: [s.progress.stepLosses.length], data: Float32Array.from(s.progress.stepLosses) },
  ];
  const { stepLosses: _l, ...progress } = s.progress;
  return encodeTensors(tensors, {
    checkpoint: CHECKPOINT_FORMAT,
    config: JSON.stringify(s.config),
    progress: JSON.stringify(progress),
    data: JSON.stringify(s.data),
    kernels: s.kernels ? JSON.stringify(s.kernels) : '',
    input_shape: JSON.stringify(s.weights.inputShape),
  });
}

/** The layers a file's model (a checkpoint's config, a weights file's metadata) makes on its input
 * shape (written since convolutions; before, every network was dense and fc1.weight gives the
 * width) and its classes (its output layer's bias), checked against its tensors' shapes. */
export function fileNetwork(file: SafetensorsFile, bytes: Uint8Array, fileName: string, config: NetworkSpec, shape: unknown, fail: (msg: string) => never,
  whose = "its config's"): ResolvedLayer[] {
  if (shape !== null && !(Array.isArray(shape) && shape.length > 0 && shape.every(isPositiveInt))) {
    fail(`metadata input_shape must list one sample's dimensions, got ${JSON.stringify(shape)}`);
  }
  const inputShape = (shape as number[] | null) ?? [safetensorsSizes(bytes, fileName)[0]];
  const resolve = (classes: number) => {
    try {
      return resolveNetwork(config.model, inputShape, classes, config.loss);
    } catch (e) {
      if (e instanceof ConfigError) return fail(`${whose} model ${formatModel(config.model)} does not fit its input of shape [${inputShape.join(', ')}]: ${e.message}`);
      throw e;
    }
  };
  const outBias = `${resolve(1).at(-1)!.name}.bias`;
  const classes = file.entries.get(outBias)?.shape[0];
  if (!isPositiveInt(classes)) return fail(`has no ${outBias} tensor, the bias of the output layer ${whose} model ${formatModel(config.model)} ends with`);
  const layers = resolve(classes);
  const wanted = layers.flatMap((l) => l.params);
  const differs = wanted.find((p) => file.entries.get(p.name)?.shape.join() !== p.shape.join());
  if (differs && layers.every((l) => l.spec.type === 'dense')) {
    const sizes = safetensorsSizes(bytes, fileName);
    fail(`its tensors are a ${sizes.join('-')} network, ${whose} model ${formatModel(config.model)} makes ${denseWidths(layers).join('-')}`);
  }
  if (differs) {
    const held = file.entries.get(differs.name)?.shape;
    fail(`${whose} model ${formatModel(config.model)} needs ${differs.name} of shape [${differs.shape.join(', ')}], the file ${held ? `holds [${held.join(', ')}]` : 'has none'}`);
  }
  return layers;
}

/** The optimizer's state as torch.optim names it, for each parameter (state_dict order); before
 * the first step (no state yet) its zeros, which is where every optimizer starts. */
function optimizerTensors(s: TrainState): NamedTensor[] {
  const kind = s.config.optimizer;
  const row = OPTIMIZER_TABLE[kind];
  const params = mlpParamTensors(s.weights);
  const opt = s.optimizer ?? createOptimizerState(params.map((p) => p.data.length), optimizerSettings(s.config, s.config.lr));
  return params.flatMap((p, i) => [
    ...(opt.state ? [...splitState(kind, opt.state[i])].map(([name, data]) => ({ name: stateName(p.name, name), shape: p.shape, data })) : []),
    ...(row.countsSteps ? [{ name: stateName(p.name, 'step'), shape: [], data: Float32Array.of(opt.step) }] : []),
  ]);
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
  if (!READABLE_FORMATS.includes(meta.checkpoint ?? '')) {
    fail(meta.checkpoint ? `is a checkpoint of another format (${meta.checkpoint})` :
      'holds weights, not a checkpoint (it has no training state); start from it with --init instead');
  }
  const json = (key: string): unknown => metadataJson(meta, key, fail);
  const raw = json('config') as Partial<TrainConfig> | null;
  if (typeof raw !== 'object' || raw === null) return fail('metadata config is not an object');
  for (const key of ['shuffle', 'nesterov', 'divergenceStop'] as const) {
    if (typeof raw[key] !== 'boolean') fail(`metadata config.${key} must be true or false, got ${JSON.stringify(raw[key])}`);
  }
  let config: TrainConfig;
  try {
    config = validateConfig(upgradeConfig(raw));
  } catch (e) {
    if (e instanceof ConfigError) return fail(`metadata config: ${e.message}`);
    throw e;
  }
  const layers = fileNetwork(file, bytes, fileName, config, meta.input_shape ? json('input_shape') : null, fail);
  const weights = decodeSafetensors(bytes, layers, fileName);
  const params = mlpParamTensors(weights);

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
  const optimizer = readOptimizer(file, config, params, lossCount, fail);
  const data = json('data') as TrainState['data'] | null;
  if (!(data && typeof data.source === 'string' && isCount(data.train) && isCount(data.test) && (data.hash === undefined || /^[0-9a-f]{16}$/.test(data.hash)))) {
    return fail('metadata data must name the source, the train and test counts, and may give a 16-hex-digit content hash');
  }
  const classes: unknown = data.classes ?? null;
  const outputs = weights.sizes[weights.sizes.length - 1];
  // Given weights may have more outputs than the data has classes (see SessionOptions.init).
  if (classes !== null && !isClassNameList(classes, outputs)) {
    fail(`metadata data.classes must list the class names, at most one per output (${outputs}), got ${JSON.stringify(classes)}`);
  }
  const kernels = meta.kernels ? json('kernels') : null;
  if (kernels !== null && !(typeof kernels === 'object' && Object.values(kernels).every((v) => typeof v === 'string'))) {
    fail('metadata kernels must map each problem to a variant name');
  }
  return {
    config, weights, optimizer, data, kernels: kernels as Record<string, string> | null,
    progress: { epoch: p.epoch, step: p.step, epochCorrect: p.epochCorrect, stepLosses, epochs: p.epochs },
  };
}

/** The optimizer's tensors the config calls for, each required, and no others. Its step count is
 * the steps taken (one loss each); where torch keeps it (every parameter's `step`), the file must
 * agree. */
function readOptimizer(file: SafetensorsFile, config: TrainConfig, params: NamedTensor[], taken: number, fail: (msg: string) => never): OptimizerState {
  const row = OPTIMIZER_TABLE[config.optimizer];
  const S = stateFloats(optimizerSettings(config, config.lr));
  const needed = `${config.optimizer}${config.momentum ? ` with momentum ${config.momentum}` : ''}`;
  const names = new Set<string>();
  const named = (param: string, name: string) => {
    names.add(stateName(param, name));
    return stateName(param, name);
  };
  const state = S > 0 ? params.map((p) => joinState(row.stateNames.map((n) => file.f32(named(p.name, n), p.shape, needed)))) : null;
  const steps = row.countsSteps ? params.map((p) => file.f32(named(p.name, 'step'), [], needed)[0]) : [];
  const wrong = steps.find((t) => t !== taken);
  if (wrong !== undefined) fail(`its optimizer's step is ${wrong}, but it holds ${taken} step losses`);
  const stray = [...file.entries.keys()].find((k) => k.startsWith('optimizer.') && !names.has(k));
  if (stray) fail(`holds ${stray}, which its config's optimizer (${needed}) does not keep`);
  return { state, step: taken };
}

/** Checks a checkpoint against the data a run would continue on: the same images, and a step
 * count that matches its losses. */
export function checkFits(s: TrainState, data: { source: string; train: number; test: number; inputShape: number[]; hash: string }, fileName: string): void {
  const fail = (msg: string): never => {
    throw new SafetensorsError(`${fileName}: ${msg}`);
  };
  // By content where the checkpoint knows it: a moved or renamed copy is the same data, and a file
  // changed in place is not.
  if (s.data.hash !== undefined && s.data.hash !== data.hash) {
    fail(`was trained on data of content hash ${s.data.hash} (${s.data.source}: ${s.data.train} training / ${s.data.test} test samples), ` +
      `this run's data has ${data.hash} (${data.source}: ${data.train} / ${data.test}): the files changed, or are others; give the data it was trained on`);
  }
  if (s.data.hash === undefined && (s.data.source !== data.source || s.data.train !== data.train || s.data.test !== data.test)) {
    fail(`was trained on ${s.data.source} (${s.data.train} training / ${s.data.test} test samples), this run's data is ` +
      `${data.source} (${data.train} / ${data.test}); give the same --data`);
  }
  // A dense network reads any sample as its flat row; a convolution or pool needs the image's shape.
  const images = s.config.model.some((l) => l.type !== 'dense');
  const shape = (d: number[]) => (images ? d.join('x') : String(elementCount(d)));
  if (shape(s.weights.inputShape) !== shape(data.inputShape)) {
    fail(images ? `takes ${shape(s.weights.inputShape)} images, this run's data has samples of shape ${data.inputShape.join('x')}`
      : `takes ${s.weights.sizes[0]} inputs per sample, this run's data has ${elementCount(data.inputShape)}`);
  }
  const stepsPerEpoch = Math.ceil((s.config.limitTrain ?? data.train) / s.config.batchSize);
  const { epoch, step, stepLosses } = s.progress;
  if (step >= stepsPerEpoch || (epoch === s.config.epochs && step > 0) || stepLosses.length !== epoch * stepsPerEpoch + step) {
    fail(`is at epoch ${epoch + 1}, step ${step} with ${stepLosses.length} step losses; an epoch here has ${stepsPerEpoch} steps`);
  }
}
