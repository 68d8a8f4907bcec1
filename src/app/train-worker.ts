// The dashboard's training worker: the data (MNIST, or files the person loaded), the WebGPU device
// and the step loop live here, so the page only draws. It runs the same runSession as the CLI,
// pauses by holding the loop in an awaited event, keeps a checkpoint of every completed epoch (the
// CLI's --checkpoint format, optimizer state included), and after a lost device continues
// exactly from it. The latest checkpoint, mid-epoch ones included, is also kept in the browser's
// storage (run-store.ts), from which the next visit can continue the run exactly.
import { limitSplit } from '../data/batches.ts';
import { classCount, classMapping, contentHash, describeData, untrainedNote, type DataSet } from '../data/dataset.ts';
import { loadMnistFromUrl } from '../data/mnist.ts';
import { dataFromBytes, pickDataFiles } from '../data/sources.ts';
import { requestGpu, type GpuContext } from '../gpu/context.ts';
import { GpuDeviceError } from '../gpu/errors.ts';
import { initNetwork, MNIST_MLP_SIZES, mlpParamTensors, networkFor, notebookSpec, resolveMlp, sampleShape, type Mlp } from '../reference/mlp.ts';
import type { NetworkSpec } from '../model/spec.ts';
import { checkFits, decodeCheckpoint, encodeCheckpoint, type TrainState } from '../train/checkpoint.ts';
import { compareGpuWithCpu, resyncByDefault } from '../train/compare.ts';
import { TOLERANCES } from '../reference/tolerance.ts';
import { configLine, NOTEBOOK_RECIPE, type TrainConfig } from '../train/config.ts';
import { createGpuNoiseBackend, measureGradientNoise } from '../noise/measure.ts';
import type { PlannedRun } from '../sweep/plan.ts';
import { emptyResults, runSweep } from '../sweep/run.ts';
import { runSession, type Device } from '../train/session.ts';
import { startOfRun, testedEpoch } from '../train/trainer.ts';
import { KernelChooser } from '../gpu/kernel-choice.ts';
import { chooseStepKernels } from '../train/step.ts';
import { ToyGpuTrainer } from '../train/toy-gpu.ts';
import { confusionMatrix } from './confusion.ts';
import {
  DATA_HELD_BY_LOST_RUN, DATA_IN_USE, type DataInfo, type DroppedFile, type NoiseRequest, type PageMessage, type RunState, type StoredRunInfo, type ToyReply, type ToyRequest,
  type TrainRequest, type WorkerMessage,
} from './protocol.ts';
import { networkLine } from './model-files.ts';
import { refusalText, RunStore } from './run-store.ts';

/** Live predictions need fresh weights, but a read-back of 2 MB per chunk would slow fast GPUs. */
const WEIGHTS_EVERY_MS = 500;
/** A save at a read-back holds training while the state is read back and encoded: saves are spaced
 * so that this is at most this share of the time. */
const SAVE_SHARE = 0.05;

const post = (msg: WorkerMessage, transfer: Transferable[] = []) => self.postMessage(msg, { transfer });
const weightBuffers = (m: Mlp) => mlpParamTensors(m).map((t) => t.data.buffer);
const postWeights = (weights: Mlp, label: string, { model, loss }: NetworkSpec) =>
  post({ type: 'weights', weights, label, spec: { model, loss } }, weightBuffers(weights));
const setState = (state: RunState, message?: string) => post({ type: 'state', state, message });
const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

let data: DataSet | null = null;
/** The MNIST the page came with, kept to go back to after files of the person's own. */
let builtin: DataSet | null = null;
const STILL_LOADING = 'the data is still loading';
let busy = false;
let stopRequested = false;
let pauseRequested = false;
let releasePause: (() => void) | null = null;
/** The timed matmul trial (seconds on a CPU adapter) runs while the page loads; matmul.ts caches
 * its choice per adapter, so a run started after it skips the trial. */
let kernelsChosen: Promise<unknown> = Promise.resolve();
/** The run that can be resumed after a lost device: the checkpoint of its last whole epoch. */
let resumable: { request: TrainRequest; epochs: number; checkpoint: Uint8Array } | null = null;
/** The run in progress: its weights reader once the trainer exists, and its last read-back. */
let activeRun: { read: (() => Promise<Mlp>) | null; at: string } | null = null;
/** A noise measurement asked for while steps run waits for the next read-back, where the loop can
 * be held with no step in flight. */
let noiseWaiting: NoiseRequest | null = null;
/** The measurement in progress: a paused run resumed meanwhile waits for it. */
let noiseRunning: Promise<void> | null = null;
/** The browser's storage for the run; null where the browser refused it. */
let store: RunStore | null = null;
/** The run an earlier visit left in the store, offered until it is resumed, discarded or replaced. */
let stored: TrainState | null = null;
/** The page is going away: the next read-back saves. */
let saveNow = false;
/** A refused write is said once a run. */
let refusalSaid = false;
const KEPT = 'the run kept in this browser';

function storeRefused(err: unknown): void {
  if (refusalSaid) return;
  refusalSaid = true;
  post({ type: 'log', line: `storage: the browser refused to keep the run (${refusalText(err)}); training goes on, but a page reload will lose it` });
}

/** Keeps a run's checkpoint in the browser's storage. IndexedDB copies the bytes in this thread as
 * the write starts (at once, unless one is in flight) and stores them in the background. */
const keep = (bytes: Uint8Array): Promise<void> | null => store?.save(bytes) ?? null;

/** Says, once a run, what a save at a read-back costs: training waits `heldMs` (read-back, encoding,
 * IndexedDB's copy), and when the write was done. */
function sayCost(bytes: Uint8Array, heldMs: number, saved: Promise<void>, t0: number): void {
  void saved.then(() => !refusalSaid && post({
    type: 'log',
    line: `storage: the run is kept in this browser (IndexedDB) after every epoch and every few read-backs; this ${(bytes.length / 1e6).toFixed(2)} MB ` +
      `checkpoint held training ${heldMs.toFixed(0)} ms (read back, encode, copy) and was stored ${(performance.now() - t0).toFixed(0)} ms after the save began`,
  }));
}

async function train(request: TrainRequest, resume: TrainState | null): Promise<void> {
  const set = data;
  if (!set) return post({ type: 'error', message: STILL_LOADING });
  const { config } = request;
  const classes = classCount(set);
  busy = true;
  stopRequested = false;
  pauseRequested = false;
  setState('training');
  const trainCount = config.limitTrain ?? set.train.count;
  const run: NonNullable<typeof activeRun> = { read: null, at: '' };
  activeRun = run;
  let lastWeightsAt = 0;
  let deviceLost = false;
  /** The last save at a read-back: when it ended, and how long it held training. */
  const lastSave = { at: performance.now(), heldMs: 0, logged: false };
  let readState: (() => Promise<TrainState>) | null = null;
  refusalSaid = false;
  if (stored) {
    // A new run takes the store's place.
    stored = null;
    post({ type: 'stored-run', run: null });
  }
  // Throughput counts only time spent stepping: not pauses, weight read-backs or evaluation.
  let chunkStart = 0;
  let epochActiveMs = 0;
  let prevSamples = 0;
  let prevEpoch = 0;
  try {
    if (request.device === 'gpu') await kernelsChosen;
    const startEpoch = resume?.progress.epoch ?? 0;
    const start = resume ?? {
      config,
      weights: request.init ?? initNetwork(networkFor(set, config), config.seed),
      optimizer: null,
      progress: startOfRun(),
      data: { source: set.source, train: set.train.count, test: set.test.count },
      kernels: null,
    };
    resumable = { request, epochs: startEpoch, checkpoint: encodeCheckpoint(start) };
    void keep(resumable.checkpoint);
    if (!resume) {
      post({ type: 'log', line: configLine(config) });
      const note = untrainedNote(set);
      if (note) post({ type: 'log', line: note });
    }
    const { report, weights } = await runSession({
      config,
      device: request.device,
      data: set,
      resume: start,
      // After each epoch's onEpoch: encoded before the weights' buffers are transferred away.
      onCheckpoint: (state) => {
        resumable = { request, epochs: state.progress.epoch, checkpoint: encodeCheckpoint(state) };
        void keep(resumable.checkpoint);
        lastSave.at = performance.now();
        postWeights(state.weights, `after epoch ${state.progress.epoch}`, config);
        lastWeightsAt = chunkStart = performance.now();
      },
      // A device lost while paused must end the pause: the next read-back then throws.
      gpu: {
        onFatal: () => {
          deviceLost = true;
          releasePause?.();
        },
      },
      shouldStop: () => stopRequested,
      onReady: ({ adapter, kernels }) => {
        post({
          type: 'started', device: request.device, adapter, kernels, stepsPerEpoch: Math.ceil(trainCount / config.batchSize), startEpoch,
          startStep: start.progress.stepLosses.length,
        });
        chunkStart = performance.now();
      },
      onWeightsReader: (read) => (run.read = read),
      onStateReader: (read) => (readState = read),
      events: {
        onLog: (line) => post({ type: 'log', line }),
        onStepLosses: (firstStep, losses) => post({ type: 'steps', firstStep, losses: losses.slice() }),
        onProgress: async (p) => {
          const now = performance.now();
          if (p.epoch !== prevEpoch) {
            prevEpoch = p.epoch;
            prevSamples = 0;
            epochActiveMs = 0;
          }
          const samples = Math.min(p.stepInEpoch * config.batchSize, trainCount);
          epochActiveMs += now - chunkStart;
          post({
            type: 'progress',
            epoch: p.epoch,
            step: (p.epoch - 1) * p.stepsPerEpoch + p.stepInEpoch,
            stepInEpoch: p.stepInEpoch,
            stepsPerEpoch: p.stepsPerEpoch,
            samplesPerSec: ((samples - prevSamples) * 1000) / (now - chunkStart),
            loss: p.lastLoss,
          });
          prevSamples = samples;
          run.at = `epoch ${p.epoch}, step ${p.stepInEpoch}`;
          // A paused run is saved as it stands; at an epoch's last step the epoch's checkpoint
          // follows, once it is evaluated.
          if (store && readState && p.stepInEpoch < p.stepsPerEpoch && (pauseRequested || saveNow || now - lastSave.at >= lastSave.heldMs / SAVE_SHARE)) {
            saveNow = false;
            const state = await readState();
            const bytes = encodeCheckpoint(state);
            const saved = keep(bytes);
            lastSave.at = performance.now();
            lastSave.heldMs = lastSave.at - now;
            if (saved && !lastSave.logged) sayCost(bytes, lastSave.heldMs, saved, now);
            lastSave.logged = true;
            postWeights(state.weights, run.at, config);
            lastWeightsAt = lastSave.at;
          } else if (run.read && now - lastWeightsAt > WEIGHTS_EVERY_MS) {
            postWeights(await run.read(), run.at, config);
            lastWeightsAt = performance.now();
          }
          if (noiseWaiting && run.read) await startNoise(noiseWaiting, run.read, run.at);
          if (pauseRequested && !stopRequested) {
            setState('paused');
            await new Promise<void>((resolve) => (releasePause = resolve));
            releasePause = null;
            await noiseRunning;
            if (!stopRequested && !deviceLost) setState('training');
          }
          chunkStart = performance.now();
        },
        onEpoch: ({ predictions, ...r }) => {
          const result = testedEpoch(r);
          // testedEpoch vouches that the epoch was evaluated, so it has its predictions.
          const labels = set.test.labels.subarray(0, predictions!.length);
          post({ type: 'epoch', result, confusion: confusionMatrix(labels, predictions!, classes), samplesPerSec: (trainCount * 1000) / epochActiveMs });
        },
      },
    });
    const last = report.epochs.at(-1);
    const label = report.diverged ? 'last finite read-back' : report.stopped ? 'stopped run' : `after epoch ${last?.epoch}`;
    // Asked for after the last read-back: measured at the final weights, before they are sent away.
    if (noiseWaiting) await startNoise(noiseWaiting, async () => weights, label);
    postWeights(weights, label, config);
    resumable = null;
    void store?.clear();
    if (report.diverged) post({ type: 'finished', outcome: 'diverged', message: report.diverged });
    else if (report.stopped) post({ type: 'finished', outcome: 'stopped', message: 'Stopped. The charts and the model keep the last read-back.' });
    else post({ type: 'finished', outcome: 'done', message: `Done: epoch ${last?.epoch} of ${config.epochs}, test accuracy ${last && testedEpoch(last).testAccuracy.toFixed(2)}%.` });
    setState('idle');
  } catch (err) {
    if (err instanceof GpuDeviceError && resumable?.epochs === config.epochs) {
      // Lost while reading the final weights: the last epoch's snapshot is the finished model.
      post({ type: 'finished', outcome: 'done', message: `Done: all ${config.epochs} epochs (the device was lost afterwards).` });
      resumable = null;
      void store?.clear();
      setState('idle');
    } else if (err instanceof GpuDeviceError && resumable) {
      post({ type: 'log', line: `error: ${err.message}` });
      const from = resumable.epochs ? `the weights saved after epoch ${resumable.epochs}` : 'the starting weights';
      setState('lost', `The WebGPU device was lost (details in the log). Resume continues from ${from}, on the device chosen in the form.`);
    } else {
      resumable = null;
      void store?.clear();
      post({ type: 'error', message: errorText(err) });
      setState('idle');
    }
  } finally {
    busy = false;
    activeRun = null;
    if (noiseWaiting) {
      noiseWaiting = null;
      post({ type: 'noise-error', message: 'the run ended before its next read-back; measure again' });
    }
  }
}

/** Gradient noise at the weights `read` returns, on a device of its own, so the run's buffers and
 * batch order stay untouched. */
async function measureNoiseAt(request: NoiseRequest, read: () => Promise<Mlp>, label: string): Promise<void> {
  const t0 = performance.now();
  let ctx: GpuContext | null = null;
  try {
    if (!data) throw new Error(STILL_LOADING);
    const weights = await read();
    const { images, batchSizes, samples, seed } = request;
    // Rows per evaluation of G, as `npm run noise` takes them: enough to amortise a submit.
    const chunk = Math.min(images, Math.max(512, ...batchSizes));
    await kernelsChosen;
    ctx = await requestGpu();
    // Gradients only: no room for training steps.
    const backend = createGpuNoiseBackend(ctx, await KernelChooser.create(ctx), limitSplit(data.train, images), weights, { rows: chunk, steps: 0, order: 0 });
    const r = await measureGradientNoise(backend, { trainCount: images, batchSizes, samples, seed, chunk }, (line) => post({ type: 'noise-progress', line }));
    const seconds = (performance.now() - t0) / 1000;
    post({ type: 'noise-done', result: { weights: label, images, samples, fullLoss: r.full.loss, fullGradNormSq: r.normSq, rows: r.rows, seconds } });
  } catch (err) {
    post({ type: 'noise-error', message: errorText(err) });
  } finally {
    // The backend's buffers go with its device.
    ctx?.destroy();
  }
}

function startNoise(request: NoiseRequest, read: () => Promise<Mlp>, label: string): Promise<void> {
  noiseWaiting = null;
  noiseRunning = measureNoiseAt(request, read, label).finally(() => (noiseRunning = null));
  return noiseRunning;
}

function requestNoise(request: NoiseRequest): void {
  if (noiseRunning || noiseWaiting) return;
  if (activeRun) {
    // Paused: the loop waits in its pause with no step in flight, so the weights can be read now.
    if (releasePause && activeRun.read) void startNoise(request, activeRun.read, `${activeRun.at} (paused)`);
    else noiseWaiting = request;
  } else if (!busy && request.weights) {
    const { mlp, label } = request.weights;
    busy = true;
    void startNoise(request, async () => mlp, label).finally(() => (busy = false));
  } else {
    post({ type: 'noise-error', message: busy ? 'the GPU vs CPU check is running; measure when it has finished' : 'no model yet: train one or load a file' });
  }
}

async function compare(config: TrainConfig, steps: number): Promise<void> {
  if (!data) throw new Error(STILL_LOADING);
  busy = true;
  let ctx: GpuContext | null = null;
  try {
    await kernelsChosen;
    ctx = await requestGpu();
    const resync = resyncByDefault(config);
    const comparisons = await compareGpuWithCpu(ctx, { config, train: data.train, test: data.test, classNames: data.classNames, steps, resync }, (comparison) =>
      post({ type: 'compare-step', comparison, steps }),
    );
    post({ type: 'compare-done', comparisons, tolerance: { lossRtol: TOLERANCES.trainingLoss.rtol, paramAtol: TOLERANCES.trainingParams.atol }, resync });
  } finally {
    ctx?.destroy();
    busy = false;
  }
}

/** The Part 1 tab's GPU side: one device kept for the page's life, one trainer per start. Requests
 * run in order, each after the previous has answered. */
let toy: { ctx: GpuContext | null; trainer: ToyGpuTrainer | null; queue: Promise<void> } = { ctx: null, trainer: null, queue: Promise.resolve() };

async function toyReply(request: ToyRequest): Promise<ToyReply> {
  if (request.op === 'start') {
    toy.trainer?.destroy();
    toy.trainer = null;
    toy.ctx ??= await requestGpu({ onFatal: () => (toy = { ...toy, ctx: null, trainer: null }) });
    // The kernel choice of this adapter, timed once while the page loaded.
    await kernelsChosen;
    toy.trainer = await ToyGpuTrainer.create(toy.ctx, request.network, request.dataset, request.lr, await KernelChooser.create(toy.ctx));
    return { op: 'start', adapter: toy.ctx.adapter };
  }
  if (request.op === 'stop') {
    toy.trainer?.destroy();
    toy.trainer = null;
    return { op: 'stop' };
  }
  const trainer = toy.trainer;
  if (!trainer) throw new Error('the toy network was not started on the GPU (or its device was lost): start over');
  if (request.op === 'step') return { op: 'step', ...(await trainer.stepRow()) };
  const { epoch, error } = await trainer.finishEpoch();
  return { op: 'epoch', epoch, error, network: await trainer.readNetwork() };
}

function handleToy(id: number, request: ToyRequest): void {
  toy.queue = toy.queue.then(() =>
    toyReply(request).then(
      (reply) => post({ type: 'toy-reply', id, reply }),
      (err) => post({ type: 'toy-error', id, message: errorText(err) }),
    ),
  );
}

let sweepStop = false;

/** The Homework tab's sweep: the planned runs through the CLI's sweep loop and runSession, on one
 * GPU context (its pipelines compile once). */
async function sweep(plan: PlannedRun[], device: Device): Promise<void> {
  // The homework's question is the notebook's: tuning its MNIST network, whatever data the Train tab holds.
  const mnist = builtin;
  if (!mnist) return post({ type: 'sweep-done', ok: false, message: 'MNIST is still loading' });
  busy = true;
  sweepStop = false;
  let ctx: GpuContext | undefined;
  try {
    if (device === 'gpu') {
      await kernelsChosen;
      ctx = await requestGpu();
    }
    const stopped = new Error('stopped');
    await runSweep(plan, {
      run: async (r) => {
        const { report } = await runSession({ config: r.config, device, data: mnist, ctx, shouldStop: () => sweepStop });
        if (report.stopped) throw stopped;
        return report;
      },
    }, emptyResults(null), null, {
      log: (line) => post({ type: 'sweep-log', line }),
      persist: async (results) => post({ type: 'sweep-results', results }),
    }).then(
      () => post({ type: 'sweep-done', ok: true, message: `Done: ${plan.length} run${plan.length === 1 ? '' : 's'}.` }),
      (err) => {
        if (err !== stopped) throw err;
        post({ type: 'sweep-done', ok: true, message: 'Stopped; the finished runs are shown.' });
      },
    );
  } catch (err) {
    post({ type: 'sweep-done', ok: false, message: errorText(err) });
  } finally {
    ctx?.destroy();
    busy = false;
  }
}

function useData(d: DataSet): void {
  data = d;
  const info: DataInfo = {
    source: d.source,
    summary: describeData(d),
    mapping: classMapping(d),
    trainCount: d.train.count,
    testCount: d.test.count,
    width: d.train.width,
    classes: classCount(d),
    classNames: d.classNames,
    image: d.train.image,
    builtin: d === builtin,
  };
  post({ type: 'data', info });
  if (stored) offerStored(stored, d);
}

const trainedOn = (s: TrainState, d: DataSet) => s.data.source === d.source && s.data.train === d.train.count && s.data.test === d.test.count;

/** Offers the stored run to the page, or forgets it when it cannot continue on its own data. */
function offerStored(s: TrainState, d: DataSet): void {
  const sameData = trainedOn(s, d);
  if (sameData) {
    try {
      checkFits(s, { source: d.source, train: d.train.count, test: d.test.count, inputShape: sampleShape(d.train), hash: contentHash(d) }, KEPT);
    } catch (err) {
      return discardStored(`storage: ${errorText(err)}; it is discarded`);
    }
  }
  const { epoch, step } = s.progress;
  const run: StoredRunInfo = {
    config: s.config,
    network: networkLine(s.weights, s.config),
    source: builtin && s.data.source === builtin.source ? 'MNIST (built in)' : s.data.source,
    epoch,
    step,
    stepsPerEpoch: Math.ceil((s.config.limitTrain ?? s.data.train) / s.config.batchSize),
    otherData: sameData ? null : `it trained on ${s.data.source} (${s.data.train} training / ${s.data.test} test samples): load those files to resume it`,
  };
  post({ type: 'stored-run', run });
}

function discardStored(why?: string): void {
  stored = null;
  void store?.clear();
  if (why) post({ type: 'log', line: why });
  post({ type: 'stored-run', run: null });
}

/** Opens the browser's storage and reads the run an earlier visit left there. */
async function openStore(): Promise<void> {
  try {
    store = await RunStore.open(self.indexedDB, storeRefused);
  } catch (err) {
    return storeRefused(err);
  }
  try {
    const bytes = await store.load();
    if (bytes) stored = decodeCheckpoint(bytes, KEPT);
  } catch (err) {
    return discardStored(`storage: ${errorText(err)}; it is discarded`);
  }
  if (stored && data) offerStored(stored, data);
}

function resumeStored(device: Device): void {
  const s = stored;
  if (busy || !s || !data || !trainedOn(s, data)) return;
  post({ type: 'log', line: configLine(s.config) });
  post({ type: 'history', losses: Float32Array.from(s.progress.stepLosses), epochs: s.progress.epochs.map(testedEpoch) });
  void train({ config: s.config, device, init: null }, s);
}

/** Files of the person's own, checked as the CLI checks --data (the same loaders and messages). */
async function loadData(files: DroppedFile[] | null, labelColumn: string): Promise<void> {
  if (busy) return post({ type: 'data-error', message: DATA_IN_USE });
  if (resumable) return post({ type: 'data-error', message: DATA_HELD_BY_LOST_RUN });
  if (!files) return builtin ? useData(builtin) : post({ type: 'data-error', message: STILL_LOADING });
  try {
    const picked = pickDataFiles(files.map((f) => f.name), 'the selection');
    const byName = new Map(files.map((f) => [f.name, f]));
    const read = async (name: string) => ({ bytes: new Uint8Array(byName.get(name)!.bytes), name });
    const format = picked.format === 'csv' ? { format: 'csv' as const, labelColumn } : { format: 'idx' as const };
    const source = Object.values(picked.files).join(' + ');
    useData(await dataFromBytes(picked, read, format, source));
  } catch (err) {
    post({ type: 'data-error', message: errorText(err) });
  }
}

function resume(device: Device): void {
  if (releasePause) {
    pauseRequested = false;
    releasePause();
  } else if (resumable && !busy) {
    const { request, checkpoint } = resumable;
    void train({ ...request, device }, decodeCheckpoint(checkpoint, 'the last epoch\'s checkpoint'));
  }
}

async function init(mnistUrl: string): Promise<void> {
  setState('loading');
  const probe = requestGpu()
    .then((ctx) => {
      post({ type: 'gpu', adapter: ctx.adapter, kernels: null });
      // The recipe's shapes: its training batches and the test set's ragged last one.
      const R = NOTEBOOK_RECIPE;
      kernelsChosen = KernelChooser.create(ctx)
        .then(async (kernels) => {
          await chooseStepKernels(ctx, kernels, notebookSpec(MNIST_MLP_SIZES), resolveMlp(MNIST_MLP_SIZES), R.batchSize, [10000 % R.batchSize]);
          post({ type: 'gpu', adapter: ctx.adapter, kernels: kernels.summary() });
        })
        .catch(() => {}) // a run that needs the kernels will meet the same error and report it
        .finally(() => ctx.destroy());
    })
    .catch((err) => post({ type: 'gpu-unavailable', message: errorText(err) }));
  try {
    // The build ships MNIST as .gz only (see mnist-assets.ts); the dev server serves the plain files.
    builtin = await loadMnistFromUrl(mnistUrl, undefined, import.meta.env.PROD);
    useData(builtin);
  } catch (err) {
    post({ type: 'error', message: `MNIST did not load: ${errorText(err)}` });
  }
  await openStore();
  await probe;
  setState('idle');
}

self.onmessage = (ev: MessageEvent<PageMessage>) => {
  const msg = ev.data;
  switch (msg.type) {
    case 'init':
      void init(msg.mnistUrl);
      break;
    case 'load-data':
      void loadData(msg.files, msg.labelColumn);
      break;
    case 'train':
      if (!busy) void train(msg.request, null);
      break;
    case 'pause':
      pauseRequested = true;
      break;
    case 'resume':
      resume(msg.device);
      break;
    case 'stop':
      stopRequested = true;
      releasePause?.();
      if (!busy && resumable) {
        resumable = null;
        void store?.clear();
        setState('idle');
      }
      break;
    case 'resume-stored':
      resumeStored(msg.device);
      break;
    case 'discard-stored':
      if (stored) discardStored();
      break;
    case 'save-now':
      saveNow = true;
      break;
    case 'compare':
      if (!busy) compare(msg.config, msg.steps).catch((err) => post({ type: 'compare-error', message: errorText(err) }));
      break;
    case 'noise':
      requestNoise(msg.request);
      break;
    case 'toy':
      handleToy(msg.id, msg.request);
      break;
    case 'sweep':
      if (busy) post({ type: 'sweep-done', ok: false, message: 'a training run or check is using the worker; try again when it has finished' });
      else void sweep(msg.plan, msg.device);
      break;
    case 'sweep-stop':
      sweepStop = true;
      break;
  }
};
