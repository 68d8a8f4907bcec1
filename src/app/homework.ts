// The Homework tab: the notebook's three questions, each with its answer in the project. Here:
// the committed sweeps (sweeps/notebook and sweeps/tuned, read at build time) as a table and a
// chart, ranked by the same summarise() as the README, and a small sweep on a subset run by the
// training worker through the CLI's own sweep loop.
import backpropDoc from '../../docs/backprop.md?raw';
import notebookSweep from '../../sweeps/notebook/results.json';
import tunedSweep from '../../sweeps/tuned/results.json';
import { ConfigError, type DataExtent } from '../train/config.ts';
import { expandPoints, parseGrid, planRuns, SweepSpecError, type PlannedRun } from '../sweep/plan.ts';
import type { SweepResults } from '../sweep/run.ts';
import { summarise } from '../sweep/summary.ts';
import { LiveChart } from './charts.ts';
import { byId, element } from './dom.ts';
import { inPageWords, type FieldLabels } from './page-words.ts';

const COLORS = ['#1f618d', '#e67e22', '#16a085', '#af7ac5', '#c0392b', '#7f8c8d', '#2e86c1', '#b7950b'];
/** The small sweep's fields by the CLI options (of npm run sweep) they stand for. */
const SWEEP_FORM_LABELS: FieldLabels = { '--grid': 'Grid', '--epochs': 'Epochs', '--limit-train': 'Train images', '--limit-test': 'Test images' };
const pct = (x: number) => (Number.isNaN(x) ? '–' : x.toFixed(2));

/** One row per configuration, best first: its seeds' final accuracies, their mean, the time. */
function fillTable(table: HTMLTableElement, sweeps: SweepResults[], printed: boolean): void {
  const head = element('tr');
  for (const h of ['configuration', 'epochs', 'seeds', 'final test accuracy per seed (%)', 'mean (%)', 'time (s)']) head.append(element('th', h));
  const rows = [head];
  if (printed) {
    const tr = element('tr');
    for (const c of ['the notebook as printed (PyTorch)', '10', 'one run', '97.53', '97.53', '–']) tr.append(element('td', c));
    rows.push(tr);
  }
  for (const s of sweeps.flatMap((r) => summarise(r))) {
    const tr = element('tr');
    const epochs = s.complete ? String(s.epochs) : `${s.epochsRun} of ${s.epochs}`;
    for (const c of [s.label, epochs, s.seeds.join(', '), s.finals.map(pct).join(' / '), pct(s.finalMean), s.seconds.toFixed(0)]) tr.append(element('td', c));
    tr.lastElementChild!.previousElementSibling!.className = 'strong';
    rows.push(tr);
  }
  table.replaceChildren(...rows);
}

/** Test accuracy per epoch of every run, one colour per configuration (named in a key below the
 * chart: a legend row per run would list every seed). */
class SweepChart {
  private chart: LiveChart | null = null;
  private shown = '';
  private runs: { color: string; acc: number[] }[] = [];
  private readonly keys = element('p', undefined, 'keys');

  constructor(private readonly container: HTMLElement) {
    container.after(this.keys);
  }

  show(sweeps: SweepResults[]): void {
    const all = sweeps.flatMap((r) => r.runs);
    const groups = [...new Set(all.map((r) => r.group))];
    const color = (group: string) => COLORS[groups.indexOf(group) % COLORS.length];
    this.runs = all.map((r) => ({ color: color(r.group), acc: r.testAccuracy }));
    const shape = all.map((r) => r.key).join('|');
    if (shape !== this.shown) {
      // Another set of runs: a chart with one series per run.
      this.shown = shape;
      this.chart?.destroy();
      this.chart = new LiveChart(this.container, {
        scales: { x: { time: false }, y: { range: (_u, min) => [Number.isFinite(min) ? Math.max(0, Math.floor(min / 5) * 5) : 0, 100] } },
        axes: [{ label: 'epoch', incrs: [1, 2, 5, 10, 20, 50] }, { label: 'test accuracy %', size: 50 }],
        series: [{ label: 'epoch' }, ...all.map((r) => ({ label: `${r.label}, seed ${r.config.seed}`, stroke: color(r.group), width: 2, points: { size: 5 } }))],
        legend: { show: false },
      }, () => {
        const x = Array.from({ length: Math.max(0, ...this.runs.map((r) => r.acc.length)) }, (_, i) => i + 1);
        return [x, ...this.runs.map((r) => x.map((_, i) => r.acc[i] ?? null))];
      });
      this.keys.replaceChildren(...groups.map((g) => {
        const item = element('span', all.find((r) => r.group === g)!.label, 'key');
        item.style.setProperty('--key', color(g));
        return item;
      }));
    }
    this.chart!.update();
  }
}

export interface HomeworkHooks {
  /** The worker's data extent, once MNIST has loaded. */
  extent(): DataExtent | null;
  gpu(): boolean | null;
  /** Whether the worker is free for a sweep (no run, check or measurement). */
  idle(): boolean;
  start(plan: PlannedRun[]): void;
  stop(): void;
}

export class Homework {
  private readonly form = byId('mini-sweep', HTMLFormElement);
  private readonly runButton = byId('mini-sweep-run', HTMLButtonElement);
  private readonly stopButton = byId('mini-sweep-stop', HTMLButtonElement);
  private readonly progress = byId('mini-sweep-progress');
  private readonly error = byId('mini-sweep-error');
  private readonly chart: SweepChart;
  private running = false;

  constructor(private readonly hooks: HomeworkHooks) {
    byId('backprop-doc').textContent = backpropDoc;
    const committed = [notebookSweep, tunedSweep] as unknown as SweepResults[];
    fillTable(byId('sweep-table', HTMLTableElement), committed, true);
    const adapters = [...new Set(committed.flatMap((r) => r.runs.map((x) => x.adapter)))];
    byId('sweep-adapter').textContent = `Measured on ${adapters.join('; ')}, by the WebGPU trainer (npm run sweep). The chart: test accuracy after every epoch of every run, one colour per configuration.`;
    new SweepChart(byId('sweep-chart')).show(committed);
    this.chart = new SweepChart(byId('mini-sweep-chart'));
    this.form.addEventListener('input', () => this.refresh());
    this.form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const plan = this.plan();
      if (!plan) return;
      this.running = true;
      this.progress.textContent = `starting ${plan.length} run${plan.length === 1 ? '' : 's'}…`;
      byId('mini-sweep-table', HTMLTableElement).replaceChildren();
      this.hooks.start(plan);
      this.refresh();
    });
    this.stopButton.addEventListener('click', () => {
      this.hooks.stop();
      this.progress.textContent = 'stopping after the current run…';
    });
  }

  /** The runs the form asks for, or null with the reason shown. */
  private plan(): PlannedRun[] | null {
    const value = (name: string) => (this.form.elements.namedItem(name) as HTMLInputElement).value.trim();
    const int = (name: string) => (value(name) === '' ? NaN : Number(value(name)));
    try {
      const grid = parseGrid(value('grid').split(/\s+/).filter(Boolean));
      const extent = this.hooks.extent() ?? { trainCount: 60_000, testCount: 10_000 };
      const plan = planRuns(expandPoints(null, grid), { epochs: int('epochs'), limitTrain: int('limitTrain'), limitTest: int('limitTest') }, extent);
      if (plan.length > 24) throw new SweepSpecError(`${plan.length} configurations: at most 24 here (npm run sweep has no limit)`);
      this.error.textContent = '';
      return plan;
    } catch (e) {
      if (!(e instanceof SweepSpecError || e instanceof ConfigError)) throw e;
      this.error.textContent = inPageWords(e.message, SWEEP_FORM_LABELS);
      return null;
    }
  }

  /** Enables Run when the worker is free and the form is valid. */
  refresh(): void {
    const valid = this.plan() !== null;
    this.runButton.disabled = this.running || !valid || !this.hooks.extent() || !this.hooks.idle();
    this.stopButton.disabled = !this.running;
  }

  log(line: string): void {
    this.progress.textContent = line;
  }

  results(results: SweepResults): void {
    fillTable(byId('mini-sweep-table', HTMLTableElement), [results], false);
    this.chart.show([results]);
  }

  done(message: string, ok: boolean): void {
    this.running = false;
    this.progress.textContent = message;
    if (!ok) this.error.textContent = `The sweep could not run: ${message}`;
    this.refresh();
  }

  get isRunning(): boolean {
    return this.running;
  }
}
