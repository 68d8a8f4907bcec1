// The benchmark's result, as written to bench/results/<date>-<adapter>.json. Every figure is a
// median over timed repeats after an untimed warm-up; `repeats` and `inner` (units per timed
// submit) say how it was measured.
import type { AdapterSummary } from '../gpu/context.ts';
import type { KernelSummary, Trial } from '../gpu/kernel-choice.ts';
import type { MatmulVariant } from '../gpu/kernels/matmul.ts';
import type { AccuracyRow } from './accuracy.ts';
import type { BenchModel } from './networks.ts';
import type { Timing } from './timing.ts';

export const BENCH_SECTIONS = ['ceiling', 'matmul', 'training', 'cpu', 'toy', 'data', 'peers', 'accuracy'] as const;
export type BenchSection = (typeof BENCH_SECTIONS)[number];
/** What runs unless --sections says otherwise: every section but time to accuracy, which trains
 * on the whole of MNIST (hours on a CPU adapter) and is asked for with --time-to-accuracy. */
export const DEFAULT_SECTIONS: readonly BenchSection[] = BENCH_SECTIONS.filter((s) => s !== 'accuracy');

/** What the benchmark asks of the device beyond training: per-dispatch GPU time (section 3's
 * split) where the adapter offers timestamp queries. */
export const BENCH_GPU_OPTIONS = { optionalFeatures: ['timestamp-query'] as GPUFeatureName[] };

export interface BenchOptions {
  quick: boolean;
  /** Timed repeats per figure (the median is reported). */
  repeats: number;
  /** Batch sizes of the matmul shapes and of the training step. */
  batches: number[];
  variants: MatmulVariant[];
  sections: BenchSection[];
  /** Read-back intervals per timed trainer run (runEpoch over a synthetic split). */
  trainerChunks: number;
  /** Steps per read-back interval of the timed trainer; null: the recipe's 50 at batch 32, the
   * same 1,600 samples per read-back at other batch sizes. */
  readbackEvery: number | null;
  /** Rough time per timed run of a GPU figure, in ms. */
  targetMs: number;
  /** Toy network widths n (an n-n-2 network; 2 is the notebook's 2-2-2 on its own data). */
  toyWidths: number[];
}

export interface ValidationCheck {
  /** What was compared, e.g. "matmul vec4 fc1 forward B=32". */
  name: string;
  ok: boolean;
  maxAbs: number;
  atol: number;
  rtol: number;
  /** The first mismatching (gpu, ref) pairs, when not ok. */
  detail?: string;
}

export interface CeilingResult {
  /** bench_fma (x * m + c): GFLOP/s. */
  fmaGflops: number;
  /** bench_fma_builtin (fma()): GFLOP/s. */
  fmaBuiltinGflops: number;
  /** The better of the two: the adapter's arithmetic peak as this benchmark measures it. */
  peakGflops: number;
  fmaShape: { invocations: number; iters: number; flops: number };
  copyGBps: number;
  copyBytes: number;
  /** One dispatch of one invocation doing nothing, inside a pass of many. */
  emptyDispatchUs: number;
  /** An empty submit followed by a 4-byte buffer read-back (mapAsync). */
  submitReadbackMs: number;
  timings: Record<'fma' | 'fmaBuiltin' | 'copy' | 'empty' | 'submitReadback', Timing>;
}

export type MatmulRole = 'forward' | 'backward dX' | 'backward dW';

export interface MatmulRow {
  variant: MatmulVariant;
  /** The variant that ran: vec4 falls back to blocked on shapes it cannot read as vec4. */
  ran: MatmulVariant;
  batch: number;
  layer: string;
  role: MatmulRole;
  M: number;
  N: number;
  K: number;
  transA: boolean;
  transB: boolean;
  epilogue: string;
  flops: number;
  /** null when validation failed (nothing is timed that does not match its twin). */
  ms: number | null;
  gflops: number | null;
  /** Median over interleaved rounds of (this kernel's GFLOP/s) / (the FMA peak shader's, timed
   * right after it in the same round). */
  fractionOfPeak: number | null;
  /** The FMA peak shader's median GFLOP/s in those rounds. */
  peakGflopsBeside: number | null;
  timing: Timing | null;
}

export interface KernelShare {
  label: string;
  /** Median ms of this dispatch repeated alone (many per submit). */
  standaloneMs: number;
  /** Median GPU time of this dispatch inside the step, from timestamp queries (one pass per
   * dispatch); null where the adapter offers none. */
  timestampMs: number | null;
  /** Share of the step: of the timestamp total where measured, else of the standalone sum. */
  share: number;
  flops: number;
  bytes: number;
}

export interface TrainingRow {
  batch: number;
  /** Fused step (KernelChooser.fuse); each dispatch's variant is in its label (kernels). */
  fused: boolean;
  /** Median ms per step, the trainer's own loop (GpuTrainer.runEpoch: readbackEvery steps per
   * submit, parameter backups, loss read-backs). */
  stepMs: number;
  samplesPerSec: number;
  /** Median ms per step of the step's dispatch list encoded many times in one pass, nothing else. */
  pipelinedStepMs: number;
  /** Sum of every dispatch's standalone median. */
  sumStandaloneMs: number;
  /** The trainer's step over the sum of its kernels alone, median over interleaved rounds
   * (target at batch 32: <= 1.25). */
  stepOverSum: number;
  /** The pipelined list's step over the same sum, median over rounds. */
  pipelinedOverSum: number;
  dispatchesPerStep: number;
  flopsPerStep: number;
  bytesPerStep: number;
  /** The notebook recipe's epoch (60,000 training images, 10,000 test images), extrapolated from
   * the measured step and evaluation times, not run. */
  epochSecondsExtrapolated: number;
  evalStepMs: number;
  readbackEvery: number;
  /** Buffer read-backs (each a wait on the GPU) per read-back interval, counted during the run;
   * nothing else waits between them. */
  readsPerReadback: number;
  /** Read-backs per epoch of the recipe at this batch size. */
  waitsPerEpoch: number;
  /** GPU buffer bytes before the first timed epoch and after the last one. */
  liveBytes: { before: number; after: number };
  splitMethod: 'timestamp-query' | 'standalone';
  /** Sum of the timestamp-query times of the step's dispatches. */
  timestampSumMs: number | null;
  kernels: KernelShare[];
  timings: { step: Timing; pipelined: Timing; eval: Timing };
}

/** The CNN preset's training step (section 3): the trainer's own loop, plain SGD. */
export interface CnnStepRow {
  /** The layers as --model writes them. */
  model: string;
  batch: number;
  lr: number;
  /** Median ms per step of GpuTrainer.runEpoch, readbackEvery steps per timed interval. */
  stepMs: number;
  samplesPerSec: number;
  readbackEvery: number;
  /** The batch's gather and the step's kernels, as the trainer encodes them per step. */
  dispatchesPerStep: number;
  dispatches: string[];
  timing: Timing;
}

export interface CpuRow {
  batch: number;
  cpuStepMs: number;
  gpuStepMs: number;
  /** cpuStepMs / gpuStepMs: above 1, the GPU is faster. */
  gpuSpeedup: number;
  timing: Timing;
}

export interface ToyRow {
  /** e.g. "2-2-2 (notebook)". */
  network: string;
  width: number;
  rows: number;
  cpuEpochMs: number;
  gpuEpochMs: number;
  /** cpuEpochMs / gpuEpochMs. */
  gpuSpeedup: number;
  dispatchesPerRow: number;
  timings: { cpu: Timing; gpu: Timing };
}

/** How batches enter the GPU (section 6), per epoch of the recipe's 60,000 training images:
 * (A) upload-once, the u8 set resident and each batch gathered on the GPU by the shuffled order;
 * (B) streaming, each batch gathered on the CPU and written into a ring slot, converted there. */
export interface DataRow {
  batch: number;
  /** Steps per epoch, and per submit (one sync per epoch). */
  steps: number;
  stepsPerSubmit: number;
  /** (B)'s ring: one slot per step of a submit, each a batch of u8 rows and labels. */
  ringSlots: number;
  ringBytes: number;
  /** (A)'s u8 training set, resident for the whole run. */
  residentBytes: number;
  /** (A)'s one-time upload of the u8 images and labels, to the end of a sync. */
  uploadMs: number;
  /** (A) per epoch: the order written, every batch's gather dispatch. */
  onceEpochMs: number;
  /** (B) per epoch: CPU gather, writeBuffer and convert dispatch of every batch. */
  streamEpochMs: number;
  /** Of which the CPU gather and writeBuffer calls. */
  streamCpuMs: number;
  /** (B) / (A) per epoch, median over interleaved rounds. */
  streamOverOnce: number;
  /** (B) - (A) per epoch, median over rounds: what upload-once saves each epoch. */
  streamExtraMsPerEpoch: number;
  /** uploadMs / streamExtraMsPerEpoch: epochs until upload-once has paid for its upload; null
   * when streaming costs no more per epoch. */
  breakEvenEpochs: number | null;
  timings: { upload: Timing; once: Timing; stream: Timing };
}

/** Section 7: this trainer and TensorFlow.js (WebGPU backend) training the same network at the
 * same batch size and lr on the same adapter, timed in interleaved rounds. */
export interface PeerRow {
  /** The notebook's MLP or the CNN preset. */
  model: BenchModel;
  batch: number;
  /** Steps per timed interval; each interval ends in one loss read-back, in both trainers. */
  stepsPerReadback: number;
  oursStepMs: number;
  tfjsStepMs: number;
  oursSamplesPerSec: number;
  tfjsSamplesPerSec: number;
  /** Our samples/s over tfjs's: median over rounds of (tfjs time / our time) per interval. */
  oursOverTfjs: number;
  /** Per interval of stepsPerReadback steps. */
  timings: { ours: Timing; tfjs: Timing };
}

export interface PeersResult {
  /** e.g. "tfjs 4.22.0, tfjs-backend-webgpu 4.22.0". */
  versions: string;
  /** The adapter tfjs's WebGPU backend chose, as it reports it. */
  tfjsAdapter: { vendor: string; architecture: string };
  /** Its vendor and architecture equal this bench's adapter's. */
  sameAdapter: boolean;
  rows: PeerRow[];
}

/** Section 7's second peer: the same comparison with jax-js (its WebGPU device, one jit-compiled
 * step: valueAndGrad of the loss and the SGD update). */
export interface JaxPeerRow {
  model: BenchModel;
  batch: number;
  stepsPerReadback: number;
  oursStepMs: number;
  jaxStepMs: number;
  oursSamplesPerSec: number;
  jaxSamplesPerSec: number;
  /** Median over rounds of (jax-js time / our time) per interval. */
  oursOverJax: number;
  timings: { ours: Timing; jax: Timing };
}

export interface JaxPeersResult {
  /** e.g. "jax-js 0.1.25"; '' when it could not load. */
  version: string;
  adapter: { vendor: string; architecture: string };
  sameAdapter: boolean;
  /** Why jax-js did not run here (no WebGPU device for it), or null. */
  unavailable: string | null;
  rows: JaxPeerRow[];
}

export interface TargetCheck {
  name: string;
  target: string;
  measured: string;
  /** null: a real-GPU target measured on a CPU fallback adapter, reported but not judged. */
  holds: boolean | null;
}

export interface BenchEnvironment {
  runtime: 'browser' | 'node';
  /** Chromium's version for the browser runtime, Dawn's npm package for Node. */
  runtimeVersion: string;
  userAgent: string;
  /** Filled by the CLI (the page cannot see them). */
  host?: { node: string; platform: string; cpus: number; cpuModel: string; loadAverage: number[] };
}

export interface BenchResult {
  schema: 1;
  date: string;
  mode: 'quick' | 'full';
  options: BenchOptions;
  environment: BenchEnvironment;
  adapter: AdapterSummary;
  /** Every kernel is compared with its CPU twin before it is timed. */
  validation: { passed: boolean; checks: ValidationCheck[] };
  ceiling: CeilingResult | null;
  matmul: MatmulRow[];
  training: TrainingRow[];
  /** The CNN preset's step, timed in the training section. */
  cnnTraining: CnnStepRow[];
  cpuReference: CpuRow[];
  toy: { rows: ToyRow[]; crossoverWidth: number | null } | null;
  /** Section 6, with a conclusion computed from the figures at the recipe's batch size (or the
   * first measured) for the recipe's epochs. */
  data: { rows: DataRow[]; epochs: number; choice: 'upload-once' | 'streaming'; conclusion: string } | null;
  /** The training step's kernels: the variant chosen for each matmul shape, and the trials
   * (run fresh, ignoring any cache) that chose them. */
  kernelChoice: (KernelSummary & { trials: Trial[] }) | null;
  peers: PeersResult | null;
  jaxPeer: JaxPeersResult | null;
  /** Time to accuracy, when asked for (--time-to-accuracy): one row per recipe. */
  timeToAccuracy: AccuracyRow[] | null;
  /** Set when a stop request (Ctrl-C) skipped sections; absent in results older than it. */
  interrupted?: { skippedSections: BenchSection[] } | null;
  targets: TargetCheck[];
  notes: string[];
  totalSeconds: number;
}
