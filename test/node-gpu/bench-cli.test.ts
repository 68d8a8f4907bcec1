// `npm run bench` end to end in its smallest form (--quick --runtime node, one repeat, batch 4,
// the vec4 matmul, the notebook's toy network, TensorFlow.js and jax-js as the peers): checks the files it
// writes and their structure — validation passed, adapter info, every section present — never
// its speed.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runBenchCli } from '../../src/cli/bench.ts';
import type { BenchResult } from '../../src/bench/types.ts';
import { captureCli } from '../support/cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'bench-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cli = captureCli(runBenchCli);

const TINY = ['--quick', '--runtime', 'node', '--repeats', '1', '--batches', '4', '--variants', 'vec4',
  '--readback-every', '2', '--toy-widths', '2', '--out', dir];

describe('bench CLI', () => {
  it('a tiny quick run in Node validates, times and writes the JSON and Markdown', async () => {
    const { code, err } = await cli(...TINY, '--sections', 'ceiling,matmul,training,cpu,toy,peers');
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
    // The matmuls the fused step runs at the one batch size, with its epilogues: fc1 and fc2 forward
    // (fc3's is in the output-layer kernel), fc2's input gradient through fc1's sigmoid backward,
    // and both weight gradients fused with their SGD update.
    expect(r.matmul.map((m) => `${m.layer} ${m.role} ${m.epilogue}`)).toEqual([
      'fc1 forward bias-sigmoid', 'fc2 forward bias-sigmoid', 'fc2 backward dX sigmoid-backward', 'fc2 backward dW sgd+bias', 'fc1 backward dW sgd+bias']);
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
    expect(r.peers?.sameAdapter).toBe(true);
    expect(r.peers?.rows.map((p) => [p.model, p.batch, p.stepsPerReadback])).toEqual([['mlp', 4, 2], ['cnn', 4, 2]]);
    for (const row of r.peers!.rows) expect(row.oursOverTfjs).toBeGreaterThan(0);
    expect(r.jaxPeer?.unavailable).toBeNull();
    expect(r.jaxPeer?.sameAdapter).toBe(true);
    expect(r.jaxPeer?.rows.map((p) => [p.model, p.batch, p.stepsPerReadback])).toEqual(r.peers?.rows.map((p) => [p.model, p.batch, p.stepsPerReadback]));
    expect(r.targets.length).toBeGreaterThanOrEqual(2);
    for (const target of r.targets) expect(typeof target.holds).toBe('boolean');

    const md = readFileSync(join(dir, json!.replace(/\.json$/, '.md')), 'utf8');
    for (const heading of ['## 1. Adapter ceiling', '## 2. Matmul', '## 3. Training step', '## 4. GPU vs the CPU reference',
      '## 5. Toy network', '## 7. Peers: TensorFlow.js', '### 7b. Peers: jax-js', '## Targets']) {
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
