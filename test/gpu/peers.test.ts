// The bench's peer (section 7), TensorFlow.js on its WebGPU backend, in Node through Dawn and in
// headless Chromium: it trains the same networks (the MLP and the CNN) as the CPU reference (validation passes and a
// tiny timed run gives a row), and the validation's tolerance catches a peer that trains
// differently.
import { describe, expect, it } from 'vitest';
import { benchPeers, cpuSteps, loadTfjs, tfjsSteps } from '../../src/bench/peers.ts';
import { KernelChooser } from '../../src/gpu/kernel-choice.ts';
import { Validator } from '../../src/bench/validate.ts';
import { syntheticSplit } from '../../src/data/synthetic.ts';
import { gatherU8Cpu } from '../../src/reference/kernels.ts';
import { cloneMlp, mlpParamTensors } from '../../src/reference/mlp.ts';
import { BENCH_NETWORKS } from '../../src/bench/networks.ts';
import { compareArrays } from '../../src/reference/tolerance.ts';
import { TOLERANCES } from '../../src/reference/tolerance.ts';
import { useGpu } from './gpu-suite.ts';

const B = 4;

describe('bench peers: TensorFlow.js (WebGPU)', () => {
  const gpu = useGpu();

  it.each([
    ['mlp', 'tfjs', ['fc1', 'fc2', 'fc3']],
    ['cnn', 'tfjs cnn', ['conv1', 'conv2', 'fc1', 'fc2']],
  ] as const)('%s: validates two tfjs steps against the CPU reference, then times both trainers', async (model, name, layers) => {
    const v = new Validator(() => {});
    const r = await benchPeers(gpu(), { batches: [B], models: [model], readbackEvery: 2, kernels: await KernelChooser.create(gpu(), { force: 'vec4' }) },
      { repeats: 1, targetMs: 1, maxInner: 1, maxTotalMs: 1 }, v, () => {});
    expect(v.checks.filter((c) => !c.ok)).toEqual([]);
    expect(v.checks.map((c) => c.name)).toEqual([
      `${name} B=${B} losses of steps 1-2`,
      ...layers.flatMap((l) => [`${name} B=${B} ${l}.weight after 2 steps`, `${name} B=${B} ${l}.bias after 2 steps`]),
      `${name} B=${B} tensors after timing = before`,
    ]);
    expect(r.versions).toBe('tfjs 4.22.0, tfjs-backend-webgpu 4.22.0');
    expect(r.sameAdapter).toBe(true);
    expect(r.rows).toHaveLength(1);
    const row = r.rows[0];
    expect(row).toMatchObject({ model, batch: B, stepsPerReadback: 2 });
    for (const x of [row.oursStepMs, row.tfjsStepMs, row.oursSamplesPerSec, row.tfjsSamplesPerSec, row.oursOverTfjs]) {
      expect(x).toBeGreaterThan(0);
    }
    expect(row.oursSamplesPerSec).toBeCloseTo((B * 1000) / row.oursStepMs, 6);
  });

  it('the tolerance catches a peer trained at another learning rate', async () => {
    const { tf } = await loadTfjs(gpu());
    const data = syntheticSplit(B, 11);
    const net = BENCH_NETWORKS.mlp;
    const init = net.init(2);
    const x = gatherU8Cpu(data.features, [0, 1, 2, 3], 784);
    const ref = cpuSteps(init, net.spec, x, data.labels, B, 0.5, 2);
    const peer = await tfjsSteps(tf, init, net.spec, x, data.labels, B, 0.45, 2);
    // The same forward pass first, then a different update.
    expect(compareArrays([peer.losses[0]], [ref.losses[0]], TOLERANCES.peerLoss).ok).toBe(true);
    expect(compareArrays([peer.losses[1]], [ref.losses[1]], TOLERANCES.peerLoss).ok).toBe(false);
    const want = mlpParamTensors(ref.weights);
    expect(mlpParamTensors(peer.weights).map((t, i) => compareArrays(t.data, want[i].data, TOLERANCES.peerParams).ok)).toContain(false);
  });

  it('the CNN peer\'s layout matters: fc1\'s rows left in PyTorch\'s (C, H, W) order fail the first loss', async () => {
    const { tf } = await loadTfjs(gpu());
    const data = syntheticSplit(B, 12);
    const net = BENCH_NETWORKS.cnn;
    const init = net.init(3);
    const x = gatherU8Cpu(data.features, [0, 1, 2, 3], 784);
    const ref = cpuSteps(init, net.spec, x, data.labels, B, net.lr, 1);
    const peer = await tfjsSteps(tf, init, net.spec, x, data.labels, B, net.lr, 1);
    expect(compareArrays(peer.losses, ref.losses, TOLERANCES.peerLoss).ok).toBe(true);
    // The same network with fc1's columns (its input) in another order: no longer the same function.
    const shuffled = cloneMlp(init);
    const fc1 = shuffled.layers.find((l) => l.name === 'fc1')!.params[0];
    const [out, n] = fc1.shape;
    const src = Float32Array.from(fc1.data);
    for (let o = 0; o < out; o++) for (let i = 0; i < n; i++) fc1.data[o * n + i] = src[o * n + ((i + 49) % n)];
    const wrong = await tfjsSteps(tf, shuffled, net.spec, x, data.labels, B, net.lr, 1);
    expect(compareArrays(wrong.losses, ref.losses, TOLERANCES.peerLoss).ok).toBe(false);
  });
});
