// MNIST-shaped random data (80% background pixels, like the real digits) for benchmarks and
// parity tests, where the numbers must be reproducible but not meaningful.
import type { MnistSplit } from './mnist.ts';
import { createRng } from './prng.ts';

export function syntheticSplit(count: number, seed: number): MnistSplit {
  const rng = createRng(seed);
  return {
    images: Uint8Array.from({ length: count * 784 }, () => (rng.next() < 0.8 ? 0 : rng.int(256))),
    labels: Uint8Array.from({ length: count }, () => rng.int(10)),
    count,
    rows: 28,
    cols: 28,
  };
}
