// MNIST-shaped random data (80% background pixels, like the real digits) for benchmarks and
// parity tests, where the numbers must be reproducible but not meaningful.
import type { Split } from './dataset.ts';
import { createRng } from './prng.ts';

/** u8 28x28 images, as the benchmarks' byte-path measurements need. */
export type ByteSplit = Split & { features: Uint8Array };

export function syntheticSplit(count: number, seed: number): ByteSplit {
  const rng = createRng(seed);
  return {
    features: Uint8Array.from({ length: count * 784 }, () => (rng.next() < 0.8 ? 0 : rng.int(256))),
    labels: Uint8Array.from({ length: count }, () => rng.int(10)),
    count,
    width: 784,
    image: { rows: 28, cols: 28 },
  };
}

/** Two interleaved half circles, as scikit-learn's make_moons draws them: a sample lies on the
 * upper moon (cos t, sin t) or the lower one (1 - cos t, 0.5 - sin t), t uniform in [0, π], moved
 * by Gaussian noise of standard deviation `noise`; the moons alternate. No straight line parts
 * them: a CSV set that needs the hidden layer. One sample a line after the header `x,y,moon`. */
export function twoMoonsCsv(count: number, seed: number, noise: number): string {
  const rng = createRng(seed);
  // Box-Muller: one standard normal from two uniforms (1 - u keeps the log finite).
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
  const lines = ['x,y,moon'];
  for (let i = 0; i < count; i++) {
    const t = Math.PI * rng.next();
    const upper = i % 2 === 0;
    const [x, y] = upper ? [Math.cos(t), Math.sin(t)] : [1 - Math.cos(t), 0.5 - Math.sin(t)];
    lines.push(`${(x + noise * gauss()).toFixed(4)},${(y + noise * gauss()).toFixed(4)},${upper ? 'upper' : 'lower'}`);
  }
  return lines.join('\n') + '\n';
}
