// C = epilogue(op(A) op(B)) on the GPU (shaders/matmul.wgsl); CPU twin: matmulCpu, followed by
// sigmoidBackwardCpu or sgdUpdateCpu for the fused epilogues.
// op(A) is (M,K), op(B) is (K,N), bias is (N), y is (M,N), C is (M,N).
import type { MatmulShape } from '../../reference/kernels.ts';
import type { GpuContext } from '../context.ts';
import { ceilDiv, makeDispatch, type Dispatch } from '../dispatch.ts';
import { runDispatches } from '../runner.ts';
import { shaders } from '../shaders.ts';
import { checkSgdBindings } from './sgd.ts';

export const MATMUL_VARIANTS = ['naive', 'blocked', 'vec4', 'tiled'] as const;
export type MatmulVariant = (typeof MATMUL_VARIANTS)[number];

/** Output elements one workgroup covers, per variant: [rows, columns]. */
const COVERAGE: Record<MatmulVariant, [number, number]> = {
  naive: [16, 16],
  blocked: [8 * 4, 8 * 4],
  vec4: [8 * 8, 8 * 8],
  tiled: [64, 64],
};

/** The epilogue follows from the buffers given:
 *  - bias (and shape.activation 'sigmoid'): C = act(product + bias), a forward layer;
 *  - y: C = product * y (1 - y), an input gradient fused with the sigmoid backward of the layer
 *    whose output is y;
 *  - hyper: C is a parameter and the product its gradient, C = SGD step of C (the velocity,
 *    n zero-filled f32, is required when momentum is on), the weight gradient fused with the
 *    optimizer step. */
export interface MatmulBuffers {
  a: GPUBuffer;
  b: GPUBuffer;
  bias?: GPUBuffer | null;
  c: GPUBuffer;
  y?: GPUBuffer | null;
  hyper?: GPUBuffer | null;
  velocity?: GPUBuffer | null;
}

/** Whether matmul_vec4 can read this shape's operands as vec4 along their contiguous axis. */
export function vec4Fits({ M, N, K, transA = false, transB = false }: MatmulShape): boolean {
  return K % 4 === 0 && (!transA || M % 4 === 0) && (transB || N % 4 === 0);
}

/** The variant that runs when `requested` is asked for on this shape. */
export function resolveMatmulVariant(requested: MatmulVariant, shape: MatmulShape): MatmulVariant {
  return requested === 'vec4' && !vec4Fits(shape) ? 'blocked' : requested;
}

export function matmulDispatch(ctx: GpuContext, requested: MatmulVariant, bufs: MatmulBuffers, shape: MatmulShape): Dispatch {
  const { M, N, K, transA = false, transB = false, activation = 'none' } = shape;
  if (!(M > 0 && N > 0 && K > 0)) throw new RangeError(`matmul: M, N, K must be positive, got ${M}, ${N}, ${K}`);
  const sgd = !!bufs.hyper;
  const sigmoidBackward = !!bufs.y;
  if ((sgd || sigmoidBackward) && (bufs.bias || activation !== 'none' || (sgd && sigmoidBackward))) {
    throw new Error('matmul: the SGD and sigmoid-backward epilogues exclude each other and a bias or activation');
  }
  if (bufs.velocity && !sgd) throw new Error('matmul: a velocity buffer needs the SGD epilogue (hyper)');
  if (sgd) checkSgdBindings('matmul SGD epilogue', bufs.hyper!, bufs.velocity, M * N);
  const variant = resolveMatmulVariant(requested, shape);
  const pipeline = ctx.pipeline(shaders.matmul, `matmul_${variant}`, {
    TRANS_A: Number(transA),
    TRANS_B: Number(transB),
    HAS_BIAS: Number(!!bufs.bias),
    SIGMOID: Number(activation === 'sigmoid'),
    SIGMOID_BACKWARD: Number(sigmoidBackward),
    SGD: Number(sgd),
    HAS_VELOCITY: Number(!!bufs.velocity),
  });
  const dims = ctx.uniform('matmul dims', new Uint32Array([M, N, K, 0]));
  const [rows, cols] = COVERAGE[variant];
  const extra = sgd ? (bufs.velocity ? 4 : 1) * M * N : sigmoidBackward ? M * N : bufs.bias ? N : 0;
  const cost = { flops: 2 * M * N * K + (sgd || sigmoidBackward ? 3 * M * N : 0), bytes: 4 * (M * K + K * N + M * N + extra) };
  const epilogue = sgd ? ' +sgd' : sigmoidBackward ? ' +sigmoid_backward' : '';
  return makeDispatch(ctx, `matmul_${variant} ${M}x${N}x${K}${epilogue}`, pipeline,
    [dims, bufs.a, bufs.b, bufs.bias ?? bufs.y ?? ctx.placeholder, bufs.c, bufs.hyper ?? ctx.uniformPlaceholder,
      bufs.velocity ?? ctx.writablePlaceholder],
    [ceilDiv(N, cols), ceilDiv(M, rows)], cost);
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
