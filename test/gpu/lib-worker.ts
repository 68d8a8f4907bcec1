// A module worker that trains through the library, as a page's worker would (lib-api.test.ts
// starts it in Chromium): 8x8 images of four classes, a bright quadrant each, with noise.
import { createTrainer } from '../../src/lib/index.ts';
import { createRng } from '../../src/data/prng.ts';

function quadrants(count: number, seed: number) {
  const rng = createRng(seed);
  const images = new Uint8Array(count * 64);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const c = rng.int(4);
    labels[i] = c;
    for (let p = 0; p < 64; p++) {
      const [r, col] = [p >> 3, p & 7];
      const inside = (r < 4 ? 0 : 2) + (col < 4 ? 0 : 1) === c;
      images[i * 64 + p] = Math.min(255, (inside ? 160 : 0) + rng.int(96));
    }
  }
  return { images, labels, shape: [count, 8, 8] as [number, number, number] };
}

try {
  const trainer = await createTrainer({ layers: [64, 16, 4], activation: 'tanh', optimizer: { lr: 0.1, momentum: 0.9 } });
  await trainer.fit(quadrants(512, 1), { epochs: 2 });
  const { accuracy } = await trainer.evaluate(quadrants(200, 2));
  self.postMessage({ accuracy, runtime: trainer.adapter?.runtime });
  trainer.dispose();
} catch (e) {
  self.postMessage({ error: String(e) });
}
