// `npm run bench` end to end in its smallest form (--quick --runtime node, one repeat, batch 4,
// the vec4 matmul, the notebook's toy network): checks the files it writes and their structure —
// validation passed, adapter info, every section present — never its speed.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBenchCli } from '../../src/cli/bench.ts';
import { breakEvenEpochs, dataVerdict, packBatch } from '../../src/bench/data.ts';
import type { BenchResult } from '../../src/bench/types.ts';

const dir = mkdtempSync(join(tmpdir(), 'bench-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [], err: string[] = [];
  const code = await runBenchCli(argv, { out: (s) => out.push(...s.split('\n')), err: (s) => err.push(s) });
  return { code, out, err };
}

const TINY = ['--quick', '--runtime', 'node', '--repeats', '1', '--batches', '4', '--variants', 'vec4',
  '--readback-every', '2', '--toy-widths', '2', '--out', dir];

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

  it('a tiny quick run in Node validates, times and writes the JSON and Markdown', async () => {
    const { code, err } = await cli(...TINY, '--sections', 'ceiling,matmul,training,cpu,toy');
    expect(err).toEqual([]);
    expect(code).toBe(0);
    const files = readdirSync(dir);
    const json = files.find((f) => /^\d{4}-\d{2}-\d{2}-.+-dawn-quick\.json$/.test(f));
    expect(json, files.join(', ')).toBeDefined();
    expect(files).toContain(json!.replace(/\.json$/, '.md'));
    const r = JSON.parse(readFileSync(join(dir, json!), 'utf8')) as BenchResult;

    expect(r.schema).toBe(1);
    expect(r.mode).toBe('quick');
    expect(r.environment.runtime).toBe('node');
    expect(r.environment.runtimeVersion).toMatch(/Dawn/);
    expect(r.environment.host?.cpus).toBeGreaterThan(0);
    expect(typeof r.adapter.isFallbackAdapter).toBe('boolean');
    expect(r.adapter.limits.maxStorageBufferBindingSize).toBeGreaterThan(0);
    expect(Array.isArray(r.adapter.features)).toBe(true);

    expect(r.validation.passed).toBe(true);
    expect(r.validation.checks.length).toBeGreaterThan(10);
    expect(r.validation.checks.every((c) => c.ok)).toBe(true);

    const c = r.ceiling!;
    for (const x of [c.peakGflops, c.fmaGflops, c.fmaBuiltinGflops, c.copyGBps, c.emptyDispatchUs, c.submitReadbackMs]) {
      expect(x).toBeGreaterThan(0);
    }
    // 3 forward, 3 weight-gradient and 2 input-gradient shapes at the one batch size.
    expect(r.matmul).toHaveLength(8);
    for (const m of r.matmul) {
      expect(m.batch).toBe(4);
      expect(m.ms).toBeGreaterThan(0);
      expect(m.fractionOfPeak).toBeGreaterThan(0);
    }
    expect(new Set(r.matmul.map((m) => m.role))).toEqual(new Set(['forward', 'backward dW', 'backward dX']));

    expect(r.training).toHaveLength(1);
    const t = r.training[0];
    expect(t.batch).toBe(4);
    expect(t.stepMs).toBeGreaterThan(0);
    expect(t.kernels).toHaveLength(t.dispatchesPerStep);
    expect(t.kernels.reduce((s, k) => s + k.share, 0)).toBeCloseTo(1, 5);
    expect(t.liveBytes.after).toBe(t.liveBytes.before);
    expect(t.readsPerReadback).toBeGreaterThan(0);
    expect(t.epochSecondsExtrapolated).toBeGreaterThan(0);

    expect(r.cpuReference).toHaveLength(1);
    expect(r.cpuReference[0].gpuSpeedup).toBeGreaterThan(0);
    expect(r.toy?.rows.map((x) => x.network)).toEqual(['2-2-2 (notebook)']);
    expect(r.targets.length).toBeGreaterThanOrEqual(2);
    for (const target of r.targets) expect(typeof target.holds).toBe('boolean');

    const md = readFileSync(join(dir, json!.replace(/\.json$/, '.md')), 'utf8');
    for (const heading of ['## 1. Adapter ceiling', '## 2. Matmul', '## 3. Training step', '## 4. GPU vs the CPU reference',
      '## 5. Toy network', '## Targets']) {
      expect(md).toContain(heading);
    }
    expect(md).toContain('isFallbackAdapter');
  }, 600_000);

  // Its own run at batch 512: an epoch of 60,000 images is 15,000 steps at the tiny run's batch 4.
  // 60000 = 117 * 512 + 96: the last batch is ragged, and lands in the second slot of the ring.
  it('the data section times both paths over an epoch and concludes from the figures', async () => {
    const { code, err, out } = await cli('--quick', '--runtime', 'node', '--repeats', '1', '--batches', '512', '--readback-every', '2',
      '--sections', 'data', '--out', dir);
    expect(err).toEqual([]);
    expect(code).toBe(0);
    const json = out.find((l) => l.startsWith('wrote '))!.match(/^wrote (\S+\.json)/)![1];
    const r = JSON.parse(readFileSync(json, 'utf8')) as BenchResult;
    expect(r.validation.checks.map((c) => c.name)).toEqual(['upload-once', 'streaming'].flatMap((p) => [`data ${p} B=512 x`, `data ${p} B=512 y`]));
    expect(r.validation.passed).toBe(true);
    const d = r.data!.rows[0];
    expect(d).toMatchObject({ batch: 512, steps: 118, stepsPerSubmit: 2, ringSlots: 2 });
    for (const x of [d.uploadMs, d.onceEpochMs, d.streamEpochMs, d.streamCpuMs, d.streamOverOnce]) expect(x).toBeGreaterThan(0);
    expect(r.data!.conclusion).toContain('batch 512');
    expect(r.data!.conclusion).toContain(r.data!.choice === 'streaming' ? 'should stream' : 'keep uploading once');
    expect(readFileSync(json.replace(/\.json$/, '.md'), 'utf8')).toContain('## 6. Data path');
  }, 600_000);
});

describe('data section helpers', () => {
  // 5 images of 2x3 bytes: image s is bytes 10s..10s+5, its label 100 + s.
  const split = {
    images: Uint8Array.from({ length: 30 }, (_, i) => 10 * Math.floor(i / 6) + (i % 6)),
    labels: Uint8Array.from([100, 101, 102, 103, 104]),
    count: 5,
    rows: 2,
    cols: 3,
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
