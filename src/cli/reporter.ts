// What a training run prints in the terminal: the adapter (with a warning on CPU fallbacks), a
// progress bar with samples/s and ETA on terminals, and the notebook's log lines.
import cliProgress from 'cli-progress';
import { describeAdapter, type AdapterSummary } from '../gpu/context.ts';
import type { Progress, TrainEvents } from '../train/trainer.ts';
import type { CliIo } from './common.ts';
import type { KernelSummary } from '../gpu/kernel-choice.ts';

export interface Reporter extends TrainEvents {
  ready(info: { adapter: AdapterSummary | null; kernels: KernelSummary | null }): void;
  close(): void;
}

/** The terminal the bar is drawn on: it must be where the log lines go too (stdout), so that
 * a line is always written above the bar, never across it. */
export type BarStream = NodeJS.WritableStream & { isTTY?: boolean; columns?: number };

export function createReporter(io: CliIo, barStream: BarStream | null): Reporter {
  // cli-progress's SingleBar saves the cursor when it starts and restores it when it stops, which
  // moves the cursor back above every line printed meanwhile; its MultiBar instead writes queued
  // log lines above the bar on its own line, and on stop clears only the bar's line.
  let bars: cliProgress.MultiBar | null = null;
  let bar: cliProgress.SingleBar | null = null;
  let barEpoch = 0;
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
      io.out(`adapter: ${describeAdapter(adapter)}${kernels ? `; kernels ${JSON.stringify(kernels)}` : ''}`);
      if (adapter.isFallbackAdapter) {
        io.out('warning: this is a CPU fallback adapter (software Vulkan), not a GPU: expect GPU numbers to be far higher.');
      }
    },
    onLog: log,
    onProgress(p: Progress) {
      if (!barStream) return;
      bars ??= new cliProgress.MultiBar({
        stream: barStream,
        format: 'epoch {epoch} [{bar}] {value}/{total} steps | {rate} samples/s | loss {loss} | ETA {eta_formatted}',
        clearOnComplete: true,
        // Neither hide the cursor nor turn off line wrapping: a run ended by Ctrl-C (no chance to
        // stop the bar) must leave the terminal as it found it.
        hideCursor: false,
        linewrap: true,
        // A log line overwrites the bar's line: redraw it even when its text has not changed.
        forceRedraw: true,
      }, cliProgress.Presets.shades_classic);
      const payload = { epoch: p.epoch, rate: p.samplesPerSec.toFixed(0), loss: p.lastLoss.toFixed(4) };
      if (!bar) bar = bars.create(p.stepsPerEpoch, p.stepInEpoch, payload);
      else if (barEpoch !== p.epoch) bar.start(p.stepsPerEpoch, p.stepInEpoch, payload);
      else bar.update(p.stepInEpoch, payload);
      barEpoch = p.epoch;
    },
    close() {
      bars?.stop();
      bars = null;
      bar = null;
    },
  };
}
