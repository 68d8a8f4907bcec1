// C = epilogue(op(A) op(B)) on the GPU (shaders/matmul.wgsl); CPU twin: matmulCpu, followed by
// sigmoidBackwardCpu or sgdUpdateCpu for the fused epilogues.
// op(A) is (M,K), op(B) is (K,N), bias is (N), y is (M,N), C is (M,N).
import type { Activation, MatmulShape } from '../../reference/kernels.ts';
import type { GpuContext } from '../context.ts';
import { ceilDiv, makeDispatch, type Dispatch } from '../dispatch.ts';
import { runDispatches } from '../runner.ts';
import { shaders, wgslConst } from '../shaders.ts';
import type { SgdEpilogue } from './sgd.ts';

export const MATMUL_VARIANTS = ['naive', 'blocked', 'vec4', 'tiled'] as const;
export type MatmulVariant = (typeof MATMUL_VARIANTS)[number];

/** Output elements one workgroup covers, per variant: [rows, columns]. */
const c = (name: string) => wgslConst(shaders.matmul, name);
const COVERAGE: Record<MatmulVariant, [number, number]> = {
  naive: [c('NAIVE_WG'), c('NAIVE_WG')],
  blocked: [c('BLOCKED_WG') * c('TM'), c('BLOCKED_WG') * c('TN')],
  vec4: [c('VEC4_WG') * c('VEC4_BLOCK'), c('VEC4_WG') * c('VEC4_BLOCK')],
  tiled: [c('TILE'), c('TILE')],
};

/** The operands: op(A) is (M,K), op(B) is (K,N), C is (M,N). */
export interface MatmulBuffers {
  a: GPUBuffer;
  b: GPUBuffer;
  c: GPUBuffer;
}

/** What happens to each element of the product before it is stored:
 *  - store: C = product;
 *  - bias: C = act(product + bias), a forward layer (bias is (N));
 *  - sigmoid-backward: C = product * y (1 - y), y (M,N) being the output of the layer whose
 *    sigmoid this undoes: an input gradient fused with the layer below's activation backward;
 *  - sgd: C is a parameter and the product its gradient: C takes an SGD step (velocity (M,N),
 *    required when the optimizer keeps momentum): a weight gradient fused with its update. */
export type MatmulEpilogue =
  | { kind: 'store' }
  | { kind: 'bias'; bias: GPUBuffer; activation: Activation }
  | { kind: 'sigmoid-backward'; y: GPUBuffer }
  | SgdEpilogue;

export const STORE: MatmulEpilogue = { kind: 'store' };

/** The shape of a matmul; the CPU twin's MatmulShape without its activation (an epilogue here). */
export type MatmulDims = Omit<MatmulShape, 'activation'>;

/** Whether matmul_vec4 can read this shape's operands as vec4 along their contiguous axis. */
export function vec4Fits({ M, N, K, transA = false, transB = false }: MatmulDims): boolean {
  return K % 4 === 0 && (!transA || M % 4 === 0) && (transB || N % 4 === 0);
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
  const variant = resolveMatmulVariant(requested, shape);
  // Binding 3 is the epilogue's input (bias or y); 5 and 6 the optimizer's uniform and velocity.
  let aux = ctx.placeholder;
  let hyper = ctx.uniformPlaceholder;
  let velocity = ctx.writablePlaceholder;
  let extra = 0;
  switch (epilogue.kind) {
    case 'store':
      break;
    case 'bias':
      aux = epilogue.bias;
      extra = N;
      break;
    case 'sigmoid-backward':
      aux = epilogue.y;
      extra = M * N;
      break;
    case 'sgd':
      hyper = epilogue.sgd.buffer;
      velocity = epilogue.sgd.velocityBinding(ctx, 'matmul SGD epilogue', epilogue.velocity, M * N);
      extra = (epilogue.velocity ? 4 : 1) * M * N;
      break;
  }
  const pipeline = ctx.pipeline(shaders.matmul, `matmul_${variant}`, {
    TRANS_A: Number(transA),
    TRANS_B: Number(transB),
    HAS_BIAS: Number(epilogue.kind === 'bias'),
    SIGMOID: Number(epilogue.kind === 'bias' && epilogue.activation === 'sigmoid'),
    SIGMOID_BACKWARD: Number(epilogue.kind === 'sigmoid-backward'),
    SGD: Number(epilogue.kind === 'sgd'),
    HAS_VELOCITY: Number(epilogue.kind === 'sgd' && !!epilogue.velocity),
  });
  const dims = ctx.uniform('matmul dims', new Uint32Array([M, N, K, 0]));
  const [rows, cols] = COVERAGE[variant];
  const elementwise = epilogue.kind === 'sgd' || epilogue.kind === 'sigmoid-backward' ? 3 * M * N : 0;
  const cost = { flops: 2 * M * N * K + elementwise, bytes: 4 * (M * K + K * N + M * N + extra) };
  const suffix = epilogue.kind === 'store' || epilogue.kind === 'bias' ? '' : ` +${epilogue.kind}`;
  return makeDispatch(ctx, `matmul_${variant} ${M}x${N}x${K}${suffix}`, pipeline,
    [dims, bufs.a, bufs.b, aux, bufs.c, hyper, velocity], [ceilDiv(N, cols), ceilDiv(M, rows)], cost);
}

const chosen = new Map<string, MatmulVariant>();

export interface VariantTrial {
  variant: MatmulVariant;
  /** Median milliseconds of one (32x784)x(784x512) forward matmul. */
  ms: number;
}

/** Picks the fastest variant for this adapter by timing each on the first layer's forward shape
 * at batch 32, the shape that dominates a training step. Cached per adapter for the process. */
export async function chooseMatmulVariant(
  ctx: GpuContext,
  force?: MatmulVariant,
): Promise<{ variant: MatmulVariant; trials: VariantTrial[] }> {
  if (force) return { variant: force, trials: [] };
  const key = JSON.stringify([ctx.adapter.vendor, ctx.adapter.architecture, ctx.adapter.device, ctx.adapter.description]);
  const cached = chosen.get(key);
  if (cached) return { variant: cached, trials: [] };
  const shape = { M: 32, N: 512, K: 784, transB: true };
  const a = ctx.storage('trial A', new Float32Array(shape.M * shape.K).fill(0.5));
  const b = ctx.storage('trial B', new Float32Array(shape.N * shape.K).fill(0.01));
  const c = ctx.storage('trial C', shape.M * shape.N * 4);
  const trials: VariantTrial[] = [];
  let best = Infinity;
  // Likeliest winners first (vec4 on CPU adapters, tiled on GPUs), so the early exit below
  // spends little on the rest.
  for (const variant of ['vec4', 'tiled', 'blocked', 'naive'] as const) {
    const d = matmulDispatch(ctx, variant, { a, b, c }, shape);
    await runDispatches(ctx, [d]); // compile and warm up, not timed
    const times: number[] = [];
    for (let r = 0; r < 3; r++) {
      const t0 = performance.now();
      await runDispatches(ctx, [d], 4);
      times.push((performance.now() - t0) / 4);
      // A variant several times slower than the best so far cannot win: stop spending on it
      // (the shared-memory kernel takes ~0.5 s a run on SwiftShader).
      if (times[0] > 3 * best) break;
    }
    times.sort((x, y) => x - y);
    const ms = times[Math.floor((times.length - 1) / 2)];
    best = Math.min(best, ms);
    trials.push({ variant, ms });
  }
  for (const buf of [a, b, c]) ctx.destroyBuffer(buf);
  const winner = trials.reduce((x, y) => (y.ms < x.ms ? y : x)).variant;
  chosen.set(key, winner);
  return { variant: winner, trials };
}
