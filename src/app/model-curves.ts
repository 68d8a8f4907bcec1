// MLP vs CNN: the test accuracy after every epoch of the latest run of each model, one curve per
// model on one chart, so a learner sees which learns faster and where each levels off. A new run of
// a model replaces that model's curve; other data clears them all (accuracies of different data do
// not compare).
import { formatModel, MODEL_PRESETS, type ModelSpec } from '../model/spec.ts';
import { LiveChart } from './charts.ts';

const COLORS = ['#e67e22', '#1f618d', '#16a085', '#8e44ad', '#c0392b', '#7f8c8d'];

/** 'MLP' or 'CNN' for the presets, else the spec as written. */
export function modelLabel(model: ModelSpec): string {
  const spec = formatModel(model);
  const preset = Object.entries(MODEL_PRESETS).find(([, s]) => s === spec);
  return preset ? preset[0].toUpperCase() : spec;
}

export class ModelCurves {
  /** Model label -> test accuracy % of epoch 1, 2, ... of its latest run. */
  private readonly curves = new Map<string, number[]>();
  private chart: LiveChart | null = null;

  constructor(private readonly container: HTMLElement) {
    this.rebuild();
  }

  /** A run of this model starts at `fromEpoch` (0 for a new run, the snapshot's after a lost device). */
  start(label: string, fromEpoch: number): void {
    const curve = this.curves.get(label);
    if (fromEpoch > 0 && curve) curve.length = Math.min(curve.length, fromEpoch);
    else {
      // The model's curve starts again, last in the legend.
      this.curves.delete(label);
      this.curves.set(label, []);
      this.rebuild();
    }
    this.chart?.update();
  }

  add(label: string, epoch: number, testAccuracy: number): void {
    let curve = this.curves.get(label);
    if (!curve) {
      curve = [];
      this.curves.set(label, curve);
      this.rebuild();
    }
    curve.length = Math.min(curve.length, epoch - 1);
    curve[epoch - 1] = testAccuracy;
    this.chart?.update();
  }

  clear(): void {
    this.curves.clear();
    this.rebuild();
  }

  /** uPlot's series are fixed at construction: a new model makes a new chart. */
  private rebuild(): void {
    this.chart?.destroy();
    const labels = [...this.curves.keys()];
    this.container.dataset.series = String(labels.length);
    this.chart = new LiveChart(this.container, {
      scales: { x: { time: false, range: (_u, _min, max) => [1, Math.max(2, max)] }, '%': { range: (_u, min) => [Number.isFinite(min) ? Math.min(Math.floor(min / 10) * 10, 90) : 0, 100] } },
      axes: [{ label: 'epoch', incrs: [1, 2, 5, 10] }, { label: 'test accuracy %', scale: '%', size: 50 }],
      series: [{ label: 'epoch' }, ...labels.map((label, i) => ({ label, scale: '%', stroke: COLORS[i % COLORS.length], width: 2, points: { size: 7 } }))],
    }, () => {
      const epochs = Math.max(0, ...[...this.curves.values()].map((c) => c.length));
      const x = Array.from({ length: epochs }, (_, i) => i + 1);
      return [x, ...labels.map((l) => x.map((_, i) => this.curves.get(l)![i] ?? null))];
    });
    this.chart.update();
  }
}
