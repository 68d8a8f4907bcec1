// The bench command's option checks (no GPU needed: they fail before any adapter is requested)
// and the data section's arithmetic.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { breakEvenEpochs, dataVerdict, packBatch } from '../../src/bench/data.ts';
import { benchOptionsFrom, runBenchCli } from '../../src/cli/bench.ts';
import { DEFAULT_SECTIONS } from '../../src/bench/types.ts';
import { captureCli } from '../support/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'bench-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cli = captureCli(runBenchCli);

describe('bench CLI', () => {
  it.each([
    [['--runtime', 'deno'], '--runtime'],
    [['--repeats', '0'], '--repeats'],
    [['--variants', 'vec8'], '--variants'],
    [['--sections', 'gpu'], '--sections'],
    [['--batches', '4,x'], '--batches'],
  ])('%j: exit 2, one error line naming the option', async (argv, option) => {
    const { code, err } = await cli(...argv, '--out', dir);
    expect(code).toBe(2);
    expect(err).toHaveLength(1);
    expect(err[0]).toContain(option);
  });
});

describe('bench options', () => {
  it('time to accuracy runs only when asked for: --time-to-accuracy adds the accuracy section', () => {
    expect(benchOptionsFrom({ runtime: 'node', quick: true, out: dir }).sections).not.toContain('accuracy');
    expect(benchOptionsFrom({ runtime: 'node', out: dir }).sections).not.toContain('accuracy');
    const asked = benchOptionsFrom({ runtime: 'node', quick: true, timeToAccuracy: true, out: dir }).sections;
    expect(asked).toEqual([...DEFAULT_SECTIONS, 'accuracy']);
    expect(benchOptionsFrom({ runtime: 'node', sections: 'accuracy', timeToAccuracy: true, out: dir }).sections).toEqual(['accuracy']);
  });
});

describe('data section helpers', () => {
  // 5 images of 2x3 bytes: image s is bytes 10s..10s+5, its label 100 + s.
  const split = {
    features: Uint8Array.from({ length: 30 }, (_, i) => 10 * Math.floor(i / 6) + (i % 6)),
    labels: Uint8Array.from([100, 101, 102, 103, 104]),
    count: 5,
    width: 6,
    image: { rows: 2, cols: 3 },
  };
  const order = Uint32Array.from([4, 2, 0, 3, 1]);

  it('packBatch copies a batch\'s rows and labels in order, and a ragged last batch leaves the rest of the slot', () => {
    const images = new Uint8Array(12).fill(255);
    const labels = new Uint8Array(4).fill(255);
    expect(packBatch(split, order, 0, 2, images, labels)).toBe(2);
    expect(Array.from(images)).toEqual([40, 41, 42, 43, 44, 45, 20, 21, 22, 23, 24, 25]);
    expect(Array.from(labels)).toEqual([104, 102, 255, 255]);
    expect(packBatch(split, order, 2, 2, images, labels)).toBe(1);
    expect(Array.from(images)).toEqual([10, 11, 12, 13, 14, 15, 20, 21, 22, 23, 24, 25]);
    expect(Array.from(labels)).toEqual([101, 102, 255, 255]);
    expect(() => packBatch(split, order, 3, 2, images, labels)).toThrow(RangeError);
  });

  it('breakEvenEpochs: the upload over the per-epoch saving; never when streaming costs no more', () => {
    expect(breakEvenEpochs(800, 400)).toBe(2);
    expect(breakEvenEpochs(800, 0)).toBeNull();
    expect(breakEvenEpochs(800, -50)).toBeNull();
  });

  it('dataVerdict keeps upload-once only when its upload pays back within the run', () => {
    const row = { batch: 32, uploadMs: 800, streamOverOnce: 1.5 };
    const payback = dataVerdict({ ...row, streamExtraMsPerEpoch: 400, breakEvenEpochs: 2 }, 10);
    expect(payback.choice).toBe('upload-once');
    expect(payback.line).toContain('after 2.0 epochs');
    expect(payback.line).toContain('saves 3200 ms');
    const late = dataVerdict({ ...row, streamExtraMsPerEpoch: 50, breakEvenEpochs: 16 }, 10);
    expect(late.choice).toBe('streaming');
    expect(late.line).toContain('from 16 epochs on');
    const never = dataVerdict({ ...row, streamOverOnce: 0.8, streamExtraMsPerEpoch: -300, breakEvenEpochs: null }, 10);
    expect(never.choice).toBe('streaming');
    expect(never.line).toContain('300 ms less per epoch');
  });
});
