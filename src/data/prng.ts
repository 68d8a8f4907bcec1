// The one seeded generator of the project: weight init and every epoch's shuffle come from it, so
// a GPU run and a CPU-reference run with the same seed start from the same weights and see the
// same batches. Mulberry32 (Tommy Ettinger, public domain): 32-bit state, passes PractRand to
// 2^32 outputs, which is ample for shuffling 60k indices and drawing ~0.5M weights.

export interface Rng {
  /** Uniform in [0, 1), 32 bits of resolution. */
  next(): number;
  /** Uniform in [lo, hi). */
  uniform(lo: number, hi: number): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
}

export function createRng(seed: number): Rng {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new RangeError(`seed must be an integer in [0, 4294967295], got ${seed}`);
  }
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    uniform: (lo, hi) => lo + (hi - lo) * next(),
    int: (n) => Math.floor(next() * n),
  };
}

/** A stream of its own for each (seed, purpose) pair, so shuffling epoch 7 does not depend on
 * how many numbers weight init drew; resuming at an epoch reproduces the same order. */
export function deriveRng(seed: number, stream: number): Rng {
  let h = Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(stream + 1, 0xc2b2ae35);
  h ^= h >>> 16;
  return createRng(h >>> 0);
}

/** n values drawn uniformly from [-scale, scale) by createRng(seed): the kernel tests', the kernel
 * choice's and the bench's operands. */
export function randomArray(n: number, seed: number, scale = 1): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: n }, () => rng.uniform(-scale, scale));
}
