// `npm run noise` end to end on the CPU reference, at a size that runs in seconds: a 784-16-10
// network on 512 images.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { limitSplit } from '../../src/data/batches.ts';
import { loadEmbeddedMnist } from '../../src/data/mnist-node.ts';
import { initMlp } from '../../src/reference/mlp.ts';
import { runNoiseCli } from '../../src/cli/noise.ts';
import type { NoiseReport } from '../../src/docs/noise-doc.ts';
import { createCpuNoiseBackend, measureNoise, type NoiseOptions } from '../../src/noise/measure.ts';
import { captureCli } from '../support/cli.ts';

const cli = captureCli(runNoiseCli);

const dir = mkdtempSync(join(tmpdir(), 'noise-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TINY = ['--device', 'cpu', '--hidden', '16', '--limit-train', '512', '--warmup-steps', '30', '--window', '5'];

describe('npm run noise on a tiny network', () => {
  it('measures gradient noise that falls like 1/B, and a smooth full-batch curve', async () => {
    const json = join(dir, 'noise.json');
    const { code, out, err } = await cli(...TINY, '--batch-sizes', '4,16,64', '--samples', '24', '--steps', '20', '--full-steps', '8', '--json', json);
    expect(code, err.join('\n')).toBe(0);
    expect(out.join('\n')).toContain('Gradient noise at W');
    const r = JSON.parse(readFileSync(json, 'utf8')) as NoiseReport;
    expect(r.command).toBe(`npm run noise -- ${TINY.join(' ')} --batch-sizes 4,16,64 --samples 24 --steps 20 --full-steps 8 --json ${json}`);
    const sq = r.gradientNoise.map((g) => g.sqDist);
    expect(sq[0]).toBeGreaterThan(sq[1]);
    expect(sq[1]).toBeGreaterThan(sq[2]);
    // 1/B: B·E||g_B - G||², corrected for sampling without replacement, within a factor 1.5
    // while E||g_B - G||² itself falls 16-fold.
    const corrected = r.gradientNoise.map((g) => g.corrected);
    expect(Math.max(...corrected) / Math.min(...corrected)).toBeLessThan(1.5);
    expect(r.gradientNoise.map((g) => g.cosine)).toEqual([...r.gradientNoise.map((g) => g.cosine)].sort((a, b) => a - b));
    const [b4, , , full] = r.training;
    expect(full.label).toBe('full');
    expect(full.losses).toHaveLength(8);
    expect(full.residualStd).toBeLessThan(b4.residualStd / 10);
  });

  it('sums the full gradient over chunks, weighting each by its rows', async () => {
    const train = limitSplit((await loadEmbeddedMnist()).train, 300);
    const o: NoiseOptions = { trainCount: 300, batchSizes: [10], samples: 2, steps: 1, fullSteps: 1, window: 1, warmupSteps: 0, lr: 0.5, seed: 1, chunk: 300 };
    const init = initMlp([784, 8, 10], 2);
    const whole = await measureNoise(createCpuNoiseBackend(train, init), o);
    // Chunks of 128, 128 and 44 rows.
    const chunked = await measureNoise(createCpuNoiseBackend(train, init), { ...o, chunk: 128 });
    expect(chunked.fullLoss).toBeCloseTo(whole.fullLoss, 5);
    expect(chunked.fullGradNormSq / whole.fullGradNormSq).toBeCloseTo(1, 5);
    expect(chunked.gradientNoise[0].sqDist / whole.gradientNoise[0].sqDist).toBeCloseTo(1, 4);
  });

  it.each([
    [['--window', '4'], '--window must be odd'],
    [['--steps', '3'], '--steps must be at least --window (5)'],
    [['--batch-sizes', '8,8'], 'repeated'],
    [['--batch-sizes', '1024'], '1024 is more than the 512 training samples'],
    [['--samples', '1'], '--samples must be an integer >= 2'],
    [['--device', 'tpu'], '--device must be one of gpu, cpu'],
  ])('%j: exit 2 with one error line', async (argv, message) => {
    const { code, err } = await cli(...TINY, ...argv);
    expect(code).toBe(2);
    expect(err).toHaveLength(1);
    expect(err[0]).toContain(message);
  });
});
