// The Part 1 tab: the notebook's toy network stepped in the browser, on the CPU reference (here,
// in the page) and on WebGPU (ToyGpuTrainer in the training worker) in lockstep, so either can be
// shown and the largest difference between them is always known. One sample at a time, walked
// through its forward pass, error, backward pass and update; or whole epochs, printing the
// notebook's `>epoch=…` lines.
import { traceCpuStep, traceRow, type RowTrace } from '../reference/toy-trace.ts';
import { cloneNetwork, formatEpochLine, formatNetwork, type ReadonlyToyNetwork, type ToyNetwork, type ToyRow } from '../reference/toy.ts';
import { LiveChart } from './charts.ts';
import { element } from './dom.ts';
import type { PageMessage, ToyReply, ToyRequest } from './protocol.ts';
import type { ToyRun } from './toy-form.ts';
import { drawToyNetwork, isNarrow } from './toy-network-view.ts';

export type ToyDevice = 'gpu' | 'cpu';
const PHASES = ['forward', 'error', 'backward', 'update'] as const;
type Phase = (typeof PHASES)[number];

/** The CPU reference stepped row by row, epochs added up as trainNetwork adds them. */
class CpuToy {
  epoch = 0;
  row = 0;
  private sum = 0;

  constructor(
    readonly network: ToyNetwork,
    private readonly dataset: readonly ToyRow[],
    private readonly lr: number,
  ) {}

  stepRow(): { trace: RowTrace; epochError: number | null } {
    const trace = traceCpuStep(this.network, this.dataset[this.row], this.lr);
    this.sum += trace.error;
    return { trace, epochError: ++this.row === this.dataset.length ? this.closeEpoch() : null };
  }

  /** The rest of the current epoch; its error. */
  finishEpoch(): number {
    for (;;) {
      const { epochError } = this.stepRow();
      if (epochError !== null) return epochError;
    }
  }

  private closeEpoch(): number {
    const error = this.sum;
    this.sum = 0;
    this.row = 0;
    this.epoch++;
    return error;
  }
}

/** The GPU side, through the worker: one request at a time, answered in order. */
export class GpuToyClient {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: ToyReply) => void; reject: (e: Error) => void }>();

  constructor(private readonly send: (msg: PageMessage) => void) {}

  call(request: ToyRequest): Promise<ToyReply> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.send({ type: 'toy', id, request });
    });
  }

  reply(id: number, reply: ToyReply | null, error?: string): void {
    const p = this.pending.get(id);
    this.pending.delete(id);
    if (reply) p?.resolve(reply);
    else p?.reject(new Error(error));
  }
}

/** Per device: its network now (weights, and the last row's outputs and deltas), the trace of
 * the row last stepped alone, and each finished epoch's error. */
interface DeviceRecord {
  network: ToyNetwork;
  trace: RowTrace | null;
  errors: number[];
}

export interface LessonElements {
  network: HTMLElement;
  position: HTMLElement;
  steps: HTMLElement;
  output: HTMLElement;
  chart: HTMLElement;
  diff: HTMLElement;
  deviceNote: HTMLElement;
  error: HTMLElement;
  buttons: { step: HTMLButtonElement; sample: HTMLButtonElement; epoch: HTMLButtonElement; run: HTMLButtonElement };
}

const f = (x: number) => x.toPrecision(6);
const signed = (x: number) => (x < 0 ? `(${f(x)})` : f(x));
const vec = (xs: readonly number[]) => `[${xs.map(f).join(', ')}]`;

/** Largest |a − b| over two networks' weights, outputs and deltas. */
function networkDiff(a: ReadonlyToyNetwork, b: ReadonlyToyNetwork): number {
  let max = 0;
  a.forEach((layer, i) => layer.forEach((n, j) => {
    const m = b[i][j];
    n.weights.forEach((w, k) => (max = Math.max(max, Math.abs(w - m.weights[k]))));
    for (const key of ['output', 'delta'] as const) {
      if (n[key] !== undefined && m[key] !== undefined) max = Math.max(max, Math.abs(n[key] - m[key]));
    }
  }));
  return max;
}

export class ToyLesson {
  private run: ToyRun | null = null;
  private cpu: CpuToy | null = null;
  private records: Partial<{ [D in ToyDevice]: DeviceRecord }> = {};
  private phase: Phase | null = null;
  private busy = false;
  /** The GPU side is being set up (the worker may still be timing its kernels). */
  private starting = false;
  /** A start asked for while an action runs: taken when it ends (a long run stops at its next epoch). */
  private pendingStart: ToyRun | null = null;
  private gpu: { available: boolean | null; reason: string } = { available: null, reason: 'looking for a WebGPU adapter…' };
  private shown: ToyDevice = 'gpu';
  private maxDiff = { params: 0, errors: 0 };
  private readonly chart: LiveChart;

  constructor(
    private readonly el: LessonElements,
    private readonly client: GpuToyClient,
  ) {
    this.chart = new LiveChart(el.chart, {
      scales: { x: { time: false } },
      axes: [{ label: 'epoch', incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000] }, { label: 'epoch error', size: 60 }],
      series: [
        { label: 'epoch' },
        { label: 'CPU reference', stroke: '#1f618d', width: 2, points: { size: 5 } },
        { label: 'WebGPU', stroke: '#e67e22', width: 2, dash: [6, 4], points: { size: 5 } },
      ],
    }, () => {
      const cpu = this.records.cpu?.errors ?? [];
      const gpu = this.records.gpu?.errors ?? [];
      return [cpu.map((_, i) => i), cpu, cpu.map((_, i) => gpu[i] ?? null)];
    });
    // Redrawn for a phone's width or a desktop's when the container crosses between them.
    let narrow = isNarrow(el.network.clientWidth);
    new ResizeObserver(() => {
      if (isNarrow(el.network.clientWidth) === narrow) return;
      narrow = !narrow;
      this.render();
    }).observe(el.network);
    el.buttons.step.addEventListener('click', () => void this.act(() => this.step()));
    el.buttons.sample.addEventListener('click', () => void this.act(() => this.sample()));
    el.buttons.epoch.addEventListener('click', () => void this.act(() => this.finishEpoch()));
    el.buttons.run.addEventListener('click', () => void this.act(() => this.runAll()));
  }

  /** Called when the worker has found (or not) a WebGPU adapter. */
  setGpu(available: boolean, reason = ''): void {
    this.gpu = { available, reason };
    if (this.run) void this.start(this.run);
    else this.render();
  }

  show(device: ToyDevice): void {
    this.shown = device;
    this.render();
  }

  private get shownDevice(): ToyDevice {
    return this.shown === 'gpu' && this.records.gpu ? 'gpu' : 'cpu';
  }

  private get done(): boolean {
    return !this.run || !this.cpu || this.cpu.epoch >= this.run.epochs;
  }

  /** Starts over with `run` on both devices (the GPU one when there is an adapter). */
  async start(run: ToyRun): Promise<void> {
    if (this.busy) {
      this.pendingStart = run;
      return;
    }
    this.run = run;
    this.cpu = new CpuToy(cloneNetwork(run.network), run.dataset, run.lr);
    // The CPU record shows the stepper's own network, updated in place by every step.
    this.records = { cpu: { network: this.cpu.network, trace: null, errors: [] } };
    this.phase = null;
    this.maxDiff = { params: 0, errors: 0 };
    this.el.error.textContent = '';
    await this.act(async () => {
      if (!this.gpu.available) return;
      this.starting = true;
      this.render();
      await this.client.call({ op: 'start', network: run.network, dataset: run.dataset, lr: run.lr }).finally(() => (this.starting = false));
      // What the GPU holds: the starting weights in float32.
      const network = run.network.map((l) => l.map((n) => ({ weights: n.weights.map(Math.fround) })));
      this.records.gpu = { network, trace: null, errors: [] };
    });
  }

  /** Runs one button's action with the buttons off; a GPU failure leaves the CPU going. */
  private async act(body: () => Promise<void>): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    this.render();
    try {
      await body();
    } catch (err) {
      this.el.error.textContent = `WebGPU stopped: ${(err as Error).message}. The CPU reference goes on; "Start over" tries WebGPU again.`;
      delete this.records.gpu;
    } finally {
      this.busy = false;
      this.render();
    }
    const next = this.pendingStart;
    this.pendingStart = null;
    if (next) await this.start(next);
  }

  private async step(): Promise<void> {
    if (this.phase !== null && this.phase !== 'update') this.phase = PHASES[PHASES.indexOf(this.phase) + 1];
    else if (!this.done) {
      await this.stepRow();
      this.phase = 'forward';
    }
  }

  private async sample(): Promise<void> {
    if (this.phase !== null && this.phase !== 'update') this.phase = 'update';
    else if (!this.done) {
      await this.stepRow();
      this.phase = 'update';
    }
  }

  private async stepRow(): Promise<void> {
    const cpu = this.cpu!;
    const row = this.run!.dataset[cpu.row];
    const c = cpu.stepRow();
    const cpuRec = this.records.cpu!;
    cpuRec.trace = c.trace;
    if (c.epochError !== null) cpuRec.errors.push(c.epochError);
    const gpuRec = this.records.gpu;
    if (gpuRec) {
      const g = await this.client.call({ op: 'step' });
      if (g.op !== 'step') throw new Error(`unexpected reply ${g.op}`);
      gpuRec.trace = traceRow(gpuRec.network, row, { network: g.network, error: g.error });
      gpuRec.network = g.network;
      if (g.epochError !== null) gpuRec.errors.push(g.epochError);
      this.noteDiff(g.network, Math.abs(g.error - c.trace.error));
    }
  }

  private async finishEpoch(): Promise<void> {
    if (this.done) return;
    this.phase = null;
    const cpuRec = this.records.cpu!;
    cpuRec.errors.push(this.cpu!.finishEpoch());
    cpuRec.trace = null;
    const gpuRec = this.records.gpu;
    if (gpuRec) {
      const g = await this.client.call({ op: 'epoch' });
      if (g.op !== 'epoch') throw new Error(`unexpected reply ${g.op}`);
      gpuRec.errors.push(g.error);
      gpuRec.network = g.network;
      gpuRec.trace = null;
      this.noteDiff(g.network, Math.abs(g.error - cpuRec.errors.at(-1)!));
    }
  }

  private async runAll(): Promise<void> {
    while (!this.done && !this.pendingStart) {
      await this.finishEpoch();
      this.render();
      // Let the page draw each epoch's line and point.
      await new Promise(requestAnimationFrame);
    }
  }

  private noteDiff(gpuNetwork: ReadonlyToyNetwork, errorDiff: number): void {
    this.maxDiff.params = Math.max(this.maxDiff.params, networkDiff(gpuNetwork, this.records.cpu!.network));
    this.maxDiff.errors = Math.max(this.maxDiff.errors, errorDiff);
  }

  private render(): void {
    const run = this.run;
    const cpu = this.cpu;
    const b = this.el.buttons;
    const idle = this.busy || !run;
    b.step.disabled = idle || (this.done && (this.phase === null || this.phase === 'update'));
    b.sample.disabled = b.step.disabled;
    b.epoch.disabled = idle || this.done;
    b.run.disabled = idle || this.done;
    if (!run || !cpu) return;
    const device = this.shownDevice;
    const rec = this.records[device]!;
    const trace = this.phase ? rec.trace : null;
    const at = PHASES.indexOf(this.phase ?? 'forward');
    // The weights before the step until its update is shown, then after.
    const network = trace && at < 3 ? trace.layers.map((l) => l.map((n) => ({ weights: n.before, output: n.output, delta: n.delta }))) : rec.network;
    drawToyNetwork(this.el.network, {
      network,
      inputs: trace?.inputs ?? null,
      showOutputs: trace !== null,
      showDeltas: trace !== null && at >= 2,
      changes: trace && at === 3 ? trace.layers.map((l) => l.map((n) => n.change)) : null,
    });
    this.el.network.dataset.device = device;
    this.renderPosition(run, cpu, trace);
    this.renderSteps(trace, at, device);
    this.renderOutput(rec);
    this.el.deviceNote.textContent = this.gpu.available === false
      ? `WebGPU is not available here (${this.gpu.reason}): the CPU reference alone.`
      : this.starting
        ? 'Starting the WebGPU side (on a CPU adapter the worker may still be timing its kernels)…'
        : device === 'gpu'
        ? 'Shown: WebGPU, the MNIST trainer\'s own training step run once per row (float32). z and the terms of each hidden neuron\'s sum are not kept by the GPU: they are computed on the CPU (float64) from the GPU\'s weights before the step.'
        : 'Shown: the CPU reference (src/reference/toy.ts, float64), the notebook\'s code with its functions\' real names.';
    const gpuRec = this.records.gpu;
    this.el.diff.textContent = gpuRec
      ? `Largest |WebGPU − CPU| so far: ${this.maxDiff.params.toExponential(2)} in the weights, outputs and deltas; ${this.maxDiff.errors.toExponential(2)} in the errors.`
      : '';
    this.el.diff.dataset.params = String(this.maxDiff.params);
    this.el.diff.dataset.errors = String(this.maxDiff.errors);
  }

  private renderPosition(run: ToyRun, cpu: CpuToy, trace: RowTrace | null): void {
    const rows = run.dataset.length;
    let text: string;
    if (this.done && !trace) text = `Finished: ${run.epochs} epoch${run.epochs === 1 ? '' : 's'} of ${rows} rows.`;
    else if (trace) {
      // The row just stepped (cpu.row has moved past it).
      const epoch = cpu.row === 0 ? cpu.epoch - 1 : cpu.epoch;
      const row = (cpu.row === 0 ? rows : cpu.row) - 1;
      text = `Epoch ${epoch} of ${run.epochs}, row ${row + 1} of ${rows}: x = ${vec(trace.inputs)}, label ${trace.label}. Shown: ${this.phase}.`;
    } else text = `Epoch ${cpu.epoch} of ${run.epochs}, next: row ${cpu.row + 1} of ${rows}. Step walks through it.`;
    this.el.position.textContent = text;
  }

  private renderSteps(trace: RowTrace | null, at: number, device: ToyDevice): void {
    if (!trace && this.done) {
      this.el.steps.replaceChildren(element('p', 'The run is over: "Start over with these" (or Reset to the notebook) steps through it again.', 'muted'));
      return;
    }
    if (!trace) {
      this.el.steps.replaceChildren(element('p', 'Press Step: the next row goes forward through the network, its error is measured, the error flows back (each delta from the chain rule), and every weight moves. Each press shows the next part.', 'muted'));
      return;
    }
    const [hidden, output] = trace.layers;
    const lr = this.run!.lr;
    const name = (i: number, j: number) => (i === 0 ? `h${j}` : `out ${j}`);
    const sections: [string, string, string[]][] = [
      ['forward', 'Forward: a = activate, b = transfer, c = forward_propagate', trace.layers.flatMap((layer, i) => layer.map((n, j) =>
        `${name(i, j)}: z = b + Σ w·x = ${f(n.before.at(-1)!)} + ${n.inputs.map((x, k) => `${f(n.before[k])}·${signed(x)}`).join(' + ')} = ${f(n.z)};  out = σ(z) = 1 / (1 + e^−z) = ${f(n.output)}`))],
      ['error', 'Error: what train_network adds up, and where e starts', [
        `target y = [${trace.expected.join(', ')}] (label ${trace.label}, one-hot)`,
        `row error Σ (y − out)² = ${output.map((n, j) => `(${trace.expected[j]} − ${f(n.output)})²`).join(' + ')} = ${f(trace.error)}${device === 'gpu' ? ' (summed on the GPU)' : ''}`,
        ...output.map((n, j) => `out ${j}: ∂E/∂out = 2 (out − y) = 2 (${f(n.output)} − ${trace.expected[j]}) = ${f(n.dOut)}`),
      ]],
      ['backward', 'Backward: d = transfer_derivative, e = backward_propagate_error', [
        ...output.map((n, j) => `out ${j}: δ = ∂E/∂out · σ'(z) = ${f(n.dOut)} · ${f(n.output)} (1 − ${f(n.output)}) = ${f(n.dOut)} · ${f(n.slope)} = ${f(n.delta)}`),
        ...hidden.map((n, j) => `h${j}: ∂E/∂out = Σ_k w_k${j} · δ_k = ${n.terms.map(([w, d]) => `${f(w)}·${signed(d)}`).join(' + ')} = ${f(n.dOut)};  δ = ${f(n.dOut)} · ${f(n.slope)} = ${f(n.delta)}`),
      ]],
      ['update', 'Update: f = update_weights, w −= lr · δ · input, bias −= lr · δ', trace.layers.flatMap((layer, i) => layer.map((n, j) =>
        `${name(i, j)}: ${n.after.map((w, k) => `${k < n.inputs.length ? `w${k + 1}` : 'b'} ${f(n.before[k])} − ${lr}·${signed(n.delta)}${k < n.inputs.length ? `·${signed(n.inputs[k])}` : ''} = ${f(w)}`).join(';  ')}`))],
    ];
    this.el.steps.replaceChildren(...sections.slice(0, at + 1).map(([phase, title, lines], i) => {
      const section = element('section', undefined, `phase${i === at ? ' current' : ''}`);
      section.dataset.phase = phase;
      section.append(element('h3', title), ...lines.map((l) => element('p', l, 'formula')));
      return section;
    }));
  }

  private renderOutput(rec: DeviceRecord): void {
    const lr = this.run!.lr;
    const lines = rec.errors.map((e, i) => formatEpochLine(i, lr, e));
    if (this.done) lines.push(formatNetwork(rec.network));
    this.el.output.textContent = lines.length ? lines.join('\n') : 'The notebook prints a line >epoch=…, lrate=…, error=… after every epoch: "Rest of the epoch" or "Run all epochs".';
    this.el.output.classList.toggle('empty', !lines.length);
    this.el.output.dataset.done = String(this.done);
    this.el.output.dataset.device = this.shownDevice;
    this.chart.update();
  }
}
