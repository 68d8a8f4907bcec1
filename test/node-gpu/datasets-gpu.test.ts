// Data sets beyond MNIST on the WebGPU trainer (Node, Dawn): an IDX set of another image size and
// class count (gather_u8) and a CSV of f32 features (gather_f32) train to the CPU reference's
// losses step for step; `npm run train` takes both in Node and, the CSV served to the page, in
// headless Chromium.
import { denseSpec } from '../../src/model/spec.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTrainCli } from '../../src/cli/train.ts';
import { loadData } from '../../src/data/mnist-node.ts';
import { requestGpu, type GpuContext } from '../../src/gpu/context.ts';
import { TOLERANCES } from '../../src/reference/tolerance.ts';
import { runSession } from '../../src/train/session.ts';
import { trainingSets, writeTrainingSets } from '../support/datasets.ts';
import { captureCli } from '../support/cli.ts';
import { expectClose } from '../gpu/gpu-suite.ts';

const dir = mkdtempSync(join(tmpdir(), 'datasets-gpu-'));
const { idxDir, csvDir } = trainingSets(dir);
let ctx: GpuContext;
beforeAll(async () => {
  await writeTrainingSets(dir);
  ctx = await requestGpu();
});
afterAll(() => {
  ctx?.destroy();
  rmSync(dir, { recursive: true, force: true });
});


describe('the WebGPU trainer on data sets beyond MNIST', () => {
  it.each([
    ['12x10 images in 13 classes (IDX, u8)', { data: idxDir }, { model: denseSpec([32], ['relu']), epochs: 3, batchSize: 16, momentum: 0.9, lr: 0.1 }],
    ['4 features in 3 named classes (CSV, f32)', { data: csvDir, labelColumn: 'species' }, { model: denseSpec([16], ['tanh']), epochs: 3, batchSize: 10, lr: 0.1 }],
  ])('%s: the CPU reference\'s losses step for step, and it learns', async (_, options, config) => {
    const { data } = await loadData(options);
    const [gpu, cpu] = await Promise.all([runSession({ config, device: 'gpu', data, ctx }), runSession({ config, device: 'cpu', data })]);
    expect(gpu.report.stepLosses).toHaveLength(cpu.report.stepLosses.length);
    expectClose('step losses', gpu.report.stepLosses, cpu.report.stepLosses, TOLERANCES.trainingLoss);
    expect(gpu.report.epochs.at(-1)!.testAccuracy).toBeGreaterThan(90);
  });
});

const cli = captureCli(runTrainCli);

describe('npm run train on a CSV, on the GPU', () => {
  const args = ['--data', join(csvDir, 'train.csv'), '--test-data', join(csvDir, 'test.csv'), '--label-column', 'species',
    '--hidden', '16', '--activation', 'tanh', '--lr', '0.1', '--epochs', '3', '--batch', '10', '--no-progress'];
  let nodeOut: string[] = [];

  it('in Node (Dawn)', async () => {
    const { code, out, err } = await cli(...args, '--runtime', 'node');
    expect(err).toEqual([]);
    expect(code).toBe(0);
    expect(out).toContain('classes: 0 = setosa, 1 = versicolor, 2 = virginica');
    nodeOut = out.filter((l) => l.startsWith('Train Epoch') || l.startsWith('Test Loss'));
    expect(nodeOut).toHaveLength(6);
  });

  it('in headless Chromium, its files served to the page and read by the same loader: the same lines', async () => {
    const { code, out, err } = await cli(...args, '--runtime', 'browser');
    expect(err).toEqual([]);
    expect(code).toBe(0);
    expect(out.filter((l) => l.startsWith('Train Epoch') || l.startsWith('Test Loss')).length).toBe(nodeOut.length);
    expect(out, out.join('\n')).toContainEqual(expect.stringMatching(/^done: 3 epochs, final test accuracy (9\d|100)\.\d\d%/));
  });
});
