// The WebGPU trainer's state, in Node through Dawn: the buffers memory.ts plans are the ones it
// allocates; a run stopped at a read-back and resumed from its checkpoint equals the
// uninterrupted run bit for bit (momentum, augmentation: the step counter starts at the resumed
// step); a finite loss explosion stops it as on the CPU.
import { denseSpec } from '../../src/model/spec.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataSet } from '../../src/data/dataset.ts';
import { loadEmbeddedMnist } from '../../src/data/mnist-node.ts';
import { requestGpu, type GpuContext } from '../../src/gpu/context.ts';
import { initMlp, mlpParamTensors, resolveMlp } from '../../src/reference/mlp.ts';
import { decodeCheckpoint, encodeCheckpoint } from '../../src/train/checkpoint.ts';
import { validateConfig } from '../../src/train/config.ts';
import { GpuTrainer } from '../../src/train/gpu-trainer.ts';
import { gpuBufferNeeds } from '../../src/train/memory.ts';
import { KernelChooser } from '../../src/gpu/kernel-choice.ts';
import { runSession, type SessionResult } from '../../src/train/session.ts';

let ctx: GpuContext;
let data: DataSet;
beforeAll(async () => {
  ctx = await requestGpu();
  data = await loadEmbeddedMnist();
});
afterAll(() => ctx?.destroy());

const bits = (r: SessionResult) => mlpParamTensors(r.weights).map((t) => Array.from(new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length)));

describe('the WebGPU trainer', () => {
  // SGD with momentum keeps one state float per parameter, Adam two.
  it.each([{ momentum: 0.9 }, { optimizer: 'adam' as const, lr: 1e-3 }])("allocates exactly the buffers memory.ts plans (the up-front size check's basis): %j", async (optimizer) => {
    const config = validateConfig({ batchSize: 16, model: denseSpec([24, 12], ['sigmoid']), ...optimizer, readbackEvery: 7 });
    const train = { ...data.train, count: 100 };
    const test = { ...data.test, count: 30 };
    const release = ctx.trackNewBuffers();
    const before = ctx.liveBytes;
    await GpuTrainer.create(ctx, { config, train, test, init: initMlp([784, 24, 12, 10], 1), kernels: await KernelChooser.create(ctx, { force: 'vec4' }) });
    const allocated = ctx.liveBytes - before;
    release();
    const planned = gpuBufferNeeds(config, resolveMlp([784, 24, 12, 10], config), 100, 30).reduce((a, b) => a + b.bytes, 0);
    // Besides the plan: the kernels' small uniforms (dimensions, hyper-parameters), under 2 KB.
    expect(allocated - planned).toBeGreaterThanOrEqual(0);
    expect(allocated - planned).toBeLessThan(2048);
  });

  it('allocates exactly the buffers memory.ts plans for f32 features (a CSV\'s), 4 bytes a value', async () => {
    const config = validateConfig({ batchSize: 16, model: denseSpec([24], ['sigmoid']), readbackEvery: 7 });
    const split = (count: number) => ({ features: new Float32Array(count * 5), labels: new Uint8Array(count), count, width: 5, image: null });
    const release = ctx.trackNewBuffers();
    const before = ctx.liveBytes;
    await GpuTrainer.create(ctx, { config, train: split(1000), test: split(300), init: initMlp([5, 24, 3], 1), kernels: await KernelChooser.create(ctx, { force: 'vec4' }) });
    const allocated = ctx.liveBytes - before;
    release();
    const needs = gpuBufferNeeds(config, resolveMlp([5, 24, 3], config), 1000, 300, false, 'f32');
    expect(needs.find((n) => n.label === 'train features')).toMatchObject({ bytes: 1000 * 5 * 4, shape: '1000 x 5 f32' });
    const planned = needs.reduce((a, b) => a + b.bytes, 0);
    expect(allocated - planned).toBeGreaterThanOrEqual(0);
    expect(allocated - planned).toBeLessThan(2048);
  });

  // SGD with Nesterov momentum, and AdamW, whose bias correction counts the steps on the GPU.
  it.each([
    ['sgd', { lr: 0.1, momentum: 0.9, nesterov: true }],
    ['adamw', { optimizer: 'adamw' as const, lr: 1e-3, weightDecay: 1e-2 }],
  ])('%s resumed from a mid-epoch checkpoint, equals the uninterrupted run bit for bit', async (_, optimizer) => {
    // 8 steps an epoch, read back every 3; stopped after 4 read-backs: epoch 2, step 3.
    const config = { epochs: 2, batchSize: 16, model: denseSpec([32, 16], ['sigmoid']), ...optimizer, augmentShift: 2,
      readbackEvery: 3, limitTrain: 128, limitTest: 50 };
    const common = { device: 'gpu' as const, data, ctx, matmul: 'vec4' as const };
    const full = await runSession({ ...common, config });
    let seen = 0;
    const stopped = await runSession({ ...common, config, shouldStop: () => seen >= 4, events: { onProgress: () => void seen++ } });
    const state = decodeCheckpoint(encodeCheckpoint(stopped.state), 'ckpt');
    expect([state.progress.epoch, state.progress.step]).toEqual([1, 3]);
    // The kernels it trained with, kept for the resumed run.
    const k = stopped.report.kernels!;
    expect(state.kernels).toEqual({ ...k.matmul, ...k.biasGrad });
    const resumed = await runSession({ ...common, config: {}, resume: state });
    expect(resumed.report.stepLosses).toEqual(full.report.stepLosses);
    expect(resumed.report.epochs.map((e) => e.testAccuracy)).toEqual(full.report.epochs.map((e) => e.testAccuracy));
    expect(bits(resumed)).toEqual(bits(full));
    expect(resumed.state.optimizer).toEqual(full.state.optimizer);
  });

  it('lr 1e6: the finite explosion stops the run, with the weights of the read-back before it', async () => {
    const config = { epochs: 1, batchSize: 16, lr: 1e6, model: denseSpec([32], ['sigmoid']), readbackEvery: 1, limitTrain: 64, limitTest: 16, shuffle: false };
    const r = await runSession({ config, device: 'gpu', data, ctx, matmul: 'vec4' });
    expect(r.report.diverged).toMatch(/^training diverged: the mean loss of steps 1-1 of epoch 1 reached [\d.e+]+, over 230 /);
    const oneStep = await runSession({ config: { ...config, limitTrain: 16 }, device: 'gpu', data, ctx, matmul: 'vec4' });
    expect(oneStep.report.diverged).toBeNull();
    expect(bits(r)).toEqual(bits(oneStep));
  });
});
