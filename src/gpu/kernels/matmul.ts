// C = epilogue(op(A) op(B)) on the GPU (shaders/matmul.wgsl); CPU twin: matmulCpu, followed by
// activationBackwardCpu, or by optimizerUpdateCpu (and biasGradCpu for the bias) for the update
// epilogue.
// op(A) is (M,K), op(B) is (K,N), bias is (N), y is (M,N), C is (M,N).
import { ACTIVATION_TABLE, readsInput, type Activation, type HiddenActivation } from '../../model/activations.ts';
import type { MatmulShape } from '../../reference/kernels.ts';
import type { GpuContext } from '../context.ts';
import { ceilDiv, makeDispatch, type Dispatch } from '../dispatch.ts';
import { matmulSource, matmulSubgroupsSource, wgslConst } from '../shaders.ts';
import type { UpdateEpilogue } from './optimizer.ts';

export const MATMUL_VARIANTS = ['naive', 'blocked', 'vec4', 'tiled', 'tiled32', 'skinny', 'skinny-subgroups'] as const;
export type MatmulVariant = (typeof MATMUL_VARIANTS)[number];

const c = (name: string) => wgslConst(matmulSource, name);

/** Each variant's entry point, override constants and the output block one workgroup covers. */
const VARIANTS: Record<MatmulVariant, { entry: string; constants?: Record<string, number>; rows: number; cols: number }> = {
  naive: { entry: 'matmul_naive', rows: c('NAIVE_WG'), cols: c('NAIVE_WG') },
  blocked: { entry: 'matmul_blocked', rows: c('BLOCKED_WG') * c('TM'), cols: c('BLOCKED_WG') * c('TN') },
  vec4: { entry: 'matmul_vec4', rows: c('VEC4_WG') * c('VEC4_BLOCK'), cols: c('VEC4_WG') * c('VEC4_BLOCK') },
  tiled: { entry: 'matmul_tiled', constants: { TILE: 64 }, rows: 64, cols: 64 },
  tiled32: { entry: 'matmul_tiled', constants: { TILE: 32 }, rows: 32, cols: 32 },
  skinny: { entry: 'matmul_skinny', rows: c('SKINNY_TILE'), cols: c('SKINNY_TILE') },
  'skinny-subgroups': { entry: 'matmul_skinny_subgroups', rows: c('SKINNY_TILE'), cols: c('SKINNY_TILE') },
};

/** The variants this device can run: skinny-subgroups needs the 'subgroups' feature. */
export function matmulVariantsFor(ctx: GpuContext): MatmulVariant[] {
  return MATMUL_VARIANTS.filter((v) => v !== 'skinny-subgroups' || ctx.hasSubgroups);
}

/** The operands: op(A) is (M,K), op(B) is (K,N), C is (M,N). */
export interface MatmulBuffers {
  a: GPUBuffer;
  b: GPUBuffer;
  c: GPUBuffer;
}

/** A bias updated beside its weight: its gradient is the row sums of op(A) = dz^T over K. */
export interface BiasUpdate {
  param: GPUBuffer;
  state: GPUBuffer | null;
}

/** What happens to each element of the product before it is stored:
 *  - store: C = product;
 *  - bias: C = act(product + bias), a forward layer (bias is (N)); with `pre` (M,N), also
 *    product + bias, the pre-activation, which an activation whose backward reads its input needs;
 *  - activation-backward: C = product * act'(x), written with `kept` (M,N), what the forward pass
 *    kept of the layer whose activation this undoes (its output, or its pre-activation as
 *    ACTIVATION_TABLE's backwardReads says): an input gradient fused with the layer below's
 *    activation backward;
 *  - update: C is a parameter and the product its gradient: C takes an optimizer step (state
 *    (M,N) times the optimizer's state floats, required when it keeps any): a weight gradient
 *    fused with its update; with `bias`, the layer's bias (M) takes its step in the same
 *    dispatch. */
export type MatmulEpilogue =
  | { kind: 'store' }
  | { kind: 'bias'; bias: GPUBuffer; activation: Activation; pre?: GPUBuffer }
  | { kind: 'activation-backward'; kept: GPUBuffer; activation: HiddenActivation }
  | (UpdateEpilogue & { bias?: BiasUpdate });

export const STORE: MatmulEpilogue = { kind: 'store' };

/** The shape of a matmul; the CPU twin's MatmulShape without its activation (an epilogue here). */
export type MatmulDims = Omit<MatmulShape, 'activation'>;

/** What distinguishes two matmuls for the per-shape choice: dims, layout and the epilogue's kind. */
export function matmulProblemKey(dims: MatmulDims, epilogue: MatmulEpilogue): string {
  const { M, N, K, transA = false, transB = false } = dims;
  return `${M}x${N}x${K}${transA ? ' A^T' : ''}${transB ? ' B^T' : ''} ${epilogueName(epilogue)}`;
}

/** The epilogue as problem keys and the bench name it: 'bias-sigmoid', 'sigmoid-backward', 'sgd+bias', 'store'. */
export const epilogueName = (epilogue: MatmulEpilogue): string =>
  epilogue.kind === 'bias' ? `bias-${epilogue.activation}`
    : epilogue.kind === 'activation-backward' ? `${epilogue.activation}-backward`
      : epilogue.kind === 'update' ? `${epilogue.optimizer.kind}${epilogue.bias ? '+bias' : ''}` : epilogue.kind;

/** Whether matmul_vec4 can read this shape's operands as vec4 along their contiguous axis. */
export function vec4Fits({ M, N, K, transA = false }: MatmulDims): boolean {
  return K % 4 === 0 && N % 4 === 0 && (!transA || M % 4 === 0);
}

/** The variant that runs when `requested` is asked for on this shape. */
export function resolveMatmulVariant(requested: MatmulVariant, shape: MatmulDims): MatmulVariant {
  return requested === 'vec4' && !vec4Fits(shape) ? 'blocked' : requested;
}

export function matmulDispatch(
  ctx: GpuContext,
  requested: MatmulVariant,
  bufs: MatmulBuffers,
  shape: MatmulDims,
  epilogue: MatmulEpilogue = STORE,
): Dispatch {
  const { M, N, K, transA = false, transB = false } = shape;
  if (!(M > 0 && N > 0 && K > 0)) throw new RangeError(`matmul: M, N, K must be positive, got ${M}, ${N}, ${K}`);
  // A CPU-twin shape carries its activation; here it belongs to the epilogue, and would be lost.
  const activation = (shape as MatmulShape).activation ?? 'none';
  if (activation !== 'none' && !(epilogue.kind === 'bias' && epilogue.activation === activation)) {
    throw new Error(`matmul: activation '${activation}' is applied by a { kind: 'bias', activation } epilogue, not by the shape`);
  }
  if (requested === 'skinny-subgroups' && !ctx.hasSubgroups) {
    throw new Error("matmul: the skinny-subgroups variant needs the adapter's 'subgroups' feature, which this device lacks");
  }
  const variant = resolveMatmulVariant(requested, shape);
  const { entry, constants = {}, rows, cols } = VARIANTS[variant];
  // Binding 3 is the epilogue's input (bias, kept values, or the run record); 5 to 8 the
  // optimizer's uniform, the state (or a forward layer's pre-activation), the bias and its state.
  // Unused ones get spare buffers of their own.
  let aux = ctx.unusedStorage(0);
  let hyper = ctx.uniformPlaceholder;
  let state = ctx.unusedStorage(1);
  let biasParam = ctx.unusedStorage(2);
  let biasState = ctx.unusedStorage(3);
  let extra = 0;
  const update = epilogue.kind === 'update' ? epilogue : null;
  const S = update?.optimizer.stateFloats ?? 0;
  switch (epilogue.kind) {
    case 'store':
      break;
    case 'bias':
      aux = epilogue.bias;
      extra = N;
      if (epilogue.pre) {
        if (!readsInput(epilogue.activation)) throw new Error(`matmul: '${epilogue.activation}' reads its output in the backward pass; nothing needs its pre-activation`);
        state = epilogue.pre;
        extra += M * N;
      }
      break;
    case 'activation-backward':
      aux = epilogue.kept;
      extra = M * N;
      break;
    case 'update':
      aux = epilogue.record;
      hyper = epilogue.optimizer.buffer;
      state = epilogue.optimizer.stateBinding('matmul update epilogue', epilogue.state, M * N) ?? state;
      extra = (1 + 2 * S) * M * N;
      if (epilogue.bias) {
        biasParam = epilogue.bias.param;
        biasState = epilogue.optimizer.stateBinding('matmul update epilogue (bias)', epilogue.bias.state, M) ?? biasState;
        extra += (2 + 2 * S) * M;
      }
      break;
  }
  const pipeline = ctx.pipeline(variant === 'skinny-subgroups' ? matmulSubgroupsSource : matmulSource, entry, {
    ...constants,
    TRANS_A: Number(transA),
    TRANS_B: Number(transB),
    HAS_BIAS: Number(epilogue.kind === 'bias'),
    ACTIVATION: epilogue.kind === 'bias' || epilogue.kind === 'activation-backward' ? ACTIVATION_TABLE[epilogue.activation].code : 0,
    ACTIVATION_BACKWARD: Number(epilogue.kind === 'activation-backward'),
    KEEP_INPUT: Number(epilogue.kind === 'bias' && !!epilogue.pre),
    UPDATE: Number(!!update),
    BIAS_UPDATE: Number(!!update?.bias),
    ...(update ? update.optimizer.constants : {}),
  });
  const dims = ctx.uniform('matmul dims', new Uint32Array([M, N, K, 0]));
  const elementwise = epilogue.kind === 'update' || epilogue.kind === 'activation-backward' ? 3 * M * N : 0;
  const cost = { flops: 2 * M * N * K + elementwise + (update?.bias ? M * K + 3 * M : 0), bytes: 4 * (M * K + K * N + M * N + extra) };
  const suffix = epilogue.kind === 'store' ? '' : epilogue.kind === 'bias' ? ` +${epilogue.activation}${epilogue.pre ? ' +keep' : ''}`
    : epilogue.kind === 'activation-backward' ? ` +${epilogue.activation}-backward` : ` +${epilogue.optimizer.kind}${epilogue.bias ? '+bias' : ''}`;
  // The bias's workgroups are one more column of the grid, which a GPU runs beside the others;
  // matmul_vec4 (for CPU adapters) folds the bias into its first column instead.
  const groupsX = ceilDiv(N, cols) + (update?.bias && variant !== 'vec4' ? 1 : 0);
  return makeDispatch(ctx, `matmul_${variant} ${M}x${N}x${K}${suffix}`, pipeline,
    [dims, bufs.a, bufs.b, aux, bufs.c, hyper, state, biasParam, biasState], [groupsX, ceilDiv(M, rows)], cost);
}
