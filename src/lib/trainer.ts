// The library's trainer: a network, its optimizer state and its place in training, kept between
// calls. Every fit is a run of the engine the commands use (runSession: the same trainers, epoch
// loop, divergence rule and checkpoints), continued from where the last one stopped, so a fit of
// the notebook's recipe gives `npm run train`'s per-step losses.
import { requestGpu, type AdapterSummary, type GpuContext } from '../gpu/context.ts';
import { MATMUL_VARIANTS, type MatmulVariant } from '../gpu/kernels/matmul.ts';
import { logSoftmaxNllCpu } from '../reference/kernels.ts';
import { initNetwork, mlpParamTensors, resolveWeights, type Mlp } from '../reference/mlp.ts';
import { denseWidths, resolveNetwork, type ResolvedLayer } from '../model/spec.ts';
import { decodeCheckpoint, encodeCheckpoint, type TrainState } from '../train/checkpoint.ts';
import { ConfigError, isPositiveInt, type TrainConfig } from '../train/config.ts';
import { checkHostMemory } from '../train/memory.ts';
import { decodeSafetensors, encodeModelFile, isClassNameList, readSafetensors, safetensorsSizes, SafetensorsError } from '../train/safetensors.ts';
import { evaluateSession, runSession } from '../train/session.ts';
import { startOfRun, type EpochRecord } from '../train/trainer.ts';
import { inputSplit, toSplit, type Dataset } from './dataset.ts';
import { DatasetError, shown, TrainerStateError, TrainingAbortedError } from './errors.ts';
import { refuseUnknownKeys } from '../train/config-error.ts';
import { readSavedModel } from '../export/saved-model.ts';
import { configFromOptions, libraryLayers, networkOf, optionsFromConfig, TRAINER_OPTION_KEYS, withLibraryNames, type Device, type TrainerOptions } from './options.ts';
import { chanceAccuracy, classCounts, nearChanceNote } from '../train/plateau.ts';

/** One step's batch loss, reported after each read-back (readbackEvery steps at a time). */
export interface StepInfo {
  /** 1-based, counted from the trainer's first fit (a loaded checkpoint's epochs included). */
  epoch: number;
  /** 0-based within the epoch. */
  step: number;
  loss: number;
}

/** An epoch's results: train loss and accuracy (%) over its steps, its time, and the validation
 * set's numbers (null without one): testLoss in the notebook's convention (the sum of batch
 * means over the count), meanTestLoss per sample, testAccuracy in %. */
export type EpochInfo = EpochRecord;

export interface FitOptions {
  /** Epochs to train, counting one that an aborted fit left unfinished. */
  epochs: number;
  /** Evaluated after every epoch (EpochInfo's test numbers). */
  validation?: Dataset;
  /** Stops training at the next read-back; fit then rejects with TrainingAbortedError. */
  signal?: AbortSignal;
  onStep?: (s: StepInfo) => void;
  /** Awaited: training waits for a returned promise. save() here returns this epoch's checkpoint. */
  onEpoch?: (e: EpochInfo) => void | Promise<void>;
  /** The notebook's printed lines (`Train Epoch: ...`, `[EPOCH:n] Test Loss: ...`). */
  onLog?: (line: string) => void;
}

export interface FitResult {
  /** Every step's batch loss, this call's steps in order. */
  stepLosses: number[];
  /** This call's completed epochs. */
  epochs: EpochInfo[];
  /** Training samples per second over those epochs (evaluation excluded); 0 without one. */
  samplesPerSec: number;
  /** Wall time of the call, set-up included. */
  seconds: number;
  /** When the last epoch's validation accuracy is near chance (that of always answering the most
   * common class), why that usually happens and what to try; null when it learned, or without
   * validation data. */
  note: string | null;
}

export interface Evaluation {
  /** Mean loss per sample. */
  loss: number;
  /** Percent correct. */
  accuracy: number;
  correct: number;
  count: number;
  /** Each sample's predicted class. */
  predictions: Uint8Array;
}

export interface Predictions {
  /** Each sample's most likely class. */
  classes: Uint8Array;
  /** (count, classes) row-major: the softmax of the outputs for the 'nll' loss; for 'squared' the
   * sigmoid outputs, each in [0, 1] and not summing to 1. */
  probabilities: Float32Array;
}

/** The trainer's configuration, as options (a loaded checkpoint's included). */
export type TrainerSettings = ReturnType<typeof optionsFromConfig> & { device: Device; matmul: MatmulVariant | null };

export interface Trainer {
  readonly layers: readonly number[];
  readonly settings: TrainerSettings;
  /** The WebGPU adapter; null on the CPU reference. */
  readonly adapter: AdapterSummary | null;
  /** Epochs completed since the first fit (a loaded checkpoint's included). */
  readonly epochsDone: number;
  fit(dataset: Dataset, options: FitOptions): Promise<FitResult>;
  evaluate(dataset: Dataset): Promise<Evaluation>;
  /** images: [count, layers[0]] row-major, as a Dataset's. */
  predict(images: Uint8Array | Float32Array): Promise<Predictions>;
  /** A checkpoint: the weights under PyTorch's names, the optimizer's state, every step's loss,
   * the configuration and the progress; loadTrainer continues from it exactly. It is the
   * `--checkpoint` file of `npm run train`. */
  save(): Uint8Array;
  /** The weights alone, as `npm run train -- --save` writes them (safetensors.torch.load_file
   * reads them into the notebook's Net), with the model, the loss, one sample's shape and a CSV
   * run's class names in the metadata, which `npm run export` and the inference entry read. */
  saveWeights(): Uint8Array;
  /** The network as an ONNX model (opset 17, standard operators) that ONNX Runtime runs, as
   * `npm run export -- --onnx` writes it: input 'input' (N, ...one sample's shape, as the data's,
   * pixels scaled to [0, 1]), outputs 'logits' and 'log_probs' (loss 'nll') or 'probabilities'
   * ('squared'). classNames (default: a loaded checkpoint's, of a CSV run) go to its metadata as
   * class_names. */
  exportOnnx(options?: { classNames?: readonly string[] }): Promise<Uint8Array>;
  /** The parameters in PyTorch's state_dict order (fc1.weight (out, in), fc1.bias, ...), copied. */
  parameters(): { name: string; shape: number[]; data: Float32Array }[];
  /** Ends the trainer: it cannot be used afterwards. (Its GPU buffers live only during a call; the
   * device is shared by the process's trainers.) */
  dispose(): void;
}

interface Start {
  /** A saved run to continue. */
  state?: TrainState;
  /** Starting weights (a weights file's). */
  init?: Mlp;
}

class LibraryTrainer implements Trainer {
  private state: TrainState | null;
  private init: Mlp | null;
  private busy: string | null = null;
  private disposed = false;

  constructor(
    private readonly config: TrainConfig,
    private readonly network: readonly ResolvedLayer[],
    private readonly device: Device,
    private readonly ctx: GpuContext | null,
    private readonly matmul: MatmulVariant | undefined,
    start: Start,
  ) {
    this.state = start.state ?? null;
    this.init = start.init ?? null;
  }

  get layers(): readonly number[] {
    return denseWidths(this.network);
  }

  get settings(): TrainerSettings {
    return { ...optionsFromConfig(this.config, this.network), device: this.device, matmul: this.matmul ?? null };
  }

  get adapter(): AdapterSummary | null {
    return this.ctx?.adapter ?? null;
  }

  get epochsDone(): number {
    return this.state?.progress.epoch ?? 0;
  }

  /** The run so far; before the first fit, its starting point. */
  private current(): TrainState {
    this.state ??= {
      config: this.config,
      weights: this.init ?? initNetwork(this.network, this.config.seed),
      optimizer: null,
      progress: startOfRun(),
      data: { source: 'none', train: 0, test: 0 },
      kernels: null,
    };
    this.init = null;
    return this.state;
  }

  /** Runs `body` as the trainer's only call in flight, with the engine's messages in library terms. */
  private async exclusive<T>(what: string, body: () => Promise<T>): Promise<T> {
    if (this.disposed) throw new TrainerStateError(`${what}: the trainer was disposed`);
    if (this.busy) throw new TrainerStateError(`${what}: a ${this.busy} is running on this trainer; await it first`);
    this.busy = what;
    try {
      return await body();
    } catch (e) {
      throw withLibraryNames(e);
    } finally {
      this.busy = null;
    }
  }

  fit(dataset: Dataset, options: FitOptions): Promise<FitResult> {
    return this.exclusive('fit', async () => {
      const { epochs, signal, onStep, onEpoch } = options ?? {};
      refuseUnknownKeys(options ?? {}, FIT_OPTION_KEYS, (key) => key);
      if (!isPositiveInt(epochs)) throw new ConfigError('epochs', `must be a positive integer, got ${shown(epochs)}`);
      const train = toSplit(dataset, 'dataset', this.network);
      const test = options.validation ? toSplit(options.validation, 'validation', this.network) : null;
      const prev = this.state;
      if (prev && prev.progress.step > 0 && train.count !== prev.data.train) {
        throw new DatasetError('dataset', `has ${train.count} samples, but the last fit stopped in epoch ${prev.progress.epoch + 1} of ` +
          `${prev.data.train} samples (at step ${prev.progress.step}): fit that dataset again to finish the epoch`);
      }
      const doneSteps = prev?.progress.stepLosses.length ?? 0;
      const doneEpochs = prev?.progress.epoch ?? 0;
      // The schedule spans every epoch fitted so far and this call's.
      const config = { ...this.config, epochs: doneEpochs + epochs };
      const stepsPerEpoch = Math.ceil(train.count / config.batchSize);
      const { report, state, divergence } = await runSession({
        config,
        device: this.device,
        data: { train, test, source: dataset.name ?? 'dataset', classNames: null },
        ctx: this.ctx ?? undefined,
        matmul: this.matmul,
        classes: this.layers[this.layers.length - 1],
        init: this.init,
        resume: prev && { ...prev, config },
        shouldStop: () => signal?.aborted ?? false,
        events: {
          onLog: options.onLog,
          onStepLosses: onStep && ((first, losses) => losses.forEach((loss, i) => {
            const g = first + i;
            onStep({ epoch: Math.floor(g / stepsPerEpoch) + 1, step: g % stepsPerEpoch, loss });
          })),
        },
        // Kept after every epoch, so that save() in onEpoch (or after an abort) has it.
        onCheckpoint: async (s) => {
          this.state = s;
          this.init = null;
          await onEpoch?.(s.progress.epochs[s.progress.epochs.length - 1]);
        },
      });
      this.state = state;
      this.init = null;
      const epochsRun = report.epochs.slice(doneEpochs);
      const trainSeconds = epochsRun.reduce((a, e) => a + e.trainSeconds, 0);
      const result: FitResult = {
        stepLosses: report.stepLosses.slice(doneSteps),
        epochs: epochsRun,
        samplesPerSec: trainSeconds > 0 ? (epochsRun.length * train.count) / trainSeconds : 0,
        seconds: report.totalSeconds,
        note: null,
      };
      const lastAccuracy = epochsRun.at(-1)?.testAccuracy;
      if (test && typeof lastAccuracy === 'number') {
        result.note = nearChanceNote({
          steps: report.stepLosses.length, testAccuracy: lastAccuracy, model: config.model, optimizer: config.optimizer,
          chance: chanceAccuracy(classCounts(test.labels, this.layers[this.layers.length - 1])), data: train.image ? 'images' : 'features',
        }, 'library');
      }
      if (divergence) throw divergence;
      if (report.stopped) throw new TrainingAbortedError(result);
      return result;
    });
  }

  evaluate(dataset: Dataset): Promise<Evaluation> {
    return this.exclusive('evaluate', async () => {
      const split = toSplit(dataset, 'dataset', this.network);
      const ev = await this.evaluateSplit(split, false);
      return { loss: ev.meanLoss, accuracy: ev.accuracy, correct: ev.correct, count: ev.count, predictions: ev.predictions };
    });
  }

  predict(images: Uint8Array | Float32Array): Promise<Predictions> {
    return this.exclusive('predict', async () => {
      const split = inputSplit(images, this.network);
      const ev = await this.evaluateSplit(split, true);
      const outputs = ev.outputs!;
      const C = this.layers[this.layers.length - 1];
      const probabilities = this.config.loss === 'nll' ? logSoftmaxNllCpu(outputs, split.labels, split.count, C).logProbs.map(Math.exp) : outputs;
      return { classes: ev.predictions, probabilities };
    });
  }

  private evaluateSplit(split: ReturnType<typeof toSplit>, keepOutputs: boolean) {
    const state = this.current();
    return evaluateSession({
      config: this.config, device: this.device, weights: state.weights, split, keepOutputs, matmul: this.matmul, pinned: state.kernels, ctx: this.ctx ?? undefined,
    });
  }

  save(): Uint8Array {
    this.checkUsable('save');
    return encodeCheckpoint(this.current());
  }

  saveWeights(): Uint8Array {
    this.checkUsable('saveWeights');
    const state = this.current();
    return encodeModelFile(state.weights, state.config, state.data.classes ?? null);
  }

  async exportOnnx(options: { classNames?: readonly string[] } = {}): Promise<Uint8Array> {
    this.checkUsable('exportOnnx');
    refuseUnknownKeys(options, ['classNames'], (key) => key);
    const state = this.current();
    const classNames = options.classNames ?? state.data.classes ?? null;
    const outputs = this.layers[this.layers.length - 1];
    if (classNames && !isClassNameList(classNames, outputs)) {
      throw new ConfigError('classNames', `must list the class names as strings, at most one per output (${outputs}), got ${shown(classNames)}`);
    }
    // Loaded when asked for: the ONNX schema is not needed to train.
    const { exportOnnx } = await import('../export/onnx.ts');
    return exportOnnx(state.weights, this.config, { classNames });
  }

  parameters(): { name: string; shape: number[]; data: Float32Array }[] {
    this.checkUsable('parameters');
    return mlpParamTensors(this.current().weights).map((t) => ({ name: t.name, shape: [...t.shape], data: t.data.slice() }));
  }

  dispose(): void {
    if (this.busy) throw new TrainerStateError(`dispose: a ${this.busy} is running on this trainer; abort or await it first`);
    // Its sessions freed their buffers when they ended; the device is the process's (libraryGpu).
    this.disposed = true;
  }

  private checkUsable(what: string): void {
    if (this.disposed) throw new TrainerStateError(`${what}: the trainer was disposed`);
  }
}

let sharedGpu: Promise<GpuContext> | null = null;

/** The WebGPU device every trainer of this process trains on: each fit and evaluation allocates
 * its buffers and frees them when it ends, so trainers need no device of their own, and a device
 * per trainer costs native memory that is not given back (measured in Node on SwiftShader: RSS grew
 * ~3.5 MB per create/fit/dispose cycle, 274 -> 360 MB over 15, against 284 -> 305 MB sharing one).
 * A lost device is replaced at the next createTrainer or loadTrainer. */
export async function libraryGpu(): Promise<GpuContext> {
  const ctx = await sharedGpu?.catch(() => null);
  if (ctx) {
    try {
      ctx.check();
      return ctx;
    } catch {
      ctx.destroy();
    }
  }
  sharedGpu = requestGpu();
  return sharedGpu;
}

/** Where the engine's steps run, and with which matmul; checked before a GPU is asked for. */
async function open(config: TrainConfig, network: readonly ResolvedLayer[], device: unknown, matmul: unknown, start: Start): Promise<Trainer> {
  if (device !== 'gpu' && device !== 'cpu') throw new ConfigError('device', `must be 'gpu' or 'cpu', got ${shown(device)}`);
  if (matmul !== undefined && matmul !== null && !(MATMUL_VARIANTS as readonly unknown[]).includes(matmul)) {
    throw new ConfigError('matmul', `must be one of ${MATMUL_VARIANTS.join(', ')} (or null for the timed choice), got ${shown(matmul)}`);
  }
  // Planned before any allocation, as the CLI does: a network that cannot fit is the typed error
  // naming the option, not a RangeError from the first Float32Array it asks for.
  const available = (await import('#node-gpu')).availableHostMemory();
  try {
    checkHostMemory(config, network, device, available);
  } catch (e) {
    throw withLibraryNames(e);
  }
  const ctx = device === 'gpu' ? await libraryGpu() : null;
  return new LibraryTrainer(config, network, device, ctx, (matmul ?? undefined) as MatmulVariant | undefined, start);
}

/** A new network with freshly initialised weights (PyTorch's U(-1/sqrt(fan_in), 1/sqrt(fan_in)),
 * drawn from `seed`). On 'gpu' it asks for a WebGPU device: GpuUnavailableError without one. */
export async function createTrainer(options: TrainerOptions): Promise<Trainer> {
  const config = configFromOptions(options);
  return open(config, networkOf(options, config), options.device ?? 'gpu', options.matmul, {});
}

export interface LoadOptions extends Omit<TrainerOptions, 'layers'> {
  /** Names the bytes in errors (default 'weights'). */
  name?: string;
}

const FIT_OPTION_KEYS = Object.keys({ epochs: 1, validation: 1, signal: 1, onStep: 1, onEpoch: 1, onLog: 1 } satisfies Record<keyof FitOptions, 1>);
const LOAD_OPTION_KEYS = [...TRAINER_OPTION_KEYS.filter((k) => k !== 'layers'), 'name'];

/** A trainer from a saved file: a checkpoint (save(), `npm run train -- --checkpoint`) continues
 * its run exactly, with its configuration (only device and matmul may be given); a weights file
 * (saveWeights(), `--save`, a PyTorch state_dict saved with safetensors) starts a new run from
 * those weights with `options` (the layers come from the file; the activations and loss too
 * where its metadata names them, as this project's files do). */
export async function loadTrainer(bytes: Uint8Array, options: LoadOptions = {}): Promise<Trainer> {
  refuseUnknownKeys(options, LOAD_OPTION_KEYS, (key) => key);
  const { name = 'weights', device = 'gpu', matmul, ...rest } = options;
  if (!(bytes instanceof Uint8Array)) throw new SafetensorsError(`${name}: must be a Uint8Array of a .safetensors file`);
  const metadata = readSafetensors(bytes, name).metadata;
  if (metadata.checkpoint === undefined && metadata.model !== undefined) {
    // A weights file of this project (saveWeights(), --save, the dashboard) names its model and
    // loss: it is read as that network, as the exporter and the inference entry read it.
    const given = (['activation', 'loss'] as const).find((k) => rest[k] !== undefined);
    if (given) throw new ConfigError(given, `cannot be given with ${name}, whose metadata names its model and loss (${metadata.model}, ${metadata.loss ?? 'nll'})`);
    const { weights, spec } = readSavedModel(bytes, name, { model: [], loss: 'nll' });
    const fileOptions = { ...rest, layers: libraryLayers(spec.model, resolveWeights(weights, spec)), loss: spec.loss };
    const config = configFromOptions(fileOptions);
    return open(config, networkOf(fileOptions, config), device, matmul, { init: weights });
  }
  if (metadata.checkpoint === undefined) {
    // A PyTorch state_dict names no layer types: it is read as the dense network its fc tensors make.
    const sizes = safetensorsSizes(bytes, name);
    const config = configFromOptions({ ...rest, layers: sizes });
    const network = resolveNetwork(config.model, [sizes[0]], sizes[sizes.length - 1], config.loss);
    return open(config, network, device, matmul, { init: decodeSafetensors(bytes, network, name) });
  }
  const fixed = Object.keys(rest).find((k) => (rest as Record<string, unknown>)[k] !== undefined);
  if (fixed) throw new ConfigError(fixed, `cannot be given with a checkpoint, which holds its configuration (only device and matmul may be chosen)`);
  const saved = decodeCheckpoint(bytes, name);
  // A command-line run may have trained on the first N samples (--limit-train): a library fit
  // trains on the dataset it is given, and the epoch in progress continues on one of N samples.
  const { limitTrain, limitTest, ...config } = saved.config;
  const state: TrainState = {
    ...saved,
    config: { ...config, limitTrain: null, limitTest: null },
    data: { ...saved.data, train: limitTrain ?? saved.data.train, test: limitTest ?? saved.data.test },
  };
  return open(state.config, resolveWeights(state.weights, state.config), device, matmul, { state });
}
