// The page that `npm run bench` (browser runtime) drives through Playwright: it runs the whole
// benchmark on navigator.gpu and returns the result; progress lines come back through a function
// the CLI exposes on window. MNIST, for time to accuracy, comes from the server's /mnist/ route.
import { runBench } from '../bench/run.ts';
import { BENCH_GPU_OPTIONS, type BenchOptions, type BenchResult } from '../bench/types.ts';
import { loadMnistFromUrl } from '../data/mnist.ts';
import { requestGpu } from '../gpu/context.ts';

export interface BenchWindow {
  runHeadlessBench(options: BenchOptions): Promise<BenchResult>;
  /** Skips the sections not yet started (Ctrl-C in the terminal). */
  stopHeadlessBench(): void;
  benchEvent(line: string): Promise<void>;
  benchReady: boolean;
}

const w = window as unknown as BenchWindow;
let stopRequested = false;

w.stopHeadlessBench = () => void (stopRequested = true);

w.runHeadlessBench = async (options: BenchOptions): Promise<BenchResult> => {
  const ctx = await requestGpu(BENCH_GPU_OPTIONS);
  try {
    return await runBench(ctx, options, { runtime: 'browser', runtimeVersion: '', userAgent: navigator.userAgent },
      (line) => void w.benchEvent(line), () => stopRequested, () => loadMnistFromUrl('/mnist/'));
  } finally {
    ctx.destroy();
  }
};
w.benchReady = true;
