// The optimizer table: every optimizer the trainers know, with what each part of the project
// needs of it (its WGSL code, the state it keeps per parameter element, PyTorch's names for that
// state) and its CPU twin, written from torch.optim's formulas (torch 1.13, _single_tensor_*)
// independently of shaders/optimizer.wgsl. A new optimizer is a row here, a function there.
import type { TrainConfig } from '../train/config.ts';

export const OPTIMIZERS = ['sgd', 'adam', 'adamw'] as const;
export type OptimizerKind = (typeof OPTIMIZERS)[number];

/** Every hyper-parameter of every kind, as TrainConfig names and documents them; a kind reads the
 * ones it uses (validateConfig refuses the others where they would be ignored). */
export type OptimizerSettings = { kind: OptimizerKind } & Pick<TrainConfig, 'lr' | 'momentum' | 'nesterov' | 'weightDecay' | 'beta1' | 'beta2' | 'eps'>;

interface OptimizerRow {
  /** shaders/optimizer.wgsl's OPTIMIZER override. */
  code: number;
  /** f32 state values per parameter element, interleaved: element i's at [i*S, i*S + S). */
  stateFloats: (s: OptimizerSettings) => number;
  /** The state's names in torch.optim's state_dict, one per state float, in interleaved order. */
  stateNames: readonly string[];
  /** The optimizer keeps torch's `step` count (bias correction). */
  countsSteps: boolean;
  update: (p: number, g: number, s: Float32Array, at: number, o: OptimizerSettings, t: number) => number;
}

/** torch.optim.SGD, dampening 0: g' = g + wd p; v = mu v + g' (v starts as g', which mu * 0 + g'
 * is); p -= lr (nesterov ? g' + mu v : v), without v when mu = 0. The expressions are those of the
 * twin this replaced (sgdUpdateCpu), operation for operation: the notebook's losses depend on it. */
function sgd(p: number, grad: number, s: Float32Array, at: number, o: OptimizerSettings): number {
  const g = grad + o.weightDecay * p;
  let step = g;
  if (o.momentum !== 0) {
    const v = o.momentum * s[at] + g;
    s[at] = v;
    step = o.nesterov ? g + o.momentum * v : v;
  }
  return p - o.lr * step;
}

/** torch.optim.Adam (amsgrad off): g += wd p; m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
 * p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps). `decoupled`: AdamW, which instead
 * first scales p by 1 - lr wd. */
function adam(decoupled: boolean) {
  return (p: number, grad: number, s: Float32Array, at: number, o: OptimizerSettings, t: number): number => {
    const q = decoupled ? p * (1 - o.lr * o.weightDecay) : p;
    const g = decoupled ? grad : grad + o.weightDecay * p;
    const m = o.beta1 * s[at] + (1 - o.beta1) * g;
    const v = o.beta2 * s[at + 1] + (1 - o.beta2) * g * g;
    s[at] = m;
    s[at + 1] = v;
    const denom = Math.sqrt(v) / Math.sqrt(1 - o.beta2 ** t) + o.eps;
    return q - (o.lr / (1 - o.beta1 ** t)) * (m / denom);
  };
}

const ADAM_STATE = ['exp_avg', 'exp_avg_sq'] as const;

export const OPTIMIZER_TABLE: Record<OptimizerKind, OptimizerRow> = {
  sgd: { code: 0, stateFloats: (s) => (s.momentum > 0 ? 1 : 0), stateNames: ['momentum_buffer'], countsSteps: false, update: sgd },
  adam: { code: 1, stateFloats: () => 2, stateNames: ADAM_STATE, countsSteps: true, update: adam(false) },
  adamw: { code: 2, stateFloats: () => 2, stateNames: ADAM_STATE, countsSteps: true, update: adam(true) },
};

/** PyTorch's defaults where the config leaves them open. */
export const ADAM_DEFAULTS = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, adamwWeightDecay: 1e-2 } as const;

/** The one place a config becomes the optimizer of an epoch (whose learning rate a schedule
 * sets). */
export function optimizerSettings(c: TrainConfig, lr: number): OptimizerSettings {
  return { kind: c.optimizer, lr, momentum: c.momentum, nesterov: c.nesterov, weightDecay: c.weightDecay, beta1: c.beta1, beta2: c.beta2, eps: c.eps };
}

/** Plain SGD at `lr`: the kernel trials, the toy network, the noise measurements. */
export const plainSgd = (lr: number): OptimizerSettings =>
  ({ kind: 'sgd', lr, momentum: 0, nesterov: false, weightDecay: 0, beta1: ADAM_DEFAULTS.beta1, beta2: ADAM_DEFAULTS.beta2, eps: ADAM_DEFAULTS.eps });

export const stateFloats = (s: OptimizerSettings): number => OPTIMIZER_TABLE[s.kind].stateFloats(s);

/** PyTorch's checks, so that neither twin accepts what torch.optim refuses. */
export function checkOptimizerSettings(s: OptimizerSettings): void {
  const { kind, lr, momentum, weightDecay, beta1, beta2, eps, nesterov } = s;
  if (!OPTIMIZERS.includes(kind)) throw new RangeError(`optimizer: kind must be one of ${OPTIMIZERS.join(', ')}, got ${kind}`);
  if (!(lr >= 0) || !(momentum >= 0) || !(weightDecay >= 0) || !(eps >= 0)) {
    throw new RangeError(`${kind}: lr, momentum, weightDecay and eps must be >= 0, got ${lr}, ${momentum}, ${weightDecay}, ${eps}`);
  }
  if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) throw new RangeError(`${kind}: betas must be in [0, 1), got ${beta1}, ${beta2}`);
  if (nesterov && momentum <= 0) throw new RangeError(`${kind}: Nesterov momentum needs momentum > 0 (as in PyTorch)`);
  if (kind !== 'sgd' && (momentum !== 0 || nesterov)) throw new RangeError(`${kind}: momentum and Nesterov are SGD's; ${kind} has betas`);
}

/** One optimizer step of one tensor, in place, in float64 per element with f32 storage: param and
 * grad hold n values, state n * stateFloats (interleaved; null when that is 0), `step` is the
 * step's 1-based count t (the bias correction's; SGD ignores it). */
export function optimizerUpdateCpu(param: Float32Array, grad: Float32Array, state: Float32Array | null, s: OptimizerSettings, step: number): void {
  checkOptimizerSettings(s);
  const S = stateFloats(s);
  if (grad.length !== param.length) throw new RangeError(`optimizerUpdate: grad holds ${grad.length} values for ${param.length} parameters`);
  if ((state?.length ?? 0) !== S * param.length) {
    throw new RangeError(`optimizerUpdate: ${s.kind} keeps ${S} state values per parameter (${S * param.length}), got ${state?.length ?? 'none'}`);
  }
  if (OPTIMIZER_TABLE[s.kind].countsSteps && !(Number.isInteger(step) && step >= 1)) {
    throw new RangeError(`optimizerUpdate: ${s.kind} needs the step count t >= 1, got ${step}`);
  }
  const { update } = OPTIMIZER_TABLE[s.kind];
  const st = state ?? new Float32Array(0);
  for (let i = 0; i < param.length; i++) param[i] = update(param[i], grad[i], st, i * S, s, step);
}

/** An optimizer's state as trainers and checkpoints hold it: per parameter tensor (state_dict
 * order) its state floats interleaved (null when it keeps none), and the optimizer steps taken,
 * torch's `step`. The CPU trainer updates one in place. */
export interface OptimizerState {
  state: Float32Array[] | null;
  step: number;
}

/** Zero state for tensors of these lengths, as torch.optim starts. */
export function createOptimizerState(lengths: readonly number[], s: OptimizerSettings): OptimizerState {
  const S = stateFloats(s);
  return { state: S > 0 ? lengths.map((n) => new Float32Array(S * n)) : null, step: 0 };
}

/** One tensor's interleaved state as PyTorch's separate tensors, by state name (stateNames). */
export function splitState(kind: OptimizerKind, interleaved: Float32Array): Map<string, Float32Array> {
  const names = OPTIMIZER_TABLE[kind].stateNames;
  const S = names.length;
  const n = interleaved.length / S;
  return new Map(names.map((name, k) => [name, Float32Array.from({ length: n }, (_, i) => interleaved[i * S + k])]));
}

/** splitState's inverse: the named tensors (each n values, stateNames order) interleaved. */
export function joinState(parts: readonly Float32Array[]): Float32Array {
  const S = parts.length;
  const out = new Float32Array(S * parts[0].length);
  parts.forEach((part, k) => part.forEach((v, i) => (out[i * S + k] = v)));
  return out;
}
