// The optimizers as the kernel tests run them, one case per row of the optimizer table
// (src/model/optimizers.ts), plus SGD with all its options: a new optimizer is tested by every
// kernel that updates parameters once it has a row there. OptimizerRun keeps one case's GPU
// uniform and run record and its CPU twin's step count in step, run after run.
import type { GpuContext } from '../../src/gpu/context.ts';
import { OptimizerParams } from '../../src/gpu/kernels/optimizer.ts';
import { createOptimizerState, OPTIMIZERS, optimizerUpdateCpu, plainSgd, type OptimizerSettings } from '../../src/model/optimizers.ts';

/** lr 1e-3 and eps 1e-2 for Adam and AdamW: a fused kernel's gradient is a sum in another order
 * than the twin's, and Adam divides it by sqrt(v) + eps, so that a near-zero gradient's rounding
 * would become a step of up to lr; with this eps its effect is at most lr / eps = 0.1 times the
 * gradient's error, inside the sums' own tolerance. (The PyTorch parity test runs eps 1e-8.) */
export const OPTIMIZER_CASES: OptimizerSettings[] = [
  ...OPTIMIZERS.map((kind): OptimizerSettings => (kind === 'sgd'
    ? { ...plainSgd(0.1), momentum: 0.9 }
    : { ...plainSgd(1e-3), kind, weightDecay: 0.01, eps: 1e-2 })),
  plainSgd(0.5),
  { ...plainSgd(0.1), momentum: 0.9, weightDecay: 0.01, nesterov: true },
];

export const caseName = (s: OptimizerSettings): string =>
  `${s.kind}${s.momentum ? ` momentum ${s.momentum}` : ''}${s.nesterov ? ' nesterov' : ''}${s.weightDecay ? ` wd ${s.weightDecay}` : ''}`;

/** Steps taken before the test's first: t starts past 1, so that a kernel that ignored stepBase
 * would fail. */
const STEP_BASE = 5;

export class OptimizerRun {
  readonly params: OptimizerParams;
  /** The run record: only its step counter is read. */
  readonly record: GPUBuffer;
  /** The step count t of the last beforeRun. */
  step = STEP_BASE;

  constructor(
    private readonly ctx: GpuContext,
    readonly settings: OptimizerSettings,
  ) {
    this.params = OptimizerParams.create(ctx, settings, STEP_BASE);
    this.record = ctx.storage('test record', 16);
  }

  /** Zero state for tensors of these lengths, interleaved as the kernels keep it (null: none). */
  state(...lengths: number[]): (Float32Array | null)[] {
    const { state } = createOptimizerState(lengths, this.settings);
    return lengths.map((_, i) => state?.[i] ?? null);
  }

  /** Before run r: the record's counter as the kernel finds it, `advanced` by the step's metrics
   * (all but the output layer, which advances it itself after its update). */
  beforeRun(run: number, advanced: boolean): void {
    this.ctx.write(this.record, Uint32Array.of(run + (advanced ? 1 : 0)));
    this.step = STEP_BASE + run + 1;
  }

  /** New hyper-parameters (a schedule's), the step base kept. */
  write(settings: OptimizerSettings): void {
    this.params.write(this.ctx, settings, STEP_BASE);
  }

  /** The twin's step of one tensor, at the t the kernel counts. */
  updateCpu(param: Float32Array, grad: Float32Array, state: Float32Array | null, settings = this.settings): void {
    optimizerUpdateCpu(param, grad, state, settings, this.step);
  }

  destroy(): void {
    this.ctx.destroyBuffer(this.params.buffer);
    this.ctx.destroyBuffer(this.record);
  }
}
