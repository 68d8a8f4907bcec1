// Every activation a layer may apply, as ONE table: its ACTIVATION override value in the WGSL
// (shaders/activation_fn.wgsl's switch), its float64 CPU twin forward and derivative, and which
// value the backward pass reads. Everything else (the Activation type, the hidden layers' list,
// the CLI's choices, the GPU kernels' codes, the tests) derives from it.
//
// 'output': the derivative is written with y = act(x), which the forward pass keeps anyway.
// 'input': it needs the pre-activation x (GELU's Phi(x) + x phi(x) cannot be had from y), so the
// forward pass also keeps x: src/train/gpu-model.ts allocates it, the forward matmul stores it.
import { erf } from '../reference/erf.ts';

export interface ActivationEntry {
  /** The WGSL ACTIVATION override's value. */
  readonly code: number;
  /** y = act(x). */
  readonly forward: (x: number) => number;
  /** Which value `grad` takes: the layer's output y or its input x. */
  readonly backwardReads: 'output' | 'input';
  /** act'(x), written with the value named by backwardReads. */
  readonly grad: (kept: number) => number;
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

// PyTorch keeps negative_slope as a double but multiplies float tensors by it rounded to float.
const LEAKY_SLOPE = Math.fround(0.01);
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
/** Phi(x), the standard normal CDF. */
const normalCdf = (x: number): number => 0.5 * (1 + erf(x * Math.SQRT1_2));

export const ACTIVATION_TABLE = {
  /** The identity: the logits before a softmax. */
  none: { code: 0, backwardReads: 'output', forward: (x) => x, grad: () => 1 },
  sigmoid: { code: 1, backwardReads: 'output', forward: sigmoid, grad: (y) => y * (1 - y) },
  /** Derivative 1 where y > 0, else 0 (PyTorch's choice at 0). */
  relu: { code: 2, backwardReads: 'output', forward: (x) => Math.max(x, 0), grad: (y) => (y > 0 ? 1 : 0) },
  tanh: { code: 3, backwardReads: 'output', forward: Math.tanh, grad: (y) => 1 - y * y },
  /** PyTorch's default (exact) GELU, x Phi(x). */
  gelu: { code: 4, backwardReads: 'input', forward: (x) => x * normalCdf(x), grad: (x) => normalCdf(x) + x * INV_SQRT_2PI * Math.exp(-0.5 * x * x) },
  /** PyTorch's default negative_slope 0.01. y > 0 exactly where x > 0, so the output decides the
   * derivative; at 0 it is the slope, as PyTorch's. */
  leaky_relu: { code: 5, backwardReads: 'output', forward: (x) => (x > 0 ? x : LEAKY_SLOPE * x), grad: (y) => (y > 0 ? 1 : LEAKY_SLOPE) },
} as const satisfies Record<string, ActivationEntry>;

/** A layer's activation function; 'none' leaves the output linear. */
export type Activation = keyof typeof ACTIVATION_TABLE;
/** What a hidden layer may use: every activation but the identity. */
export type HiddenActivation = Exclude<Activation, 'none'>;
export const HIDDEN_ACTIVATIONS: readonly HiddenActivation[] = (Object.keys(ACTIVATION_TABLE) as Activation[])
  .filter((a): a is HiddenActivation => a !== 'none');

/** Whether act's backward pass reads the pre-activation, which the forward pass must then keep. */
export const readsInput = (a: Activation): boolean => ACTIVATION_TABLE[a].backwardReads === 'input';
