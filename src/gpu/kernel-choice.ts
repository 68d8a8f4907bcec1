// Which variant runs each matmul, bias gradient and convolution of a step. A problem (shape, layout, epilogue)
// gets a short trial on its own shape the first time an adapter meets it: every candidate is
// first checked against the CPU twin, then timed, and the fastest wins. Choices are kept for the
// process and in a persistent cache (kernel-cache.ts), so a second run starts without trials.
// A forced variant (--matmul) skips all of it.
import { randomArray } from '../data/prng.ts';
import { conv2dCpu, conv2dInputGradCpu, conv2dOutSize, type Conv2dShape } from '../reference/conv.ts';
import { biasGradCpu, matmulCpu } from '../reference/kernels.ts';
import { biasGradTolerance, compareArrays, TOLERANCES } from '../reference/tolerance.ts';
import type { GpuContext } from './context.ts';
import type { Dispatch } from './dispatch.ts';
import { cacheKeyFor, defaultKernelCache, type KernelCache, type KernelChoices } from './kernel-cache.ts';
import { BIAS_GRAD_VARIANTS, biasGradDispatch, type BiasGradVariant } from './kernels/bias-grad.ts';
import {
  CONV2D_VARIANTS,
  conv2dForwardDispatch,
  conv2dInputGradDispatch,
  conv2dProblemKey,
  conv2dVariantsFor,
  defaultConv2dVariant,
  type Conv2dDirection,
  type Conv2dVariant,
} from './kernels/conv2d.ts';
import {
  MATMUL_VARIANTS,
  matmulDispatch,
  matmulProblemKey,
  matmulVariantsFor,
  resolveMatmulVariant,
  STORE,
  type BiasUpdate,
  type MatmulDims,
  type MatmulEpilogue,
  type MatmulVariant,
} from './kernels/matmul.ts';
import { OptimizerParams, type UpdateEpilogue } from './kernels/optimizer.ts';
import { plainSgd } from '../model/optimizers.ts';
import { runDispatches } from './runner.ts';
import { shaders } from './shaders.ts';
import type { KernelSummary } from './kernel-summary.ts';

export type { KernelSummary } from './kernel-summary.ts';

/** One candidate's trial: milliseconds per dispatch (the fastest of its timed runs), or null when
 * it did not match the CPU twin. */
export interface Trial {
  problem: string;
  variant: string;
  ms: number | null;
}

/** A timed run should last this long, so the wait for the GPU at its end is a small share. */
const TARGET_MS = 10;
/** A candidate this many times slower than the best so far stops being timed. */
const HOPELESS = 3;

const now = (): number => performance.now();

/** Milliseconds per dispatch of `d`: compiled and warmed up, then dispatched in runs long enough
 * to dwarf the wait for the GPU, the fastest of three. Stops early once it cannot win. */
async function timeDispatch(ctx: GpuContext, d: Dispatch, best: number): Promise<number> {
  await runDispatches(ctx, [d]);
  let reps = 1;
  let t0 = now();
  await runDispatches(ctx, [d]);
  let total = now() - t0;
  while (total < TARGET_MS && reps < 4096 && total / reps < HOPELESS * best) {
    reps *= 4;
    t0 = now();
    await runDispatches(ctx, [d], reps);
    total = now() - t0;
  }
  let fastest = total / reps;
  for (let r = 0; r < 2 && fastest < HOPELESS * best; r++) {
    t0 = now();
    await runDispatches(ctx, [d], reps);
    fastest = Math.min(fastest, (now() - t0) / reps);
  }
  return fastest;
}

/** The validate-then-time loop of every trial: each candidate is first checked against the CPU
 * twin (`matches`), then timed; the fastest match wins. Every candidate's outcome goes to
 * `trials`; no match at all means this adapter's results cannot be trusted, and throws. */
async function fastestMatch<V extends string>(
  ctx: GpuContext,
  problem: string,
  candidates: readonly V[],
  matches: (v: V) => Promise<boolean>,
  dispatch: (v: V) => Dispatch,
  trials: Trial[],
): Promise<V> {
  let best = Infinity;
  let winner: V | null = null;
  for (const variant of candidates) {
    if (!(await matches(variant))) {
      trials.push({ problem, variant, ms: null });
      continue;
    }
    const ms = await timeDispatch(ctx, dispatch(variant), best);
    trials.push({ problem, variant, ms });
    if (ms < best) {
      best = ms;
      winner = variant;
    }
  }
  if (!winner) throw new Error(`no variant matched the CPU twin on ${problem}: this adapter's results cannot be trusted`);
  return winner;
}

/** Candidates in the order most likely to win first, so the early stop spends little on the
 * rest: many small workgroups and shared-memory tiles on GPUs; on CPU adapters only the register
 * blocking family, since shared memory and barriers cost them one to two orders of magnitude (the
 * bench's matmul section times every variant there, bench/results). */
function matmulCandidates(ctx: GpuContext, dims: MatmulDims): MatmulVariant[] {
  const order: MatmulVariant[] = ctx.adapter.isFallbackAdapter
    ? ['vec4', 'blocked', 'naive']
    : ['skinny-subgroups', 'skinny', 'tiled32', 'tiled', 'naive', 'blocked', 'vec4'];
  const available = new Set(matmulVariantsFor(ctx));
  const seen = new Set<MatmulVariant>();
  return order.filter((v) => {
    const ran = resolveMatmulVariant(v, dims);
    if (!available.has(v) || seen.has(ran)) return false;
    seen.add(ran);
    return true;
  });
}

/** The problem cut down to at most 67 along each axis, for validation: the same layout and every
 * edge path (67 is a multiple of no tile), at a fraction of a large shape's cost. */
const reduced = (dims: MatmulDims): MatmulDims => ({ ...dims, M: Math.min(dims.M, 67), N: Math.min(dims.N, 67), K: Math.min(dims.K, 67) });

/** Whether `variant` computes the product of `dims` as the CPU twin does. */
async function matchesTwin(ctx: GpuContext, variant: MatmulVariant, dims: MatmulDims): Promise<boolean> {
  const { M, N, K } = dims;
  const a = randomArray(M * K, M + 7 * K);
  const b = randomArray(K * N, N + 11 * K);
  const release = ctx.trackNewBuffers();
  try {
    const bufs = { a: ctx.storage('check A', a), b: ctx.storage('check B', b), c: ctx.storage('check C', M * N * 4) };
    await runDispatches(ctx, [matmulDispatch(ctx, variant, bufs, dims, STORE)]);
    return compareArrays(await ctx.readF32(bufs.c, M * N), matmulCpu(a, b, null, dims), TOLERANCES.matmul).ok;
  } finally {
    release();
  }
}

/** The update epilogue's trial: the same optimizer, keeping the same state, at lr 0 (C stays as
 * it is, run after run) from step 1 (t = 0 would divide by a zero bias correction). */
function trialUpdate(ctx: GpuContext, like: UpdateEpilogue & { bias?: BiasUpdate }, M: number, N: number): MatmulEpilogue {
  const { kind, stateFloats: S } = like.optimizer;
  const optimizer = OptimizerParams.create(ctx, { ...plainSgd(0), kind, momentum: kind === 'sgd' && S > 0 ? 0.5 : 0 }, 1);
  const state = (n: number) => (S > 0 ? ctx.storage('trial state', S * n * 4) : null);
  return { kind: 'update', optimizer, state: state(M * N), record: ctx.storage('trial record', 16),
    ...(like.bias ? { bias: { param: ctx.storage('trial bias', M * 4), state: state(M) } } : {}) };
}

/** `like` (an epilogue as training runs it) of the same kind on buffers of its own, for timing a
 * problem outside a step (a trial, the bench); its buffers are the caller's to release. */
export function timingEpilogue(ctx: GpuContext, { M, N }: MatmulDims, like: MatmulEpilogue): MatmulEpilogue {
  return like.kind === 'bias' ? { ...like, bias: ctx.storage('trial bias', N * 4), ...(like.pre ? { pre: ctx.storage('trial pre', M * N * 4) } : {}) }
    : like.kind === 'activation-backward' ? { ...like, kept: ctx.storage('trial kept', new Float32Array(M * N).fill(0.5)) }
      : like.kind === 'update' ? trialUpdate(ctx, like, M, N)
        : STORE;
}

/** The trial of one problem: `like` is the epilogue as training runs it; the trial builds the same
 * kind on buffers of its own. */
async function trialMatmul(ctx: GpuContext, dims: MatmulDims, like: MatmulEpilogue, trials: Trial[]): Promise<MatmulVariant> {
  const { M, N, K } = dims;
  const release = ctx.trackNewBuffers();
  try {
    const bufs = { a: ctx.storage('trial A', randomArray(M * K, 1)), b: ctx.storage('trial B', randomArray(K * N, 2)), c: ctx.storage('trial C', M * N * 4) };
    const epilogue = timingEpilogue(ctx, dims, like);
    return await fastestMatch(ctx, matmulProblemKey(dims, epilogue), matmulCandidates(ctx, dims),
      (variant) => matchesTwin(ctx, variant, reduced(dims)), (variant) => matmulDispatch(ctx, variant, bufs, dims, epilogue), trials);
  } finally {
    release();
  }
}

async function trialBiasGrad(ctx: GpuContext, M: number, N: number, trials: Trial[]): Promise<BiasGradVariant> {
  const release = ctx.trackNewBuffers();
  try {
    const dY = randomArray(M * N, M + 13 * N);
    const bufs = { dY: ctx.storage('trial dY', dY), db: ctx.storage('trial db', N * 4) };
    const want = biasGradCpu(dY, M, N);
    const dispatch = (variant: BiasGradVariant) => biasGradDispatch(ctx, variant, bufs, { M, N });
    const matches = async (variant: BiasGradVariant) => {
      await runDispatches(ctx, [dispatch(variant)]);
      return compareArrays(await ctx.readF32(bufs.db, N), want, biasGradTolerance(M)).ok;
    };
    return await fastestMatch(ctx, `bias ${M}x${N}`, BIAS_GRAD_VARIANTS, matches, dispatch, trials);
  } finally {
    release();
  }
}

/** One direction of a convolution: every variant that can run it, checked against the CPU twin
 * on the same shape at batch 3 at most (every edge path, a fraction of the cost), then timed at
 * the full shape. The epilogues (bias, activation) ride along in every variant alike, so the
 * trial runs without them. */
async function trialConv2d(ctx: GpuContext, direction: Conv2dDirection, shape: Conv2dShape, trials: Trial[]): Promise<Conv2dVariant> {
  const release = ctx.trackNewBuffers();
  try {
    const operands = (s: Conv2dShape, seed: number) => {
      const { OH, OW } = conv2dOutSize(s);
      const { batch, inC, outC, H, W, k } = s;
      const x = randomArray(batch * inC * H * W, seed);
      const w = randomArray(outC * inC * k * k, seed + 1);
      const dy = randomArray(batch * outC * OH * OW, seed + 2);
      const [input, output] = direction === 'forward' ? [x, batch * outC * OH * OW] : [dy, batch * inC * H * W];
      const bufs = { x: ctx.storage('trial x', input), dy: ctx.storage('trial dy', input), w: ctx.storage('trial w', w), y: ctx.storage('trial y', output * 4) };
      const dispatch = (v: Conv2dVariant) => (direction === 'forward'
        ? conv2dForwardDispatch(ctx, bufs, s, {}, v)
        : conv2dInputGradDispatch(ctx, { dy: bufs.dy, w: bufs.w, dx: bufs.y }, s, undefined, v));
      const want = () => (direction === 'forward' ? conv2dCpu(x, w, null, s) : conv2dInputGradCpu(dy, w, s));
      return { dispatch, want, out: bufs.y, output };
    };
    const check = operands({ ...shape, batch: Math.min(shape.batch, 3) }, shape.inC + 7 * shape.H);
    const want = check.want();
    const matches = async (v: Conv2dVariant) => {
      await runDispatches(ctx, [check.dispatch(v)]);
      return compareArrays(await ctx.readF32(check.out, check.output), want, TOLERANCES.conv2d).ok;
    };
    const timed = operands(shape, 1);
    return await fastestMatch(ctx, conv2dProblemKey(direction, shape), conv2dVariantsFor(direction, shape), matches, timed.dispatch, trials);
  } finally {
    release();
  }
}

const MATMUL_PROBLEM = /^\d+x\d+x\d+( A\^T)?( B\^T)? [\w+-]+$/;
const BIAS_PROBLEM = /^bias \d+x\d+$/;
const CONV_PROBLEM = /^conv2d (forward|input-grad) \d+x\d+x\d+x\d+->\d+ k\d+s\d+p\d+$/;

/** The cached choices that this version can use: a problem key of either family's form with a
 * variant that family has. The cache promises that whatever it holds costs at most a trial, so
 * anything else (an unknown or renamed variant, a malformed key, a file that is not a map of
 * strings) is left out and counted. */
export function validChoices(stored: unknown): { valid: KernelChoices; rejected: number } {
  const valid: KernelChoices = {};
  if (!stored || typeof stored !== 'object' || Array.isArray(stored)) return { valid, rejected: stored === undefined ? 0 : 1 };
  let rejected = 0;
  for (const [problem, variant] of Object.entries(stored)) {
    const known = typeof variant === 'string' && (
      (MATMUL_PROBLEM.test(problem) && (MATMUL_VARIANTS as readonly string[]).includes(variant)) ||
      (BIAS_PROBLEM.test(problem) && (BIAS_GRAD_VARIANTS as readonly string[]).includes(variant)) ||
      (CONV_PROBLEM.test(problem) && (CONV2D_VARIANTS as readonly string[]).includes(variant)));
    if (known) valid[problem] = variant;
    else rejected++;
  }
  return { valid, rejected };
}

/** Choices of this process, per adapter and kernel source: a second session (a sweep's next run,
 * the dashboard's next Train) asks no trial. */
const known = new Map<string, Map<string, Promise<string>>>();
let trialQueue: Promise<unknown> = Promise.resolve();

export interface KernelChooserOptions {
  /** One matmul variant everywhere, no trials (--matmul). */
  force?: MatmulVariant;
  /** false: the unfused path (--no-fuse). */
  fuse?: boolean;
  /** Persistent choices; default: defaultKernelCache(). null: none. */
  cache?: KernelCache | null;
  /** Ignore what this process and the cache already know: every problem gets its trial (the
   * bench reports them). The results still go to the cache. */
  fresh?: boolean;
  /** Variants to use as they are, by problem (a checkpoint's: a resumed run must round as the
   * run it continues did); other problems are chosen as usual. */
  pinned?: Record<string, string>;
}

export class KernelChooser {
  readonly fuse: boolean;
  readonly forced: MatmulVariant | null;
  /** Every trial this chooser ran, in order (empty when all choices were known). */
  readonly trials: Trial[] = [];
  /** Every matmul problem asked of this chooser, first ask first: what the steps it served run
   * (the bench times exactly these). */
  readonly problems = new Map<string, { dims: MatmulDims; epilogue: MatmulEpilogue }>();
  private readonly summaryMatmul: Record<string, MatmulVariant> = {};
  private readonly summaryBias: Record<string, BiasGradVariant> = {};
  private readonly summaryConv: Record<string, Conv2dVariant> = {};
  private readonly choices: Map<string, Promise<string>>;
  private readonly pinned: Record<string, string>;

  private constructor(
    private readonly ctx: GpuContext,
    private readonly cache: KernelCache | null,
    private readonly cacheKey: string,
    opts: KernelChooserOptions,
  ) {
    this.fuse = opts.fuse ?? true;
    this.forced = opts.force ?? null;
    this.pinned = opts.pinned ?? {};
    let choices = opts.fresh ? new Map<string, Promise<string>>() : known.get(cacheKey);
    if (!choices) known.set(cacheKey, (choices = new Map()));
    this.choices = choices;
  }

  static async create(ctx: GpuContext, opts: KernelChooserOptions = {}): Promise<KernelChooser> {
    const a = ctx.adapter;
    const cacheKey = cacheKeyFor([a.runtime, a.vendor, a.architecture, a.device, a.description],
      shaders.matmul + shaders.matmulSubgroups + shaders.biasGrad + shaders.conv2d);
    const cache = opts.cache === undefined ? await defaultKernelCache() : opts.cache;
    const chooser = new KernelChooser(ctx, cache, cacheKey, opts);
    if (cache && !opts.force && !opts.fresh) {
      const { valid, rejected } = validChoices(await cache.load(cacheKey).catch((): unknown => ({})));
      for (const [problem, variant] of Object.entries(valid)) {
        if (!chooser.choices.has(problem)) chooser.choices.set(problem, Promise.resolve(variant));
      }
      // A hand-edited file, or one from a version that named its variants otherwise: what is left
      // is written back, so the bad entries are gone for the next run too.
      if (rejected > 0) await chooser.persist();
    }
    return chooser;
  }

  /** The variant for this matmul: forced, known, or from a trial now. */
  async matmul(dims: MatmulDims, epilogue: MatmulEpilogue): Promise<MatmulVariant> {
    const problem = matmulProblemKey(dims, epilogue);
    if (!this.problems.has(problem)) this.problems.set(problem, { dims, epilogue });
    const pinned = this.pinned[problem] as MatmulVariant | undefined;
    const variant = this.forced
      ? resolveMatmulVariant(this.forced, dims)
      : pinned && matmulVariantsFor(this.ctx).includes(pinned) ? pinned
      : ((await this.choose(problem, () => trialMatmul(this.ctx, dims, epilogue, this.trials))) as MatmulVariant);
    this.summaryMatmul[problem] = variant;
    return variant;
  }

  /** The variant of a bias gradient (column sums of an (M, N) dz). */
  async biasGrad(M: number, N: number): Promise<BiasGradVariant> {
    const problem = `bias ${M}x${N}`;
    const pinned = this.pinned[problem] as BiasGradVariant | undefined;
    const variant = pinned && BIAS_GRAD_VARIANTS.includes(pinned) ? pinned
      : ((await this.choose(problem, () => trialBiasGrad(this.ctx, M, N, this.trials))) as BiasGradVariant);
    this.summaryBias[problem] = variant;
    return variant;
  }

  /** The variant of one direction of a convolution. --matmul (forced) leaves convolutions to
   * the rule of thumb, with no trial. */
  async conv2d(direction: Conv2dDirection, shape: Conv2dShape): Promise<Conv2dVariant> {
    const problem = conv2dProblemKey(direction, shape);
    const pinned = this.pinned[problem] as Conv2dVariant | undefined;
    const variant = pinned && conv2dVariantsFor(direction, shape).includes(pinned) ? pinned
      : this.forced ? defaultConv2dVariant(direction, shape)
      : ((await this.choose(problem, () => trialConv2d(this.ctx, direction, shape, this.trials))) as Conv2dVariant);
    this.summaryConv[problem] = variant;
    return variant;
  }

  summary(): KernelSummary {
    return { fuse: this.fuse, forced: this.forced, matmul: { ...this.summaryMatmul }, biasGrad: { ...this.summaryBias }, conv2d: { ...this.summaryConv } };
  }

  private choose(problem: string, trial: () => Promise<string>): Promise<string> {
    let choice = this.choices.get(problem);
    if (!choice) {
      // One trial at a time: two timed at once would slow each other down.
      choice = trialQueue.then(trial);
      trialQueue = choice.catch(() => {});
      this.choices.set(problem, choice);
      // A failed trial is not remembered: the next request tries again (and fails the same way
      // if the adapter really cannot run any variant correctly).
      void choice.then(() => this.persist(), () => this.choices.delete(problem));
    }
    return choice;
  }

  /** Writes every settled choice to the cache. */
  async persist(): Promise<void> {
    if (!this.cache) return;
    const settled = await Promise.allSettled([...this.choices].map(async ([problem, choice]) => [problem, await choice] as const));
    const entries: KernelChoices = {};
    for (const s of settled) if (s.status === 'fulfilled') entries[s.value[0]] = s.value[1];
    await this.cache.save(this.cacheKey, entries).catch(() => {});
  }
}
