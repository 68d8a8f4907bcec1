// The live charts, drawn by uPlot: the train loss of every step with its EMA over it, the
// per-epoch losses and accuracies, and the throughput of every read-back. Each chart's container
// carries data-points (its number of x values) so tests and tools can see that it has data.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatCount } from './dom.ts';
import { emaSeries } from './ema.ts';

const EMA_BETA = 0.95;
const HEIGHT = 210;

const COLORS = {
  raw: 'rgba(94, 129, 172, 0.45)',
  ema: '#c0392b',
  trainLoss: '#5dade2',
  testLoss: '#af7ac5',
  trainAcc: '#1f618d',
  testAcc: '#e67e22',
  speed: '#16a085',
};

/** A legend value: with the cursor over the chart the hovered point's, otherwise the series'
 * latest (uPlot shows '--' there, which reads as "no data"). */
export function legendValue(u: uPlot, v: number | null, sidx: number, idx: number | null): string {
  let value = v;
  if (idx === null) {
    const column = u.data[sidx] as (number | null | undefined)[];
    for (let i = column.length - 1; i >= 0 && value === null; i--) value = column[i] ?? null;
  }
  if (value === null || !Number.isFinite(value)) return '--';
  return Math.abs(value) >= 1000 || Number.isInteger(value) ? formatCount(value) : String(Number(value.toPrecision(4)));
}

/** One uPlot chart that follows its container's width and redraws at most once per frame. */
export class LiveChart {
  private readonly plot: uPlot;
  private readonly resize: ResizeObserver;
  private frame = 0;

  constructor(
    private readonly container: HTMLElement,
    opts: Omit<uPlot.Options, 'width' | 'height'>,
    private readonly columns: () => uPlot.AlignedData,
  ) {
    const series = opts.series.map((s) => ({ value: legendValue, ...s }));
    this.plot = new uPlot({ ...opts, series, width: this.width(), height: HEIGHT }, columns(), container);
    this.resize = new ResizeObserver(() => this.plot.setSize({ width: this.width(), height: HEIGHT }));
    this.resize.observe(container);
  }

  destroy(): void {
    cancelAnimationFrame(this.frame);
    this.resize.disconnect();
    this.plot.destroy();
  }

  private width(): number {
    // A hidden tab's chart has no width: draw it at a guess until it is shown and measured.
    return this.container.clientWidth || 600;
  }

  update(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      const data = this.columns();
      this.plot.setData(data);
      this.container.dataset.points = String(data[0].length);
    });
  }
}

/** x ranges that stay sensible with a single point (uPlot would collapse them to zero width). */
const atLeast = (span: number): uPlot.Range.Function => (_u, min, max) =>
  max - min >= span ? [min, max] : [Math.max(0, min - span / 2), Math.max(0, min - span / 2) + span];

export class TrainingCharts {
  private steps: number[] = [];
  private losses: number[] = [];
  private epochs: number[] = [];
  private trainLoss: number[] = [];
  private testLoss: number[] = [];
  private trainAcc: number[] = [];
  private testAcc: number[] = [];
  private speedSteps: number[] = [];
  private speeds: number[] = [];
  private readonly loss: LiveChart;
  private readonly perEpoch: LiveChart;
  private readonly speed: LiveChart;

  constructor(lossEl: HTMLElement, epochEl: HTMLElement, speedEl: HTMLElement) {
    // Steps are whole numbers: no ticks at 2.5.
    const stepAxis: uPlot.Axis = { label: 'step', incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000] };
    this.loss = new LiveChart(lossEl, {
      scales: { x: { time: false, range: atLeast(10) } },
      axes: [stepAxis, { label: 'train loss', size: 60 }],
      series: [
        { label: 'step' },
        { label: 'batch loss', stroke: COLORS.raw, width: 1, points: { show: false } },
        { label: `EMA (β ${EMA_BETA})`, stroke: COLORS.ema, width: 2, points: { show: false } },
      ],
    }, () => [this.steps, this.losses, emaSeries(this.losses, EMA_BETA)]);
    this.perEpoch = new LiveChart(epochEl, {
      scales: {
        x: { time: false, range: atLeast(2) },
        loss: { range: (_u, _min, max) => [0, Number.isFinite(max) ? max * 1.1 : 1] },
        '%': { range: (_u, min) => [Number.isFinite(min) ? Math.min(Math.floor(min / 10) * 10, 90) : 0, 100] },
      },
      axes: [
        { label: 'epoch', incrs: [1, 2, 5, 10] },
        { label: 'mean loss per sample', scale: 'loss', size: 60 },
        { label: 'accuracy %', scale: '%', side: 1, grid: { show: false }, size: 50 },
      ],
      series: [
        { label: 'epoch' },
        { label: 'train loss', scale: 'loss', stroke: COLORS.trainLoss, dash: [5, 4], width: 2, points: { size: 7 } },
        { label: 'test loss', scale: 'loss', stroke: COLORS.testLoss, dash: [5, 4], width: 2, points: { size: 7 } },
        { label: 'train acc %', scale: '%', stroke: COLORS.trainAcc, width: 2, points: { size: 7 } },
        { label: 'test acc %', scale: '%', stroke: COLORS.testAcc, width: 2, points: { size: 7 } },
      ],
    }, () => [this.epochs, this.trainLoss, this.testLoss, this.trainAcc, this.testAcc]);
    this.speed = new LiveChart(speedEl, {
      scales: { x: { time: false, range: atLeast(10) }, y: { range: (_u, _min, max) => [0, max * 1.1 || 1] } },
      axes: [stepAxis, { label: 'samples/s', size: 60 }],
      series: [{ label: 'step' }, { label: 'samples/s per read-back', stroke: COLORS.speed, width: 2, points: { size: 5 } }],
    }, () => [this.speedSteps, this.speeds]);
  }

  /** Forgets everything from global step `fromStep` and epoch `fromEpoch` (1-based) on: a new run
   * starts at 0, a run resumed after a lost device at its snapshot. */
  truncate(fromStep: number, fromEpoch: number): void {
    const keepSteps = lowerBound(this.steps, fromStep);
    this.steps.length = this.losses.length = keepSteps;
    const keepSpeed = lowerBound(this.speedSteps, fromStep + 1);
    this.speedSteps.length = this.speeds.length = keepSpeed;
    const keepEpochs = lowerBound(this.epochs, fromEpoch);
    for (const a of [this.epochs, this.trainLoss, this.testLoss, this.trainAcc, this.testAcc]) a.length = keepEpochs;
    this.updateAll();
  }

  addSteps(firstStep: number, losses: Float32Array): void {
    losses.forEach((l, i) => {
      this.steps.push(firstStep + i);
      this.losses.push(l);
    });
    this.loss.update();
  }

  /** `step` counts steps done (1-based end of the read-back), `rate` the samples/s of that chunk. */
  addSpeed(step: number, rate: number): void {
    this.speedSteps.push(step);
    this.speeds.push(rate);
    this.speed.update();
  }

  addEpoch(epoch: number, trainLoss: number, testMeanLoss: number, trainAcc: number, testAcc: number): void {
    this.epochs.push(epoch);
    this.trainLoss.push(trainLoss);
    this.testLoss.push(testMeanLoss);
    this.trainAcc.push(trainAcc);
    this.testAcc.push(testAcc);
    this.perEpoch.update();
  }

  private updateAll(): void {
    this.loss.update();
    this.perEpoch.update();
    this.speed.update();
  }
}

/** First index whose value is >= v in an ascending array. */
function lowerBound(a: number[], v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
