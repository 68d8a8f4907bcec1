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

export function createReporter(io: CliIo, showBar: boolean): Reporter {
  let bar: cliProgress.SingleBar | null = null;
  let barEpoch = 0;
  const log = (line: string) => {
    // Clear the bar's line first so log lines never interleave with it.
    if (bar) process.stdout.write('\r\x1b[K');
    io.out(line);
    if (bar) bar.render();
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
      if (!showBar) return;
      if (!bar || barEpoch !== p.epoch) {
        bar?.stop();
        barEpoch = p.epoch;
        bar = new cliProgress.SingleBar({
          format: `epoch ${p.epoch} [{bar}] {value}/{total} steps | {rate} samples/s | loss {loss} | ETA {eta_formatted}`,
          hideCursor: true,
          clearOnComplete: true,
        }, cliProgress.Presets.shades_classic);
        bar.start(p.stepsPerEpoch, 0, { rate: '-', loss: '-' });
      }
      bar.update(p.stepInEpoch, { rate: p.samplesPerSec.toFixed(0), loss: p.lastLoss.toFixed(4) });
    },
    close() {
      bar?.stop();
      bar = null;
    },
  };
}
