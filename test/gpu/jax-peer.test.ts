// The bench's second peer, jax-js on its WebGPU device: it trains the same networks (the MLP and
// the CNN) as the CPU reference, through one jit-compiled step (validation passes and a tiny timed
// run gives a row), and the validation's tolerance catches a peer that trains differently.
import { describe, expect, it } from 'vitest';
import { benchJaxPeer, jaxSteps, loadJax } from '../../src/bench/jax-peer.ts';
import { BENCH_NETWORKS } from '../../src/bench/networks.ts';
import { cpuSteps } from '../../src/bench/peers.ts';
import { Validator } from '../../src/bench/validate.ts';
import { syntheticSplit } from '../../src/data/synthetic.ts';
import { KernelChooser } from '../../src/gpu/kernel-choice.ts';
import { gatherU8Cpu } from '../../src/reference/kernels.ts';
import { mlpParamTensors } from '../../src/reference/mlp.ts';
import { compareArrays, TOLERANCES } from '../../src/reference/tolerance.ts';
import { useGpu } from './gpu-suite.ts';

const B = 4;

describe('bench peers: jax-js (WebGPU)', () => {
  const gpu = useGpu();

  it.each([
    ['mlp', ['fc1', 'fc2', 'fc3']],
    ['cnn', ['conv1', 'conv2', 'fc1', 'fc2']],
  ] as const)('%s: validates two jit-compiled jax-js steps against the CPU reference, then times both trainers', async (model, layers) => {
    const v = new Validator(() => {});
    const r = await benchJaxPeer(gpu(), { batches: [B], models: [model], readbackEvery: 2, kernels: await KernelChooser.create(gpu(), { force: 'vec4' }) },
      { repeats: 1, targetMs: 1, maxInner: 1, maxTotalMs: 1 }, v, () => {});
    expect(r.unavailable).toBeNull();
    expect(v.checks.filter((c) => !c.ok)).toEqual([]);
    expect(v.checks.map((c) => c.name)).toEqual([
      `jax-js ${model} B=${B} losses of steps 1-2`,
      ...layers.flatMap((l) => [`jax-js ${model} B=${B} ${l}.weight after 2 steps`, `jax-js ${model} B=${B} ${l}.bias after 2 steps`]),
    ]);
    expect(r.version).toBe('jax-js 0.1.25');
    expect(r.sameAdapter).toBe(true);
    expect(r.rows).toHaveLength(1);
    const row = r.rows[0];
    expect(row).toMatchObject({ model, batch: B, stepsPerReadback: 2 });
    for (const x of [row.oursStepMs, row.jaxStepMs, row.oursSamplesPerSec, row.jaxSamplesPerSec, row.oursOverJax]) expect(x).toBeGreaterThan(0);
  });

  it('the tolerance catches a jax-js peer trained at another learning rate', async () => {
    const { jax } = await loadJax(gpu());
    const data = syntheticSplit(B, 11);
    const net = BENCH_NETWORKS.cnn;
    const init = net.init(2);
    const x = gatherU8Cpu(data.features, [0, 1, 2, 3], 784);
    const ref = cpuSteps(init, net.spec, x, data.labels, B, net.lr, 2);
    const peer = await jaxSteps(jax, init, net.spec, x, data.labels, B, net.lr * 0.9, 2);
    // The same forward pass first, then a different update.
    expect(compareArrays([peer.losses[0]], [ref.losses[0]], TOLERANCES.peerLoss).ok).toBe(true);
    const want = mlpParamTensors(ref.weights);
    expect(mlpParamTensors(peer.weights).map((t, i) => compareArrays(t.data, want[i].data, TOLERANCES.peerParams).ok)).toContain(false);
  });
});
