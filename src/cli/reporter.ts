// What a training run prints in the terminal: the adapter (with a warning on CPU fallbacks), a
// progress bar with samples/s, loss and the run's ETA on terminals, and the notebook's log lines.
import cliProgress from 'cli-progress';
import { formatSeconds } from '../app/dom.ts';
import { RunClock } from '../app/run-clock.ts';
import { describeAdapter, type AdapterSummary } from '../gpu/context.ts';
import { matmulVariantCounts, type KernelSummary } from '../gpu/kernel-summary.ts';
import type { Progress, TrainEvents } from '../train/trainer.ts';
import type { CliIo } from './common.ts';

export interface Reporter extends TrainEvents {
  ready(info: { adapter: AdapterSummary | null; kernels: KernelSummary | null }): void;
  /** A line for standard error (e.g. what Ctrl-C does), or for the terminal while the bar is drawn
   * there: on a line of its own, never glued to the bar. */
  notice(line: string): void;
  close(): void;
}

/** The terminal the bar is drawn on: it must be where the log lines go too (stdout), so that
 * a line is always written above the bar, never across it. */
export type BarStream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

export interface BarOptions {
  stream: BarStream;
  /** The run's epochs, for its ETA. */
  epochs: number;
  /** Milliseconds, for tests (default performance.now). */
  now?: () => number;
}

/** The kernels chosen, in a few words; the choice per matrix shape is in the --json report. */
export function kernelsLine(k: KernelSummary): string {
  const matmul = matmulVariantCounts(k).map(([v, n]) => `${v} x${n}`).join(', ');
  const convs = Object.keys(k.conv2d).length;
  return `kernels: ${k.fuse ? 'fused' : 'unfused'}, matmul ${matmul || 'none yet'} shapes${k.forced ? ' (forced by --matmul)' : ''}` +
    (convs ? `, ${convs} convolution ${convs === 1 ? 'pass' : 'passes'}` : '');
}

export interface BarFields {
  epoch: number;
  epochs: number;
  step: number;
  steps: number;
  samplesPerSec: number;
  loss: number;
  /** Seconds the run still needs; null before its pace is known. */
  etaSeconds: number | null;
}

/** Cells the bar itself takes: at least BAR_MIN (less says nothing), at most BAR_MAX. */
const BAR_MIN = 10;
const BAR_MAX = 40;

/** Columns left free at the line's end: the terminal's echo of Ctrl-C (`^C`), and the last column,
 * which some terminals wrap at. A wrapped line would stay on screen when the bar is redrawn. */
const SPARE_COLUMNS = 3;

/** The progress line for a terminal `cols` wide (70 or more). The bar shrinks first, then the
 * rate goes; epoch, steps, loss and ETA stay. */
export function formatBarLine(f: BarFields, cols: number): string {
  const left = `epoch ${f.epoch}/${f.epochs} `;
  const steps = ` ${f.step}/${f.steps}`;
  const rate = ` | ${f.samplesPerSec.toFixed(0)} samples/s`;
  const tail = ` | loss ${f.loss.toFixed(4)} | run ETA ${f.etaSeconds === null ? '--' : formatSeconds(f.etaSeconds)}`;
  const room = (withRate: boolean) => cols - SPARE_COLUMNS - left.length - 2 - steps.length - (withRate ? rate.length : 0) - tail.length;
  const withRate = room(true) >= BAR_MIN;
  const width = Math.min(BAR_MAX, Math.max(BAR_MIN, room(withRate)));
  const done = Math.round((width * f.step) / f.steps);
  return `${left}[${'\u2588'.repeat(done)}${'\u2591'.repeat(width - done)}]${steps}${withRate ? rate : ''}${tail}`;
}

export function createReporter(io: CliIo, barOptions: BarOptions | null): Reporter {
  // cli-progress's SingleBar saves the cursor when it starts and restores it when it stops, which
  // moves the cursor back above every line printed meanwhile; its MultiBar instead writes queued
  // log lines above the bar on its own line, and on stop clears only the bar's line.
  let bars: cliProgress.MultiBar | null = null;
  let bar: cliProgress.SingleBar | null = null;
  // The run's pace from the first progress on (so a resumed run and the kernels' start-up cost do
  // not skew it); evaluations and read-backs count in it once the run has passed them.
  const clock = new RunClock(barOptions?.now);
  let firstStep: number | null = null;
  const log = (line: string) => {
    if (!bars) return io.out(line);
    bars.log(`${line}\n`);
    bars.update();
  };
  return {
    ready({ adapter, kernels }) {
      if (!adapter) {
        io.out('device: CPU reference (plain TypeScript, float64 accumulation)');
        return;
      }
      io.out(`adapter: ${describeAdapter(adapter)}`);
      if (kernels) io.out(kernelsLine(kernels));
      if (adapter.isFallbackAdapter) {
        io.out('warning: this is a CPU fallback adapter (software Vulkan), not a GPU: expect GPU numbers to be far higher.');
      }
    },
    onLog: log,
    // While the bar is drawn, through the bar's own stream like a log line (which clears the bar's
    // line, ^C echo and all, first): standard error may reach the terminal later, through the
    // launcher's filter (src/node/launch.mjs), and land after the bar redrawn meanwhile.
    notice: (line) => (bars ? log(line) : io.err(line)),
    onProgress(p: Progress) {
      if (!barOptions) return;
      const { stream, epochs } = barOptions;
      const step = (p.epoch - 1) * p.stepsPerEpoch + p.stepInEpoch;
      if (firstStep === null) {
        firstStep = step;
        clock.run();
      }
      const fields: BarFields = {
        epoch: p.epoch, epochs, step: p.stepInEpoch, steps: p.stepsPerEpoch, samplesPerSec: p.samplesPerSec, loss: p.lastLoss,
        etaSeconds: clock.etaSeconds(step - firstStep, epochs * p.stepsPerEpoch - firstStep),
      };
      bars ??= new cliProgress.MultiBar({
        stream,
        format: (_options, params, payload: { fields: BarFields }) => formatBarLine(payload.fields, params.maxWidth),
        clearOnComplete: true,
        // Neither hide the cursor nor turn off line wrapping: a run ended by Ctrl-C (no chance to
        // stop the bar) must leave the terminal as it found it.
        hideCursor: false,
        linewrap: true,
        // A log line overwrites the bar's line: redraw it even when its text has not changed.
        forceRedraw: true,
      });
      if (!bar) bar = bars.create(p.stepsPerEpoch, p.stepInEpoch, { fields });
      else bar.update(p.stepInEpoch, { fields });
    },
    close() {
      bars?.stop();
      bars = null;
      bar = null;
    },
  };
}
