// The dashboard page: wires the form, the charts and the panels to the training worker. All
// training, data loading and GPU work happens in the worker; the page draws and runs the cheap CPU
// forward pass for the drawn digit.
import { notebookSpec, specFits, type Mlp } from '../reference/mlp.ts';
import { formatModel, MODEL_PRESETS, PRESET_ABOUT, type ModelSpec, type NetworkSpec } from '../model/spec.ts';
import { NOTEBOOK_RECIPE, type DataExtent, type TrainConfig } from '../train/config.ts';
import { chanceAccuracy, nearChanceNote } from '../train/plateau.ts';
import type { Device } from '../train/session.ts';
import { TrainingCharts } from './charts.ts';
import { checkForm, choosePreset, fillModelChoices, getField, modelMisfit, presetInForm, setField, showErrors, showOptimizerFields, TRAIN_TAB_LABELS, writeConfig, type FormCheck } from './config-form.ts';
import { renderComparison } from './compare-view.ts';
import { renderConfusion } from './confusion-view.ts';
import { DigitPanel } from './digit-panel.ts';
import { byId, element, formatCount, formatSeconds } from './dom.ts';
import { Homework } from './homework.ts';
import { downloadModel, downloadOnnx, networkLine, readModelFile, type DataShape } from './model-files.ts';
import { ModelCurves, modelLabel } from './model-curves.ts';
import { NoiseView, planNoise, type NoisePlan } from './noise-view.ts';
import { inPageWords } from './page-words.ts';
import { initPart1 } from './part1-tab.ts';
import { DATA_HELD_BY_LOST_RUN, DATA_IN_USE, type DataInfo, type DroppedFile, type EpochMessage, type PageMessage, type RunState, type StoredRunInfo, type WorkerMessage } from './protocol.ts';
import { RunClock } from './run-clock.ts';
import { addScrollCues } from './scroll-cue.ts';
import { showAdapter, showNoGpu } from './status-panel.ts';
import { initTabs } from './tabs.ts';
import { GpuToyClient } from './toy-lesson.ts';
import { clearCanvas } from './tiles.ts';
import { drawFirstLayer } from './weights-grid.ts';

const form = byId('config-form', HTMLFormElement);
fillModelChoices(form);
const fields = byId('config-fields', HTMLFieldSetElement);
const deviceSelect = byId('device', HTMLSelectElement);
const fromCurrent = byId('from-current', HTMLInputElement);
const buttons = {
  train: byId('train', HTMLButtonElement),
  pause: byId('pause', HTMLButtonElement),
  resume: byId('resume', HTMLButtonElement),
  stop: byId('stop', HTMLButtonElement),
  check: byId('check', HTMLButtonElement),
  download: byId('download', HTMLButtonElement),
  downloadOnnx: byId('download-onnx', HTMLButtonElement),
  noise: byId('noise', HTMLButtonElement),
};
const recipe = byId('recipe', HTMLButtonElement);
const presetButtons = [...form.querySelectorAll<HTMLButtonElement>('button[data-preset]')];
const loadFile = byId('load-file', HTMLInputElement);
const runStatus = byId('run-status');
const deviceStatus = byId('device-status');
const log = byId('log');
const metrics = { acc: byId('metric-acc'), epoch: byId('metric-epoch'), speed: byId('metric-speed'), eta: byId('metric-eta'), first: byId('metric-first') };
const runNote = byId('run-note');
const dataEls = {
  summary: byId('data-summary'),
  classes: byId('data-classes'),
  drop: byId('data-drop'),
  files: byId('data-files', HTMLInputElement),
  labelColumn: byId('label-column', HTMLInputElement),
  builtin: byId('data-builtin', HTMLButtonElement),
  message: byId('data-message'),
};
const storedEls = {
  banner: byId('stored-run'),
  text: byId('stored-run-text'),
  resume: byId('stored-resume', HTMLButtonElement),
  discard: byId('stored-discard', HTMLButtonElement),
};
const drawPanel = byId('draw-panel');
const weightsPanel = byId('weights-panel');

const charts = new TrainingCharts(byId('chart-loss'), byId('chart-epochs'), byId('chart-speed'));
const curves = new ModelCurves(byId('chart-models'));
const noise = {
  view: new NoiseView(byId('noise-chart'), byId('noise-table', HTMLTableElement), byId('noise-summary')),
  images: byId('noise-images', HTMLInputElement),
  samples: byId('noise-samples', HTMLInputElement),
  note: byId('noise-note'),
  progress: byId('noise-progress'),
  error: byId('noise-error'),
};
const digit = new DigitPanel({
  pad: byId('pad', HTMLCanvasElement),
  preview: byId('preview', HTMLCanvasElement),
  bars: byId('bars'),
  verdict: byId('prediction'),
  clear: byId('clear-pad', HTMLButtonElement),
  mapsPanel: byId('maps-panel'),
  maps: byId('feature-maps'),
});

const worker = new Worker(new URL('./train-worker.ts', import.meta.url), { type: 'module' });
const send = (msg: PageMessage, transfer: Transferable[] = []) => worker.postMessage(msg, transfer);
const toyClient = new GpuToyClient(send);
const lesson = initPart1(toyClient);
const toyDevice = byId('toy-device', HTMLSelectElement);
const homework = new Homework({
  // The homework's sweep trains the notebook's network on the built-in MNIST, whatever data is loaded.
  extent: () => mnistExtent,
  gpu: () => gpuAvailable,
  idle: () => state === 'idle' && !checking && !measuring,
  start: (plan) => {
    send({ type: 'sweep', plan, device: gpuAvailable ? 'gpu' : 'cpu' });
    refreshButtons();
  },
  stop: () => send({ type: 'sweep-stop' }),
});

let state: RunState = 'loading';
let gpuAvailable: boolean | null = null;
let extent: DataExtent | null = null;
let mnistExtent: DataExtent | null = null;
let dataInfo: DataInfo | null = null;
/** The files last loaded, to read again when the CSV label column changes. */
let lastFiles: File[] | null = null;
let formCheck: FormCheck = { config: null, errors: new Map() };
/** The current model, with the model spec and loss it computes with. */
let model: { mlp: Mlp; label: string; spec: NetworkSpec } | null = null;
let checking = false;
let measuring = false;
/** The run an earlier visit left in the browser's storage, offered until resumed or discarded. */
let storedRun: StoredRunInfo | null = null;
/** Dropped or chosen files are being read and checked: until the worker has them, Train would
 * run on the data in use before them. */
let readingData = false;
/** The run being shown: its plan, when Train (or Resume after a lost device) was pressed, its
 * clock (for the ETA), where it started and how far it got. */
let run: {
  epochs: number;
  requestedAt: number;
  firstPointSeen: boolean;
  clock: RunClock;
  startStep: number;
  stepsPerEpoch: number;
  steps: number;
  accuracy: number;
  /** The test set's majority-class accuracy (%), from the last epoch's confusion matrix. */
  chance: number;
  model: ModelSpec;
  optimizer: string;
} | null = null;

/** On a CPU-emulated adapter or the CPU reference a step takes tens of milliseconds and a read-back
 * a few: reading back every 10 steps instead of the recipe's 50 keeps the charts moving. */
const SLOW_DEVICE_READBACK = 10;
let slowDevice = false;

function writeRecipe(): void {
  writeConfig(form, slowDevice ? { ...NOTEBOOK_RECIPE, readbackEvery: SLOW_DEVICE_READBACK } : NOTEBOOK_RECIPE);
}

/** Once the device turns out slow, lowers the read-back interval unless the person changed it. */
function noteSlowDevice(): void {
  slowDevice = true;
  if (getField(form, 'readbackEvery') === String(NOTEBOOK_RECIPE.readbackEvery)) setField(form, 'readbackEvery', String(SLOW_DEVICE_READBACK));
  revalidate();
}

function setStatus(text: string, kind: 'info' | 'error' | 'ok' = 'info'): void {
  runStatus.textContent = text;
  runStatus.dataset.kind = kind;
}

function appendLog(line: string): void {
  log.textContent += line + '\n';
  log.scrollTop = log.scrollHeight;
}

function revalidate(): void {
  showOptimizerFields(form);
  showPresetChoice();
  formCheck = checkForm(form, extent ?? { trainCount: 60_000, testCount: 10_000 });
  const misfit = formCheck.config && dataInfo ? modelMisfit(formCheck.config, dataShape(dataInfo)) : null;
  if (misfit) formCheck = { config: null, errors: new Map(formCheck.errors).set('model', misfit) };
  const { config } = formCheck;
  // Starting from the current model needs the configured network to be that model's shape.
  const fromErr = fromCurrent.checked && model && config && formatModel(model.spec.model) !== formatModel(config.model)
    ? `the current model is ${formatModel(model.spec.model)}: set it, or untick this`
    : '';
  byId('from-current-error').textContent = fromErr;
  if (fromErr) formCheck = { ...formCheck, config: null };
  showErrors(form, formCheck.errors);
  noise.images.max = String(noiseSubset());
  noise.note.textContent = noisePlan().note;
  refreshButtons();
}

/** Which Network button the model field matches, and what it is. */
function showPresetChoice(): void {
  const preset = presetInForm(form);
  for (const button of presetButtons) button.setAttribute('aria-pressed', String(button.dataset.preset === preset));
  byId('model-choice-note').textContent = preset ? `${PRESET_ABOUT[preset]}: ${MODEL_PRESETS[preset]}` : 'your own layers (edit the Model field)';
}

/** The training subset of the form (during a run: the run's), which the noise measurement draws from. */
function noiseSubset(): number {
  return formCheck.config?.limitTrain ?? extent?.trainCount ?? 60_000;
}

function noisePlan(): NoisePlan {
  return planNoise(noiseSubset(), noise.images.value, noise.samples.value);
}

function refreshButtons(): void {
  const running = state === 'training' || state === 'paused';
  const sweeping = homework.isRunning;
  buttons.train.disabled = !(extent && (state === 'idle' || state === 'lost') && formCheck.config && !checking && !measuring && !sweeping && !readingData);
  buttons.pause.disabled = state !== 'training';
  // The worker restarts a lost run only when nothing else holds it.
  buttons.resume.disabled = !(state === 'paused' || (state === 'lost' && !measuring));
  buttons.stop.disabled = !(running || state === 'lost');
  buttons.check.disabled = !(gpuAvailable && extent && state === 'idle' && formCheck.config && !checking && !measuring && !sweeping && !readingData);
  // A run's own weights, else the current model (a finished run's, or a loaded file).
  // The measurement's GPU backend builds dense networks only.
  const denseOnly = !(running ? run?.model : model?.spec.model)?.some((l) => l.type !== 'dense');
  buttons.noise.disabled = !(gpuAvailable && extent && !checking && !measuring && !sweeping && !readingData && (running || model) && noisePlan().batchSizes.length && denseOnly);
  buttons.noise.title = denseOnly ? '' : 'measures dense networks (the MLP) only, not a CNN yet';
  buttons.download.disabled = !model;
  buttons.downloadOnnx.disabled = !model;
  storedEls.resume.disabled = !(storedRun && !storedRun.otherData && state === 'idle' && !checking && !measuring && !sweeping && !readingData);
  fields.disabled = running;
  recipe.disabled = running;
  loadFile.disabled = running;
  // The worker refuses new data while anything uses it, or a lost run could still resume on it.
  const dataBusy = running || checking || measuring || sweeping || readingData || state === 'loading' || state === 'lost';
  for (const el of [dataEls.files, dataEls.labelColumn, dataEls.builtin]) el.disabled = dataBusy;
  dataEls.drop.classList.toggle('disabled', dataBusy);
  fromCurrent.disabled = running || !model;
  homework.refresh();
}

function setModel(mlp: Mlp, label: string, spec: NetworkSpec): void {
  model = { mlp, label, spec };
  digit.setModel(model);
  if (dataInfo?.image) showFirstLayer(mlp, dataInfo.image);
  byId('weights-caption').textContent = `(${label})`;
  byId('model-name').textContent = `Current model: ${networkLine(mlp, spec)}, ${label}.`;
  refreshButtons();
}

/** The first layer's weights as images, with the note that says what a tile is. */
function showFirstLayer(mlp: Mlp, image: { rows: number; cols: number }): void {
  const canvas = byId('weights', HTMLCanvasElement);
  const view = drawFirstLayer(canvas, mlp, image);
  if (!view) clearCanvas(canvas);
  byId('weights-note').textContent = view?.kind === 'conv'
    ? `Each tile: one of ${view.name}'s ${view.count} filters, its ${view.kernel}x${view.kernel} weights, which it slides over the image; red positive, blue negative.`
    : denseTileNote(view?.name ?? 'fc1', image);
}

const denseTileNote = (layer: string, image: { rows: number; cols: number }) =>
  `Each tile: one ${layer} neuron's ${formatCount(image.rows * image.cols)} weights as a ${image.rows}x${image.cols} image; red positive, blue negative.`;

function clearModel(): void {
  model = null;
  digit.setModel(null);
  clearCanvas(byId('weights', HTMLCanvasElement));
  byId('weights-caption').textContent = '';
  byId('model-name').textContent = 'No model yet.';
  fromCurrent.checked = false;
}

/** The data the worker now trains on: what it is, and the panels sized (or hidden) for it. */
function showData(info: DataInfo): void {
  dataInfo = info;
  extent = { trainCount: info.trainCount, testCount: info.testCount, images: info.image !== null };
  if (info.builtin) mnistExtent = extent;
  dataEls.summary.textContent = dataLine(info);
  dataEls.classes.textContent = info.mapping ? `Classes: ${info.mapping}.` : '';
  dataEls.builtin.hidden = info.builtin;
  dataEls.message.textContent = '';
  setPlaceholder('limitTrain', `all ${formatCount(info.trainCount)}`);
  setPlaceholder('limitTest', `all ${formatCount(info.testCount)}`);
  // Drawing is preprocessed as MNIST's digits were made: 28x28, ten classes.
  drawPanel.hidden = !(info.image?.rows === 28 && info.image.cols === 28 && info.classes === 10);
  weightsPanel.hidden = !info.image;
  if (info.image) byId('weights-note').textContent = denseTileNote('fc1', info.image);
  // Accuracies on other data do not compare with these.
  curves.clear();
  // A model of other data (another input width or class count, or for a CNN other images) cannot
  // run on this; a dense one reads any sample as its row of values.
  const otherImages = model?.spec.model.some((l) => l.type !== 'dense') && model.mlp.inputShape.join() !== dataShape(info).inputShape.join();
  if (model && (model.mlp.sizes[0] !== info.width || model.mlp.sizes.at(-1) !== info.classes || otherImages)) clearModel();
  else if (model) setModel(model.mlp, model.label, model.spec);
  resetRunViews();
  appendLog(`data: ${info.source}: ${info.summary}`);
  if (info.mapping) appendLog(`classes: ${info.mapping}`);
  revalidate();
}

/** One sample's shape, as the worker's sampleShape gives it, and the classes. */
const dataShape = (info: DataInfo): DataShape => ({ inputShape: info.image ? [1, info.image.rows, info.image.cols] : [info.width], classes: info.classes });

const dataLine = (info: DataInfo) => `${info.builtin ? 'MNIST (built in)' : info.source}: ${info.summary}.`;

/** A loader's message (the CLI's checks, the page's field names) under the drop area; the data in
 * use stays. */
function showDataError(cliMessage: string): void {
  const message = inPageWords(cliMessage, TRAIN_TAB_LABELS);
  if (dataInfo) dataEls.summary.textContent = dataLine(dataInfo);
  dataEls.message.textContent = `Not loaded: ${message.replace(/\.$/, '')}. The data in use is unchanged.`;
  appendLog(`error: ${message}`);
}

function setPlaceholder(name: string, text: string): void {
  const el = form.elements.namedItem(name);
  if (el instanceof HTMLInputElement) el.placeholder = text;
}

/** The page reads one selection at a time. */
const DATA_BEING_READ = 'the files dropped before are still being read: wait for them, then drop again';

/** Sends files to the worker, which checks them as the CLI checks --data. */
async function loadDataFiles(files: File[]): Promise<void> {
  if (files.length === 0) return;
  if (dataEls.files.disabled) {
    showDataError(readingData ? DATA_BEING_READ : state === 'lost' ? DATA_HELD_BY_LOST_RUN : DATA_IN_USE);
    return;
  }
  lastFiles = files;
  readingData = true;
  refreshButtons();
  dataEls.message.textContent = '';
  dataEls.summary.textContent = `Reading ${files.map((f) => f.name).join(', ')}…`;
  let read: DroppedFile[];
  try {
    read = await Promise.all(files.map(async (f) => ({ name: f.name, bytes: await f.arrayBuffer() })));
  } catch (err) {
    dataRead();
    showDataError(`the files could not be read: ${(err as Error).message}`);
    return;
  }
  // The worker answers with 'data' or 'data-error', which end the reading.
  send({ type: 'load-data', files: read, labelColumn: dataEls.labelColumn.value.trim() }, read.map((f) => f.bytes));
}

function dataRead(): void {
  readingData = false;
  refreshButtons();
}

function resetRunViews(): void {
  charts.truncate(0, 1);
  byId('epochs').replaceChildren();
  byId('confusion', HTMLTableElement).replaceChildren();
  byId('confusion-caption').textContent = 'after the first epoch';
  for (const m of Object.values(metrics)) {
    m.textContent = '–';
    delete m.dataset.value;
  }
  runNote.textContent = '';
}

function showEpoch(e: EpochMessage): void {
  addEpoch(e.result, e.samplesPerSec);
  const classes = dataInfo?.classes ?? 10;
  renderConfusion(byId('confusion', HTMLTableElement), e.confusion, classes, dataInfo?.classNames);
  // Its rows are the true classes: their sums, each class's number of test samples.
  if (run) run.chance = chanceAccuracy(Array.from({ length: classes }, (_, t) => e.confusion.slice(t * classes, (t + 1) * classes).reduce((a, b) => a + b, 0)));
  byId('confusion-caption').textContent = `after epoch ${e.result.epoch}, ${formatCount(e.confusion.reduce((a, b) => a + b, 0))} test samples`;
}

/** An epoch on the charts, in the table and in the accuracy metric. */
function addEpoch(r: EpochMessage['result'], samplesPerSec: number): void {
  charts.addEpoch(r.epoch, r.trainLoss, r.meanTestLoss, r.trainAccuracy, r.testAccuracy);
  const row = element('tr');
  row.dataset.epoch = String(r.epoch);
  for (const cell of [
    String(r.epoch), String(r.lr), r.trainLoss.toFixed(4), `${r.trainAccuracy.toFixed(2)}%`, r.testLoss.toFixed(4),
    r.meanTestLoss.toFixed(4), `${r.testAccuracy.toFixed(2)}%`, formatCount(samplesPerSec), formatSeconds(r.trainSeconds),
  ]) row.append(element('td', cell));
  byId('epochs').append(row);
  metrics.acc.textContent = `${r.testAccuracy.toFixed(2)}%`;
  metrics.acc.dataset.value = String(r.testAccuracy);
  metrics.speed.textContent = formatCount(samplesPerSec);
  if (run) {
    run.accuracy = r.testAccuracy;
    curves.add(modelLabel(run.model), r.epoch, r.testAccuracy);
  }
}

function showStoredRun(info: StoredRunInfo | null): void {
  storedRun = info;
  storedEls.banner.hidden = !info;
  if (info) {
    const c = info.config;
    const at = info.epoch === c.epochs ? `after its last epoch` : `at epoch ${info.epoch + 1}, step ${info.step} of ${info.stepsPerEpoch}`;
    storedEls.text.textContent = `A run of ${info.network} ${formatModel(c.model)} (${c.optimizer}, lr ${c.lr}, batch ${c.batchSize}, ${c.epochs} epoch${c.epochs === 1 ? '' : 's'}` +
      `${c.limitTrain ? `, ${formatCount(c.limitTrain)} training samples` : ''}) on ${info.source} stopped ${at}${info.otherData ? `; ${info.otherData}` : ''}.`;
  }
  refreshButtons();
}

/** Starts showing a run the worker is about to start or continue. */
function beginRun(config: TrainConfig): void {
  run = { epochs: config.epochs, requestedAt: performance.now(), firstPointSeen: false, clock: new RunClock(), startStep: 0, stepsPerEpoch: 0, steps: 0, accuracy: NaN, chance: NaN, model: config.model, optimizer: config.optimizer };
}

worker.onmessage = (ev: MessageEvent<WorkerMessage>) => {
  const msg = ev.data;
  switch (msg.type) {
    case 'data':
      readingData = false;
      showData(msg.info);
      break;
    case 'data-error':
      dataRead();
      showDataError(msg.message);
      break;
    case 'gpu':
      if (gpuAvailable !== true) lesson.setGpu(true);
      gpuAvailable = true;
      showAdapter(deviceStatus, msg.adapter, msg.kernels);
      if (msg.adapter.isFallbackAdapter && !slowDevice) noteSlowDevice();
      refreshButtons();
      break;
    case 'gpu-unavailable':
      gpuAvailable = false;
      showNoGpu(deviceStatus, msg.message);
      deviceSelect.value = 'cpu';
      deviceSelect.options[0].disabled = true;
      toyDevice.value = 'cpu';
      toyDevice.options[0].disabled = true;
      lesson.setGpu(false, msg.message);
      noise.progress.textContent = 'needs WebGPU';
      noteSlowDevice();
      break;
    case 'state': {
      const previous = state;
      state = msg.state;
      if (msg.state === 'lost') {
        run?.clock.pause();
        setStatus(msg.message ?? 'The device was lost.', 'error');
      } else if (msg.state === 'paused') {
        run?.clock.pause();
        setStatus('Paused. Resume continues with the next step.');
      } else if (msg.state === 'training') {
        run?.clock.run();
        setStatus(previous === 'paused' ? 'Training…' : 'Starting: preparing the data and the kernels…');
      } else if (msg.state === 'loading') setStatus('Loading MNIST and looking for a WebGPU adapter…');
      // Idle after loading: the worker has its data and has heard from the adapter (found or
      // not) before it says so. After a run, the finish or error message stays.
      else if (previous === 'loading' && runStatus.dataset.kind !== 'error') setStatus('Ready: choose the settings and press Train.');
      refreshButtons();
      break;
    }
    case 'started': {
      if (run) {
        run.clock = new RunClock();
        run.clock.run();
        run.startStep = run.steps = msg.startStep;
        run.stepsPerEpoch = msg.stepsPerEpoch;
      }
      if (run) curves.start(modelLabel(run.model), msg.startStep === 0 ? 0 : msg.startEpoch);
      if (msg.startStep === 0) resetRunViews();
      else {
        // Resumed after a lost device: what came after the snapshot is replaced by the new run.
        charts.truncate(msg.startStep, msg.startEpoch + 1);
        byId('epochs').querySelectorAll('tr').forEach((tr) => {
          if (Number(tr.dataset.epoch) > msg.startEpoch) tr.remove();
        });
      }
      if (msg.adapter) showAdapter(deviceStatus, msg.adapter, msg.kernels);
      const stepInEpoch = msg.startStep - msg.startEpoch * msg.stepsPerEpoch;
      const from = msg.startStep === 0 ? 'started' : stepInEpoch ? `resumed at epoch ${msg.startEpoch + 1}, step ${stepInEpoch}` : `resumed after epoch ${msg.startEpoch}`;
      appendLog(`— ${from} on ${msg.device === 'gpu' ? 'WebGPU' : 'the CPU reference'}` +
        `${run ? `, set up in ${formatSeconds((performance.now() - run.requestedAt) / 1000)}` : ''} —`);
      break;
    }
    case 'stored-run':
      showStoredRun(msg.run);
      break;
    case 'history':
      resetRunViews();
      charts.addSteps(0, msg.losses);
      for (const r of msg.epochs) addEpoch(r, r.samplesPerSec);
      break;
    case 'log':
      appendLog(msg.line);
      break;
    case 'steps':
      charts.addSteps(msg.firstStep, msg.losses);
      if (run && !run.firstPointSeen) {
        run.firstPointSeen = true;
        const s = (performance.now() - run.requestedAt) / 1000;
        metrics.first.textContent = formatSeconds(s);
        metrics.first.dataset.value = s.toFixed(2);
      }
      break;
    case 'progress': {
      charts.addSpeed(msg.step, msg.samplesPerSec);
      metrics.epoch.textContent = `${msg.epoch} / ${run?.epochs ?? '?'}`;
      let eta = '';
      if (run) {
        run.steps = msg.step;
        const left = run.clock.etaSeconds(msg.step - run.startStep, run.epochs * run.stepsPerEpoch - run.startStep);
        if (left !== null) {
          metrics.eta.textContent = formatSeconds(left);
          metrics.eta.dataset.value = left.toFixed(1);
          eta = ` · about ${formatSeconds(left)} left`;
        }
      }
      if (state === 'training') {
        setStatus(`Epoch ${msg.epoch}, step ${msg.stepInEpoch} of ${msg.stepsPerEpoch} · loss ${msg.loss.toFixed(4)} · ${formatCount(msg.samplesPerSec)} samples/s${eta}`);
      }
      break;
    }
    case 'epoch':
      showEpoch(msg);
      break;
    case 'weights':
      setModel(msg.weights, msg.label, msg.spec);
      break;
    case 'finished': {
      setStatus(inPageWords(msg.message, TRAIN_TAB_LABELS), msg.outcome === 'done' ? 'ok' : msg.outcome === 'diverged' ? 'error' : 'info');
      metrics.eta.textContent = '–';
      delete metrics.eta.dataset.value;
      const data = dataInfo?.builtin ? 'mnist' : dataInfo?.image ? 'images' : 'features';
      const note = run && msg.outcome === 'done' ? nearChanceNote({ steps: run.steps, testAccuracy: run.accuracy, model: run.model, optimizer: run.optimizer, chance: run.chance, data }, 'page') : null;
      runNote.textContent = note ?? '';
      if (note) appendLog(`note: ${note}`);
      break;
    }
    case 'compare-step':
      byId('check-progress').textContent = `step ${msg.comparison.step + 1} of ${msg.steps}…`;
      break;
    case 'compare-done':
      checking = false;
      byId('check-progress').textContent = '';
      renderComparison(byId('check-table', HTMLTableElement), byId('check-verdict'), msg.comparisons, msg.tolerance, msg.resync);
      refreshButtons();
      break;
    case 'compare-error':
      checking = false;
      byId('check-progress').textContent = '';
      byId('check-verdict').textContent = `The check could not run: ${inPageWords(msg.message, TRAIN_TAB_LABELS)}`;
      byId('check-verdict').className = 'verdict fail';
      refreshButtons();
      break;
    case 'noise-progress':
      noise.progress.textContent = msg.line;
      break;
    case 'noise-done':
      measuring = false;
      noise.progress.textContent = '';
      noise.view.show(msg.result);
      refreshButtons();
      break;
    case 'noise-error':
      measuring = false;
      noise.progress.textContent = '';
      noise.error.textContent = `The measurement could not run: ${inPageWords(msg.message, TRAIN_TAB_LABELS)}`;
      refreshButtons();
      break;
    case 'toy-reply':
      toyClient.reply(msg.id, msg.reply);
      break;
    case 'toy-error':
      toyClient.reply(msg.id, null, msg.message);
      break;
    case 'sweep-log':
      homework.log(msg.line);
      break;
    case 'sweep-results':
      homework.results(msg.results);
      break;
    case 'sweep-done':
      homework.done(msg.message, msg.ok);
      refreshButtons();
      break;
    case 'error': {
      const message = inPageWords(msg.message, TRAIN_TAB_LABELS);
      setStatus(message, 'error');
      appendLog(`error: ${message}`);
      break;
    }
  }
};

worker.onerror = (ev) => setStatus(`The training worker failed: ${ev.message}`, 'error');

form.addEventListener('input', revalidate);
form.addEventListener('change', revalidate);
form.addEventListener('submit', (ev) => {
  ev.preventDefault();
  revalidate();
  const { config } = formCheck;
  if (!config) {
    form.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
    return;
  }
  beginRun(config);
  send({ type: 'train', request: { config, device: deviceSelect.value as Device, init: fromCurrent.checked && model ? model.mlp : null } });
});
buttons.pause.addEventListener('click', () => {
  send({ type: 'pause' });
  buttons.pause.disabled = true;
  setStatus('Pausing at the next read-back…');
});
buttons.resume.addEventListener('click', () => {
  if (run && state === 'lost') run.requestedAt = performance.now();
  send({ type: 'resume', device: deviceSelect.value as Device });
});
buttons.stop.addEventListener('click', () => {
  if (state === 'lost') setStatus('Stopped. The model keeps the last weights it received.');
  send({ type: 'stop' });
});
storedEls.resume.addEventListener('click', () => {
  if (!storedRun) return;
  // The form shows the run's settings, as if it had been started from it.
  writeConfig(form, storedRun.config);
  revalidate();
  beginRun(storedRun.config);
  send({ type: 'resume-stored', device: deviceSelect.value as Device });
});
storedEls.discard.addEventListener('click', () => send({ type: 'discard-stored' }));
// The worker cannot be waited for here: it saves at its next read-back, if it lives that long.
window.addEventListener('pagehide', () => send({ type: 'save-now' }));
for (const button of presetButtons) {
  button.addEventListener('click', () => {
    choosePreset(form, button.dataset.preset!);
    revalidate();
  });
}
recipe.addEventListener('click', () => {
  writeRecipe();
  revalidate();
});

buttons.check.addEventListener('click', () => {
  const steps = Number(byId('check-steps', HTMLInputElement).value);
  if (!formCheck.config) return;
  checking = true;
  byId('check-verdict').textContent = '';
  byId('check-table', HTMLTableElement).replaceChildren();
  byId('check-progress').textContent = 'compiling the kernels…';
  send({ type: 'compare', config: formCheck.config, steps });
  refreshButtons();
});

for (const input of [noise.images, noise.samples]) input.addEventListener('input', revalidate);
buttons.noise.addEventListener('click', () => {
  const { images, samples, batchSizes } = noisePlan();
  measuring = true;
  noise.error.textContent = '';
  noise.progress.textContent = state === 'training' ? 'waiting for the next read-back…' : 'compiling the kernels…';
  send({
    type: 'noise',
    request: { images, samples, batchSizes, seed: formCheck.config?.seed ?? NOTEBOOK_RECIPE.seed, weights: model && { mlp: model.mlp, label: model.label } },
  });
  refreshButtons();
});

/** The data's class names (a CSV's labels) where the model's outputs are its classes. */
const modelClassNames = (mlp: Mlp): string[] | null =>
  dataInfo?.classNames && dataInfo.classNames.length === mlp.sizes[mlp.sizes.length - 1] ? dataInfo.classNames : null;

buttons.download.addEventListener('click', () => {
  if (!model) return;
  const names = modelClassNames(model.mlp);
  downloadModel(model.mlp, model.spec, names ?? null, { source: 'webgpu-mnist-trainer dashboard', state: model.label });
});
buttons.downloadOnnx.addEventListener('click', () => {
  if (model) downloadOnnx(model.mlp, model.spec, modelClassNames(model.mlp)).catch((e: unknown) => (byId('file-message').textContent = `ONNX export failed: ${(e as Error).message}`));
});
loadFile.addEventListener('change', async () => {
  const file = loadFile.files?.[0];
  loadFile.value = '';
  if (!file) return;
  const message = byId('file-message');
  try {
    const formSpec = formCheck.config ?? NOTEBOOK_RECIPE;
    const data = dataInfo ? dataShape(dataInfo) : { inputShape: [1, 28, 28], classes: 10 };
    const { mlp, spec } = await readModelFile(file, data, formSpec);
    // A dense file that does not name its model is the dense layers of its widths, computing with
    // the activation the form sets (where the form's model has those widths) or the sigmoid.
    const fileSpec = spec ?? (specFits(mlp, formSpec) ? { model: formSpec.model, loss: formSpec.loss } : { ...notebookSpec(mlp.sizes), loss: formSpec.loss });
    setModel(mlp, `loaded from ${file.name}`, fileSpec);
    setField(form, 'model', formatModel(fileSpec.model));
    setField(form, 'loss', fileSpec.loss);
    fromCurrent.checked = true;
    message.textContent = '';
    revalidate();
  } catch (err) {
    message.textContent = `Not loaded: ${(err as Error).message}. The current model is unchanged.`;
  }
});

dataEls.files.addEventListener('change', () => {
  const files = [...(dataEls.files.files ?? [])];
  dataEls.files.value = '';
  void loadDataFiles(files);
});
// Files dropped anywhere on the page are data (left alone, the browser would open them instead),
// except on a file field, which takes them itself.
const draggingFiles = (ev: DragEvent) => Boolean(ev.dataTransfer?.types.includes('Files')) && !(ev.target instanceof HTMLInputElement && ev.target.type === 'file');
document.addEventListener('dragover', (ev) => {
  if (!draggingFiles(ev)) return;
  ev.preventDefault();
  dataEls.drop.classList.add('over');
});
// relatedTarget null: the drag left the window.
document.addEventListener('dragleave', (ev) => {
  if (ev.relatedTarget === null) dataEls.drop.classList.remove('over');
});
document.addEventListener('drop', (ev) => {
  if (!draggingFiles(ev)) return;
  ev.preventDefault();
  dataEls.drop.classList.remove('over');
  if (location.hash !== '' && location.hash !== '#train') location.hash = '#train';
  void loadDataFiles([...(ev.dataTransfer?.files ?? [])]);
});
// Another label column reads the same CSV files again.
dataEls.labelColumn.addEventListener('change', () => {
  if (lastFiles?.some((f) => /\.csv(\.gz)?$/i.test(f.name))) void loadDataFiles(lastFiles);
});
dataEls.builtin.addEventListener('click', () => {
  lastFiles = null;
  send({ type: 'load-data', files: null, labelColumn: dataEls.labelColumn.value.trim() });
});

writeRecipe();
revalidate();
initTabs();
addScrollCues();
send({ type: 'init', mnistUrl: new URL('mnist/', document.baseURI).href });
