// Long runs stay flat: trainers created, trained and disposed over and over in one process (a
// sweep, a server, a notebook kernel), and one long run, hold neither host memory (RSS) nor GPU
// buffers beyond a stated margin. Before the library shared one device per process, RSS grew
// ~3.5 MB per cycle here (274 -> 360 MB over 15), which these margins refuse.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { expect, it } from 'vitest';
import { createTrainer, type Dataset } from '../../src/lib/index.ts';
import { libraryGpu } from '../../src/lib/trainer.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** RSS in MB after a full collection: what the process still holds. */
async function settledRss(): Promise<number> {
  gc();
  await new Promise((r) => setTimeout(r, 20));
  gc();
  return process.memoryUsage().rss / 1e6;
}

const count = 320;
const data: Dataset = {
  images: Uint8Array.from({ length: count * 784 }, (_, i) => (i * 7919) % 256),
  labels: Uint8Array.from({ length: count }, (_, i) => i % 10),
  shape: [count, 28, 28],
};

/** Cycles before the counting starts: the first ones compile pipelines and fill caches. */
const WARMUP = 10;
/** RSS growth allowed per cycle after the warm-up, in MB: a tenth of what a device per trainer
 * cost. Measured on SwiftShader: 284 MB after cycle 10 and 284 MB after cycle 50. */
const MB_PER_CYCLE = 0.35;
/** Per epoch of one run, in MB. Measured: 285 MB after epoch 5, 292 MB after epoch 20 (one step of
 * 6 MB at epoch 14, the allocator taking an arena; the GPU's live bytes did not move). */
const MB_PER_EPOCH = 1;

it('50 create/fit/dispose cycles: RSS and GPU live bytes flat', async () => {
  const ctx = await libraryGpu();
  const rss: number[] = [];
  const live: number[] = [];
  for (let i = 0; i < 50; i++) {
    const trainer = await createTrainer({ layers: [784, 64, 10], readbackEvery: 10, seed: i + 1 });
    await trainer.fit(data, { epochs: 1 });
    trainer.dispose();
    live.push(ctx.liveBytes);
    rss.push(await settledRss());
  }
  console.log(`RSS (MB) after each cycle: ${rss.map((r) => r.toFixed(0)).join(' ')}; GPU live bytes ${live[0]} .. ${live[live.length - 1]}`);
  expect(new Set(live.slice(1)).size).toBe(1);
  expect(rss[rss.length - 1] - rss[WARMUP - 1]).toBeLessThan(MB_PER_CYCLE * (rss.length - WARMUP));
});

it('a 20-epoch run: RSS and GPU live bytes flat from epoch to epoch', async () => {
  const ctx = await libraryGpu();
  const trainer = await createTrainer({ layers: [784, 64, 10], readbackEvery: 10 });
  const rss: number[] = [];
  const live: number[] = [];
  await trainer.fit(data, {
    epochs: 20,
    onEpoch: async () => {
      live.push(ctx.liveBytes);
      rss.push(await settledRss());
    },
  });
  trainer.dispose();
  console.log(`RSS (MB) after each epoch: ${rss.map((r) => r.toFixed(0)).join(' ')}; GPU live bytes ${live[0]} .. ${live[live.length - 1]}`);
  expect(new Set(live).size).toBe(1);
  expect(rss[rss.length - 1] - rss[4]).toBeLessThan(MB_PER_EPOCH * 15);
});
