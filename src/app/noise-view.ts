// The batch-size noise view: at the current weights, how far a batch's gradient g_B falls from the
// full-batch gradient G at each batch size (measured in the worker by src/noise/measure.ts, as
// `npm run noise` does), on log-log axes against a 1/B line, with every number in a table.
import type uPlot from 'uplot';
import type { GradientNoiseRow } from '../noise/measure.ts';
import { LiveChart } from './charts.ts';
import { element, formatCount, formatSeconds } from './dom.ts';
import type { NoiseResult } from './protocol.ts';

/** The batch sizes of `npm run noise`. */
const BATCH_SIZES = [8, 32, 128, 512];
/** The 1/B line goes through this batch size's point. */
const REFERENCE_B = 32;
/** Sized so a measurement takes seconds on SwiftShader: G over 4,096 images and 20 batches per
 * size are about 18,000 images through forward and backward. */
export const NOISE_DEFAULTS = { images: 4096, samples: 20 };
const SAMPLES_RANGE = [2, 200] as const;

export interface NoisePlan {
  images: number;
  samples: number;
  batchSizes: number[];
  /** The counts in words, and what was left out. */
  note: string;
}

function clampInt(raw: string, lo: number, hi: number, fallback: number): number {
  const v = Math.round(Number(raw));
  return Number.isFinite(v) && raw.trim() !== '' ? Math.min(hi, Math.max(lo, v)) : fallback;
}

/** What a measurement will cover for the wanted counts and a training subset of `subset` images;
 * no batch sizes when the subset is too small for any. */
export function planNoise(subset: number, imagesRaw: string, samplesRaw: string): NoisePlan {
  const images = clampInt(imagesRaw, 1, subset, Math.min(subset, NOISE_DEFAULTS.images));
  const samples = clampInt(samplesRaw, SAMPLES_RANGE[0], SAMPLES_RANGE[1], NOISE_DEFAULTS.samples);
  // A batch of all the images is G itself: no noise to measure.
  const batchSizes = BATCH_SIZES.filter((B) => B < images);
  const batchRows = samples * batchSizes.reduce((a, b) => a + b, 0);
  const parts = [`${samples} random batches of each size B = ${batchSizes.join(', ') || '(none)'}: ` +
    `${formatCount(batchRows)} images through forward and backward, plus ${formatCount(images)} for G.`];
  const skipped = BATCH_SIZES.filter((B) => B >= images);
  if (skipped.length) parts.push(`B = ${skipped.join(', ')} left out: a batch must be smaller than the ${formatCount(images)} images.`);
  parts.push(images === subset
    ? `G is the gradient over the whole training subset (${formatCount(subset)} images).`
    : `G is the gradient over the first ${formatCount(images)} of the ${formatCount(subset)} training images, and the batches come from them: ` +
      `all ${formatCount(subset)} would take about ${((subset + batchRows) / (images + batchRows)).toFixed(1)}× as long (set Images to ${subset}).`);
  return { images, samples, batchSizes, note: parts.join(' ') };
}

const num = (x: number) => x.toPrecision(3);

export class NoiseView {
  private chart: LiveChart | null = null;
  private rows: GradientNoiseRow[] = [];

  constructor(
    private readonly chartEl: HTMLElement,
    private readonly table: HTMLTableElement,
    private readonly summary: HTMLElement,
  ) {}

  show(r: NoiseResult): void {
    this.rows = r.rows;
    // Made on the first result: uPlot's log scales need data.
    this.chart ??= new LiveChart(this.chartEl, {
      scales: { x: { time: false, distr: 3, log: 2 }, y: { distr: 3 } },
      axes: [{ label: 'batch size B' }, { label: 'E‖g_B − G‖²', size: 70 }],
      series: [
        { label: 'B' },
        { label: 'measured E‖g_B − G‖²', stroke: '#c0392b', width: 2, points: { size: 8 } },
        { label: `1/B through B = ${REFERENCE_B}`, stroke: '#687385', dash: [6, 4], width: 1.5, points: { show: false } },
      ],
    }, () => this.columns());
    this.chart.update();
    this.renderTable(r);
    this.summary.textContent = summarise(r);
  }

  private columns(): uPlot.AlignedData {
    const B = this.rows.map((r) => r.batch);
    const ref = this.rows.find((r) => r.batch === REFERENCE_B) ?? this.rows[0];
    return [B, this.rows.map((r) => r.sqDist), B.map((b) => (ref.sqDist * ref.batch) / b)];
  }

  private renderTable(r: NoiseResult): void {
    this.table.replaceChildren();
    const head = element('tr');
    // The correction undoes the shrinkage of drawing without replacement from N images, as in
    // docs/sgd-noise.md: a flat column is a noise variance proportional to 1/B.
    for (const h of ['B', 'batches', 'E‖g_B − G‖² ± s.e.', 'B · E‖g_B − G‖²', `× (N−1)/(N−B), N = ${formatCount(r.images)}`,
      'E‖g_B − G‖² / ‖G‖²', 'cos(g_B, G)', 'batch loss, mean ± std']) {
      head.append(element('th', h));
    }
    this.table.createTHead().append(head);
    const body = this.table.createTBody();
    for (const row of r.rows) {
      const tr = element('tr');
      tr.dataset.batch = String(row.batch);
      tr.dataset.sqDist = String(row.sqDist);
      tr.dataset.lossMean = String(row.lossMean);
      tr.dataset.lossStd = String(row.lossStd);
      for (const cell of [
        String(row.batch), String(row.samples), `${num(row.sqDist)} ± ${num(row.sqDistSe)}`, num(row.scaled), num(row.corrected),
        num(row.noiseToSignal), num(row.cosine), `${row.lossMean.toFixed(4)} ± ${row.lossStd.toFixed(4)}`,
      ]) tr.append(element('td', cell));
      body.append(tr);
    }
  }
}

function summarise(r: NoiseResult): string {
  const first = r.rows[0];
  const last = r.rows[r.rows.length - 1];
  const parts = [`Weights: ${r.weights}. Over the first ${formatCount(r.images)} training images the loss is ${r.fullLoss.toFixed(4)} ` +
    `and ‖G‖² = ${num(r.fullGradNormSq)}; ${r.samples} batches per size, measured in ${formatSeconds(r.seconds)}.`];
  if (last !== first) {
    parts.push(`From B = ${first.batch} to B = ${last.batch} the noise falls ${(first.sqDist / last.sqDist).toFixed(0)}× ` +
      `(the batch is ${last.batch / first.batch}× larger).`);
  }
  const ref = r.rows.find((row) => row.batch === REFERENCE_B);
  if (ref) {
    parts.push(`At B = ${REFERENCE_B} the noise is ${num(ref.noiseToSignal)}× the signal ‖G‖², and a batch's loss is ` +
      `${ref.lossMean.toFixed(3)} ± ${ref.lossStd.toFixed(3)}: the loss chart above jumps by that much even before the weights move.`);
  }
  return parts.join(' ');
}
