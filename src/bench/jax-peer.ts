// Section 7's second peer: jax-js (@jax-js/jax) on its WebGPU device, training the bench's networks
// the way a jax-js user would: the parameters as a list of arrays, the loss a plain function of them
// (lax.conv, lax.reduceWindow for max pooling, matmul, nn.logSoftmax), and one jit-compiled step
// (valueAndGrad of the NLL loss, then the SGD update) that returns the loss and the new parameters.
// jax-js's arrays are NCHW and its conv kernels (out, in, k, k), as PyTorch's and ours: the weights
// go in as they are, with no layout conversion. Validated and timed as the TensorFlow.js peer is.
// Imported here only, when the peers section runs.
import type * as Jax from '@jax-js/jax';
import { syntheticSplit } from '../data/synthetic.ts';
import type { GpuContext } from '../gpu/context.ts';
import type { Activation } from '../model/activations.ts';
import type { NetworkSpec, ResolvedLayer } from '../model/spec.ts';
import { gatherU8Cpu } from '../reference/kernels.ts';
import { assembleMlp, mlpParamTensors, resolveWeights, type Mlp } from '../reference/mlp.ts';
import { TOLERANCES } from '../reference/tolerance.ts';
import { BENCH_NETWORKS, type BenchNetwork } from './networks.ts';
import { cpuSteps, oursForPeer, type PeersBenchOptions, type StepsResult } from './peers.ts';
import { median, medianRatio, timeInterleaved, type TimingBudget } from './timing.ts';
import type { JaxPeerRow, JaxPeersResult } from './types.ts';
import type { Validator } from './validate.ts';

const CLASSES = 10;

type JaxModule = typeof Jax;
type JaxArray = Jax.Array;

export interface LoadedJax {
  jax: JaxModule;
  /** e.g. "jax-js 0.1.25". */
  version: string;
  /** The adapter jax-js's WebGPU device runs on, as the device reports it. */
  adapter: { vendor: string; architecture: string };
}

/** jax-js on its WebGPU device. It looks for WebGPU on navigator.gpu, which Node is given first
 * (Dawn, the instance our trainer's adapter comes from). */
export async function loadJax(ctx: GpuContext): Promise<LoadedJax> {
  if (ctx.adapter.runtime === 'node') {
    await (await import('#node-gpu')).exposeNavigatorGpu();
    // jax-js's WebGPU module reads navigator.userAgent when it loads (to spot Firefox); the
    // navigator Node is given has none.
    const nav = globalThis.navigator as { userAgent?: string };
    if (nav.userAgent === undefined) Object.defineProperty(nav, 'userAgent', { value: 'Node.js', configurable: true });
  }
  const jax = await import('@jax-js/jax');
  // The package's "exports" leave out its package.json: read the installed copy's by path.
  const pkg = (await import('../../node_modules/@jax-js/jax/package.json')).default as { version: string };
  if (!(await jax.init('webgpu')).includes('webgpu')) {
    throw new Error('jax-js could not start its WebGPU device on this runtime; run the bench without the peers section');
  }
  jax.defaultDevice('webgpu');
  const info = (jax.getWebGPUDevice() as GPUDevice & { adapterInfo?: GPUAdapterInfo }).adapterInfo;
  return { jax, version: `jax-js ${pkg.version}`, adapter: { vendor: info?.vendor ?? '', architecture: info?.architecture ?? '' } };
}

/** The network as a jax-js user writes it: a loss of (parameters, x, one-hot labels) and a
 * jit-compiled SGD step. The parameters are [weight, bias] per dense or conv layer, in order. */
export class JaxNetwork {
  private readonly layers: ResolvedLayer[];
  private params: JaxArray[];
  private readonly step: Jax.OwnedFunction<(params: JaxArray[], x: JaxArray, oneHot: JaxArray) => [JaxArray, JaxArray[]]>;

  constructor(private readonly jax: JaxModule, init: Mlp, private readonly spec: NetworkSpec, lr: number) {
    if (spec.loss !== 'nll') throw new Error(`the jax-js peer trains with softmax cross-entropy ('nll'), not '${spec.loss}'`);
    this.layers = resolveWeights(init, spec);
    const { numpy: np } = jax;
    this.params = init.layers.flatMap((l) => l.params.map((p) => np.array(p.data).reshape([...p.shape])));
    const loss = (params: JaxArray[], x: JaxArray, oneHot: JaxArray) => this.loss(params, x, oneHot);
    this.step = jax.jit((params: JaxArray[], x: JaxArray, oneHot: JaxArray): [JaxArray, JaxArray[]] => {
      const [value, grads] = jax.valueAndGrad(loss)(jax.tree.ref(params), x, oneHot);
      return [value, params.map((p, i) => p.sub(grads[i].mul(lr)))];
    });
  }

  private activate(x: JaxArray, activation: Activation): JaxArray {
    const { nn } = this.jax;
    switch (activation) {
      case 'none': return x;
      case 'sigmoid': return nn.sigmoid(x);
      case 'relu': return nn.relu(x);
      case 'tanh': return this.jax.numpy.tanh(x);
      default: throw new Error(`the jax-js peer has no ${activation} activation: bench a network of none, sigmoid, relu or tanh`);
    }
  }

  /** The batch's mean NLL of log-softmax, from rows of `inputShape`. Owns its arguments. */
  private loss(params: JaxArray[], x: JaxArray, oneHot: JaxArray): JaxArray {
    const { numpy: np, lax, nn } = this.jax;
    const B = x.shape[0];
    let h = x.reshape([B, ...this.layers[0].inShape]);
    let p = 0;
    for (const layer of this.layers) {
      const s = layer.spec;
      if (s.type === 'flatten') h = h.reshape([B, ...layer.outShape]);
      else if (s.type === 'maxpool2d') h = lax.reduceWindow(h, (w) => np.max(w), [s.kernel, s.kernel], [s.kernel, s.kernel]);
      else if (s.type === 'conv2d') {
        const [w, b] = [params[p++], params[p++]];
        const pad: [number, number] = [s.padding, s.padding];
        h = this.activate(lax.conv(h, w, [s.stride, s.stride], [pad, pad]).add(b.reshape([1, -1, 1, 1])), layer.activation);
      } else {
        const [w, b] = [params[p++], params[p++]];
        h = this.activate(np.matmul(h, w.transpose()).add(b), layer.activation);
      }
    }
    return np.sum(oneHot.mul(nn.logSoftmax(h, -1))).mul(-1 / B);
  }

  /** One jit-compiled SGD step on a batch (both consumed): the batch's loss before the update,
   * still on the GPU (the caller reads or disposes it). */
  train(x: JaxArray, oneHot: JaxArray): JaxArray {
    const [loss, next] = this.step(this.params, x, oneHot);
    this.params = next;
    return loss;
  }

  /** The current parameters in PyTorch's layout (jax-js's own). */
  async weights(init: Mlp): Promise<Mlp> {
    const data = await Promise.all(this.params.map(async (p) => (await p.ref.data()) as Float32Array));
    let next = 0;
    return assembleMlp(resolveWeights(init, this.spec), (_, i) => init.layers[i].params.map(() => data[next++]));
  }

  dispose(): void {
    this.jax.tree.dispose(this.params);
    this.step.dispose();
  }
}

/** Rows x and one-hot labels on jax-js's device. */
function batchArrays(jax: JaxModule, x: Float32Array, labels: Uint8Array, rows: number): [JaxArray, JaxArray] {
  const { numpy: np, nn } = jax;
  return [np.array(x).reshape([rows, x.length / rows]), nn.oneHot(np.array(Int32Array.from(labels), { dtype: np.int32 }), CLASSES)];
}

/** `steps` jax-js steps on one batch, from `init`. */
export async function jaxSteps(jax: JaxModule, init: Mlp, spec: NetworkSpec, x: Float32Array, labels: Uint8Array, B: number, lr: number, steps: number): Promise<StepsResult> {
  const model = new JaxNetwork(jax, init, spec, lr);
  const [xs, ys] = batchArrays(jax, x, labels, B);
  try {
    const losses: number[] = [];
    for (let s = 0; s < steps; s++) losses.push((await model.train(xs.ref, ys.ref).data())[0]);
    return { losses, weights: await model.weights(init) };
  } finally {
    jax.tree.dispose([xs, ys]);
    model.dispose();
  }
}

const peerName = (net: BenchNetwork, B: number) => `jax-js ${net.name} B=${B}`;

/** Two jax-js steps against two CPU reference steps from the same weights and batch, at the
 * tolerances the TensorFlow.js peer meets. */
export async function validateJaxPeer(jax: JaxModule, net: BenchNetwork, B: number, v: Validator): Promise<boolean> {
  const data = syntheticSplit(B, 3 + B);
  const init = net.init(5);
  const x = gatherU8Cpu(data.features, Array.from({ length: B }, (_, i) => i), init.sizes[0]);
  const ref = cpuSteps(init, net.spec, x, data.labels, B, net.lr, 2);
  const peer = await jaxSteps(jax, init, net.spec, x, data.labels, B, net.lr, 2);
  let ok = v.check(`${peerName(net, B)} losses of steps 1-2`, peer.losses, ref.losses, TOLERANCES.peerLoss);
  const want = mlpParamTensors(ref.weights);
  for (const [i, t] of mlpParamTensors(peer.weights).entries()) {
    ok = v.check(`${peerName(net, B)} ${t.name} after 2 steps`, t.data, want[i].data, TOLERANCES.peerParams) && ok;
  }
  return ok;
}

async function timeJaxPeer(ctx: GpuContext, jax: JaxModule, net: BenchNetwork, B: number, opts: PeersBenchOptions, budget: TimingBudget): Promise<JaxPeerRow> {
  const { steps, train, init, oursRun } = await oursForPeer(ctx, net, B, opts);

  // Resident like ours and like the TensorFlow.js peer's data, sliced per batch; every step's loss
  // is an output of the jit-compiled step, read back on an interval's last step only.
  const model = new JaxNetwork(jax, init, net.spec, net.lr);
  const [xs, ys] = batchArrays(jax, gatherU8Cpu(train.features, Array.from({ length: train.count }, (_, i) => i), init.sizes[0]), train.labels, train.count);
  const jaxRun = async (inner: number) => {
    for (let i = 0; i < inner; i++) {
      for (let s = 0; s < steps; s++) {
        const rows: [number, number] = [s * B, (s + 1) * B];
        const loss = model.train(xs.ref.slice(rows), ys.ref.slice(rows));
        if (s === steps - 1) await loss.data();
        else loss.dispose();
      }
    }
  };
  try {
    const { timings, samples } = await timeInterleaved([oursRun, jaxRun], budget);
    const oursStepMs = median(samples[0]) / steps;
    const jaxStepMs = median(samples[1]) / steps;
    return {
      model: net.name,
      batch: B,
      stepsPerReadback: steps,
      oursStepMs,
      jaxStepMs,
      oursSamplesPerSec: (B * 1000) / oursStepMs,
      jaxSamplesPerSec: (B * 1000) / jaxStepMs,
      oursOverJax: medianRatio(samples[1], samples[0]),
      timings: { ours: timings[0], jax: timings[1] },
    };
  } finally {
    jax.tree.dispose([xs, ys]);
    model.dispose();
  }
}

/** The jax-js peer's rows; where jax-js cannot start its WebGPU device, the reason, which the
 * report prints, instead of rows. */
export async function benchJaxPeer(
  ctx: GpuContext,
  opts: PeersBenchOptions,
  budget: TimingBudget,
  v: Validator,
  log: (s: string) => void,
): Promise<JaxPeersResult> {
  let loaded: LoadedJax;
  try {
    loaded = await loadJax(ctx);
  } catch (err) {
    const unavailable = (err as Error).message;
    log(`peers: jax-js skipped: ${unavailable}`);
    return { version: '', adapter: { vendor: '', architecture: '' }, sameAdapter: false, unavailable, rows: [] };
  }
  const { jax, version, adapter } = loaded;
  const sameAdapter = adapter.vendor === ctx.adapter.vendor && adapter.architecture === ctx.adapter.architecture;
  log(`peers: ${version} on ${adapter.vendor} / ${adapter.architecture}${sameAdapter ? ' (the same adapter)' : ' (NOT the adapter this bench runs on)'}`);
  const rows: JaxPeerRow[] = [];
  const release = ctx.trackNewBuffers();
  try {
    for (const net of opts.models.map((m) => BENCH_NETWORKS[m])) {
      for (const B of opts.batches) {
        log(`peers jax-js ${net.name} B=${B}: validating two jit-compiled steps against the CPU reference`);
        if (!(await validateJaxPeer(jax, net, B, v))) continue;
        log(`peers jax-js ${net.name} B=${B}: timing this trainer and jax-js in interleaved rounds`);
        const row = await timeJaxPeer(ctx, jax, net, B, opts, budget);
        rows.push(row);
        log(`peers jax-js ${net.name} B=${B}: ours ${row.oursSamplesPerSec.toFixed(0)} samples/s, jax-js ${row.jaxSamplesPerSec.toFixed(0)} samples/s: ` +
          `${row.oursOverJax.toFixed(2)}x (median of rounds)`);
      }
    }
  } finally {
    release();
  }
  return { version, adapter, sameAdapter, unavailable: null, rows };
}
