// The bench's peer (section 7), TensorFlow.js on its WebGPU backend, in Node through Dawn and in
// headless Chromium: it trains the same network as the CPU reference (validation passes and a
// tiny timed run gives a row), and the validation's tolerance catches a peer that trains
// differently.
import { describe, expect, it } from 'vitest';
import { benchPeers, cpuSteps, loadTfjs, tfjsSteps } from '../../src/bench/peers.ts';
import { KernelChooser } from '../../src/gpu/kernel-choice.ts';
import { Validator } from '../../src/bench/validate.ts';
import { syntheticSplit } from '../../src/data/synthetic.ts';
import { gatherU8Cpu } from '../../src/reference/kernels.ts';
import { initMlp, MNIST_MLP_SIZES, mlpParamTensors } from '../../src/reference/mlp.ts';
import { compareArrays } from '../../src/reference/tolerance.ts';
import { TOLERANCES } from '../../src/reference/tolerance.ts';
import { useGpu } from './gpu-suite.ts';

const B = 4;

describe('bench peers: TensorFlow.js (WebGPU)', () => {
  const gpu = useGpu();

  it('validates two tfjs steps against the CPU reference, then times both trainers', async () => {
    const v = new Validator(() => {});
    const r = await benchPeers(gpu(), { batches: [B], readbackEvery: 2, kernels: await KernelChooser.create(gpu(), { force: 'vec4' }) },
      { repeats: 1, targetMs: 1, maxInner: 1, maxTotalMs: 1 }, v, () => {});
    expect(v.checks.filter((c) => !c.ok)).toEqual([]);
    expect(v.checks.map((c) => c.name)).toEqual([
      `tfjs B=${B} losses of steps 1-2`,
      ...['fc1', 'fc2', 'fc3'].flatMap((l) => [`tfjs B=${B} ${l}.weight after 2 steps`, `tfjs B=${B} ${l}.bias after 2 steps`]),
      `tfjs B=${B} tensors after timing = before`,
    ]);
    expect(r.versions).toBe('tfjs 4.22.0, tfjs-backend-webgpu 4.22.0');
    expect(r.sameAdapter).toBe(true);
    expect(r.rows).toHaveLength(1);
    const row = r.rows[0];
    expect(row).toMatchObject({ batch: B, stepsPerReadback: 2 });
    for (const x of [row.oursStepMs, row.tfjsStepMs, row.oursSamplesPerSec, row.tfjsSamplesPerSec, row.oursOverTfjs]) {
      expect(x).toBeGreaterThan(0);
    }
    expect(row.oursSamplesPerSec).toBeCloseTo((B * 1000) / row.oursStepMs, 6);
  });

  it('the tolerance catches a peer trained at another learning rate', async () => {
    const { tf } = await loadTfjs(gpu());
    const data = syntheticSplit(B, 11);
    const init = initMlp([...MNIST_MLP_SIZES], 2);
    const x = gatherU8Cpu(data.features, [0, 1, 2, 3], 784);
    const ref = cpuSteps(init, x, data.labels, B, 0.5, 2);
    const peer = await tfjsSteps(tf, init, x, data.labels, B, 0.45, 2);
    // The same forward pass first, then a different update.
    expect(compareArrays([peer.losses[0]], [ref.losses[0]], TOLERANCES.peerLoss).ok).toBe(true);
    expect(compareArrays([peer.losses[1]], [ref.losses[1]], TOLERANCES.peerLoss).ok).toBe(false);
    const want = mlpParamTensors(ref.weights);
    expect(mlpParamTensors(peer.weights).map((t, i) => compareArrays(t.data, want[i].data, TOLERANCES.peerParams).ok)).toContain(false);
  });
});
