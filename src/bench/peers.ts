// Section 7, peers: the bench's networks (the notebook's 784-512-256-10 sigmoid MLP and the CNN
// preset) trained the way a TensorFlow.js user would (tfjs and its WebGPU backend, a hand-written
// loop: tf.variable weights, tf.conv2d / tf.maxPool / matMul + add + activation,
// tf.losses.softmaxCrossEntropy, tf.train.sgd's minimize), on the same adapter as this project's
// trainer, at the same batch size and lr. Validated first: tfjs's first two steps from our initial
// weights and batch against the CPU reference. Then both are timed in interleaved rounds, each
// unit an interval of `readbackEvery` steps that ends in one loss read-back.
// TensorFlow.js is imported here only, when the section runs: the trainer and the dashboard never
// load it.
import type * as Tf from '@tensorflow/tfjs';
import { epochOrder } from '../data/batches.ts';
import { syntheticSplit } from '../data/synthetic.ts';
import type { GpuContext } from '../gpu/context.ts';
import type { KernelChooser } from '../gpu/kernel-choice.ts';
import { gatherU8Cpu } from '../reference/kernels.ts';
import { plainSgd } from '../model/optimizers.ts';
import type { Activation } from '../model/activations.ts';
import type { NetworkSpec, ResolvedLayer } from '../model/spec.ts';
import { assembleMlp, cloneMlp, createMlpOptimizerState, mlpParamTensors, mlpTrainStepCpu, resolveWeights, type Mlp } from '../reference/mlp.ts';
import { TOLERANCES } from '../reference/tolerance.ts';
import { GpuTrainer } from '../train/gpu-trainer.ts';
import { BENCH_NETWORKS, stepConfig, type BenchModel, type BenchNetwork } from './networks.ts';
import { median, medianRatio, timeInterleaved, type TimingBudget } from './timing.ts';
import { cnnReadbackEvery, readbackEveryFor } from './training.ts';
import type { PeerRow, PeersResult } from './types.ts';
import type { Validator } from './validate.ts';

const CLASSES = 10;

type TfModule = typeof Tf;

export interface LoadedTfjs {
  tf: TfModule;
  /** e.g. "tfjs 4.22.0, tfjs-backend-webgpu 4.22.0". */
  versions: string;
  /** The adapter tfjs's WebGPU backend chose, as it reports it (vendor / architecture). */
  adapter: { vendor: string; architecture: string };
}

/** TensorFlow.js on its WebGPU backend. In Node, the backend finds WebGPU where a page has it,
 * on navigator.gpu, which must be there before the backend is imported. */
export async function loadTfjs(ctx: GpuContext): Promise<LoadedTfjs> {
  if (ctx.adapter.runtime === 'node') await (await import('#node-gpu')).exposeNavigatorGpu();
  const tf = await import('@tensorflow/tfjs');
  await import('@tensorflow/tfjs-backend-webgpu');
  const backendPkg = (await import('@tensorflow/tfjs-backend-webgpu/package.json')).default as { version: string };
  if (!(await tf.setBackend('webgpu'))) {
    throw new Error('TensorFlow.js could not start its WebGPU backend on this adapter; run the bench without the peers section');
  }
  const info = (tf.backend() as unknown as { adapterInfo?: { vendor?: string; architecture?: string } }).adapterInfo;
  return {
    tf,
    versions: `tfjs ${tf.version.tfjs}, tfjs-backend-webgpu ${backendPkg.version}`,
    adapter: { vendor: info?.vendor ?? '', architecture: info?.architecture ?? '' },
  };
}

/** Where a PyTorch tensor's element goes in tfjs's layout: tf[i] = torch[toTorch[i]]. */
type Layout = Int32Array;

/** A dense weight (out, in) as tfjs's kernel (in, out). After a flatten of (C, H, W), tfjs's rows
 * come in NHWC order, (h, w, c): the kernel's rows are permuted to match, so that the network
 * needs no transpose per step. */
function denseLayout(out: number, inShape: readonly number[]): Layout {
  const [C, H, W] = inShape.length === 3 ? inShape : [inShape[0], 1, 1];
  const n = C * H * W;
  const map = new Int32Array(n * out);
  for (let h = 0; h < H; h++) {
    for (let w = 0; w < W; w++) {
      for (let c = 0; c < C; c++) {
        const tfRow = (h * W + w) * C + c;
        const torchCol = (c * H + h) * W + w;
        for (let o = 0; o < out; o++) map[tfRow * out + o] = o * n + torchCol;
      }
    }
  }
  return map;
}

/** A conv weight (out, in, k, k) as tfjs's filter (k, k, in, out). */
function convLayout(out: number, inC: number, k: number): Layout {
  const map = new Int32Array(out * inC * k * k);
  for (let kh = 0; kh < k; kh++) {
    for (let kw = 0; kw < k; kw++) {
      for (let i = 0; i < inC; i++) {
        for (let o = 0; o < out; o++) map[((kh * k + kw) * inC + i) * out + o] = ((o * inC + i) * k + kh) * k + kw;
      }
    }
  }
  return map;
}

const toTfjs = (torch: Float32Array, map: Layout): Float32Array => Float32Array.from(map, (j) => torch[j]);
function toTorch(tf: Float32Array, map: Layout): Float32Array {
  const out = new Float32Array(tf.length);
  map.forEach((j, i) => (out[j] = tf[i]));
  return out;
}

type TfLayer =
  | { type: 'dense' | 'conv2d'; layer: ResolvedLayer; w: Tf.Variable; b: Tf.Variable; map: Layout }
  | { type: 'maxpool2d' | 'flatten'; layer: ResolvedLayer };

/** The network as a TensorFlow.js user writes it, layer by layer in tfjs's NHWC layout: tf.conv2d
 * (explicit padding, stride) + bias + activation, tf.maxPool (kernel = stride, 'valid'), a reshape
 * for flatten, matMul + add + activation, tf.losses.softmaxCrossEntropy on the logits, tf.train.sgd. */
export class TfjsNetwork {
  private readonly layers: TfLayer[];
  private readonly optimizer: Tf.SGDOptimizer;

  constructor(private readonly tf: TfModule, init: Mlp, private readonly spec: NetworkSpec, lr: number) {
    if (spec.loss !== 'nll') throw new Error(`the TensorFlow.js peer trains with softmax cross-entropy ('nll'), not '${spec.loss}'`);
    this.layers = resolveWeights(init, spec).map((layer, l, all): TfLayer => {
      const type = layer.spec.type;
      if (type === 'maxpool2d' || type === 'flatten') return { type, layer };
      const [weight, bias] = init.layers[l].params;
      // A dense layer's input is (C, H, W) when a flatten feeds it.
      const rows = l > 0 && all[l - 1].spec.type === 'flatten' ? all[l - 1].inShape : layer.inShape;
      const map = type === 'conv2d' ? convLayout(weight.shape[0], weight.shape[1], weight.shape[2]) : denseLayout(weight.shape[0], rows);
      const shape = type === 'conv2d' ? [weight.shape[2], weight.shape[3], weight.shape[1], weight.shape[0]] : [weight.shape[1], weight.shape[0]];
      return { type, layer, map, w: tf.variable(tf.tensor(toTfjs(weight.data, map), shape)), b: tf.variable(tf.tensor1d(bias.data)) };
    });
    this.optimizer = tf.train.sgd(lr);
  }

  private activate(x: Tf.Tensor, activation: Activation): Tf.Tensor {
    const { tf } = this;
    switch (activation) {
      case 'none': return x;
      case 'sigmoid': return tf.sigmoid(x);
      case 'relu': return tf.relu(x);
      case 'tanh': return tf.tanh(x);
      default: throw new Error(`the TensorFlow.js peer has no ${activation} activation: bench a network of none, sigmoid, relu or tanh`);
    }
  }

  /** Rows of `inputShape` ((C, H, W) images or flat rows) in tfjs's layout: NHWC images. */
  private input(x: Tf.Tensor2D): Tf.Tensor {
    const shape = this.layers[0].layer.inShape;
    if (shape.length !== 3) return x;
    const [C, H, W] = shape;
    return C === 1 ? x.reshape([-1, H, W, 1]) : x.reshape([-1, C, H, W]).transpose([0, 2, 3, 1]);
  }

  private loss(x: Tf.Tensor2D, oneHot: Tf.Tensor2D): Tf.Scalar {
    const { tf } = this;
    let h = this.input(x);
    for (const l of this.layers) {
      const s = l.layer.spec;
      if (l.type === 'flatten') h = h.reshape([h.shape[0], -1]);
      else if (s.type === 'maxpool2d') h = tf.maxPool(h as Tf.Tensor4D, s.kernel, s.kernel, 'valid');
      else if (l.type === 'conv2d' && s.type === 'conv2d') {
        h = this.activate(tf.add(tf.conv2d(h as Tf.Tensor4D, l.w as Tf.Tensor4D, s.stride, s.padding), l.b), l.layer.activation);
      } else if (l.type === 'dense') h = this.activate(tf.add(tf.matMul(h as Tf.Tensor2D, l.w as Tf.Tensor2D), l.b), l.layer.activation);
    }
    return tf.losses.softmaxCrossEntropy(oneHot, h as Tf.Tensor2D) as Tf.Scalar;
  }

  /** One SGD step on a batch. With `returnCost`, minimize also returns the batch's loss before
   * the update, still on the GPU; without, it keeps no cost tensor: a loop asks for it only on
   * the step whose loss it reads back. */
  step(x: Tf.Tensor2D, oneHot: Tf.Tensor2D, returnCost: boolean): Tf.Scalar | null {
    return this.optimizer.minimize(() => this.loss(x, oneHot), returnCost);
  }

  /** The current parameters in PyTorch's layout. */
  async weights(init: Mlp): Promise<Mlp> {
    const tensors: Float32Array[][] = [];
    for (const l of this.layers) {
      tensors.push(l.type === 'dense' || l.type === 'conv2d'
        ? [toTorch((await l.w.data()) as Float32Array, l.map), (await l.b.data()) as Float32Array]
        : []);
    }
    return assembleMlp(resolveWeights(init, this.spec), (_, i) => tensors[i]);
  }

  dispose(): void {
    for (const l of this.layers) if (l.type === 'dense' || l.type === 'conv2d') this.tf.dispose([l.w, l.b]);
    this.optimizer.dispose();
  }
}

export interface StepsResult {
  /** Each step's loss, before its update. */
  losses: number[];
  weights: Mlp;
}

/** `steps` SGD steps of the CPU reference on one batch, from `init`. */
export function cpuSteps(init: Mlp, spec: NetworkSpec, x: Float32Array, labels: Uint8Array, B: number, lr: number, steps: number): StepsResult {
  const mlp = cloneMlp(init);
  const opt = createMlpOptimizerState(mlp, plainSgd(lr));
  const losses = Array.from({ length: steps }, () => mlpTrainStepCpu(mlp, opt, x, labels, B, plainSgd(lr), spec).loss);
  return { losses, weights: mlp };
}

/** The same steps in TensorFlow.js. */
export async function tfjsSteps(tf: TfModule, init: Mlp, spec: NetworkSpec, x: Float32Array, labels: Uint8Array, B: number, lr: number, steps: number): Promise<StepsResult> {
  const model = new TfjsNetwork(tf, init, spec, lr);
  const xs = tf.tensor2d(x, [B, init.sizes[0]]);
  const ys = tf.oneHot(tf.tensor1d(labels, 'int32'), CLASSES) as Tf.Tensor2D;
  try {
    const losses: number[] = [];
    for (let s = 0; s < steps; s++) {
      const loss = model.step(xs, ys, true)!;
      losses.push((await loss.data())[0]);
      loss.dispose();
    }
    return { losses, weights: await model.weights(init) };
  } finally {
    tf.dispose([xs, ys]);
    model.dispose();
  }
}

/** The check names of a network's peer rows: the MLP's as they were before the CNN joined. */
const peerName = (net: BenchNetwork, B: number) => `tfjs${net.name === 'mlp' ? '' : ` ${net.name}`} B=${B}`;

/** Two tfjs steps against two CPU reference steps from the same weights and batch: the first
 * loss checks the forward pass, the second and the parameters the gradient and the update. */
export async function validatePeer(tf: TfModule, net: BenchNetwork, B: number, v: Validator): Promise<boolean> {
  const data = syntheticSplit(B, 3 + B);
  const init = net.init(5);
  const x = gatherU8Cpu(data.features, Array.from({ length: B }, (_, i) => i), init.sizes[0]);
  const ref = cpuSteps(init, net.spec, x, data.labels, B, net.lr, 2);
  const peer = await tfjsSteps(tf, init, net.spec, x, data.labels, B, net.lr, 2);
  let ok = v.check(`${peerName(net, B)} losses of steps 1-2`, peer.losses, ref.losses, TOLERANCES.peerLoss);
  const want = mlpParamTensors(ref.weights);
  for (const [i, t] of mlpParamTensors(peer.weights).entries()) {
    ok = v.check(`${peerName(net, B)} ${t.name} after 2 steps`, t.data, want[i].data, TOLERANCES.peerParams) && ok;
  }
  return ok;
}

export interface PeersBenchOptions {
  batches: number[];
  /** The networks both trainers train, in this order. */
  models: BenchModel[];
  /** Steps per timed interval (one loss read-back each); null: readbackEveryFor(B) for the MLP,
   * cnnReadbackEvery for the CNN, as the training section times them. */
  readbackEvery: number | null;
  /** Our trainer's kernels, as the training section chose them. */
  kernels: KernelChooser;
}

/** Our side of a peer's timing, the same for every peer: the steps per read-back, the data, the
 * initial weights, and a run of `inner` epochs of our trainer. */
export async function oursForPeer(ctx: GpuContext, net: BenchNetwork, B: number, opts: PeersBenchOptions) {
  const steps = opts.readbackEvery ?? (net.name === 'cnn' ? cnnReadbackEvery(B, ctx.adapter.isFallbackAdapter) : readbackEveryFor(B));
  const train = syntheticSplit(steps * B, 100 + B);
  const init = net.init(1);
  const ours = await GpuTrainer.create(ctx, { config: stepConfig(net, B, steps), train, test: null, init, kernels: opts.kernels });
  let epoch = 0;
  const oursRun = async (inner: number) => {
    for (let i = 0; i < inner; i++) {
      await ours.runEpoch({ epoch, order: epochOrder(train.count, 1, epoch, true), lr: net.lr }, () => {}, () => false);
      epoch++;
    }
  };
  return { steps, train, init, oursRun };
}

async function timePeer(ctx: GpuContext, tf: TfModule, net: BenchNetwork, B: number, opts: PeersBenchOptions, budget: TimingBudget, v: Validator): Promise<PeerRow | null> {
  const { steps, train, init, oursRun } = await oursForPeer(ctx, net, B, opts);

  // Resident like ours (a user's dataset held as tensors on the GPU), sliced per batch; a TF.js
  // user shuffles on the CPU, outside the timed loop. Only the interval's last step asks minimize
  // for its loss, read back once per interval as ours reads its losses once per interval.
  const model = new TfjsNetwork(tf, init, net.spec, net.lr);
  const xs = tf.tensor2d(gatherU8Cpu(train.features, Array.from({ length: train.count }, (_, i) => i), init.sizes[0]), [train.count, init.sizes[0]]);
  const ys = tf.oneHot(tf.tensor1d(train.labels, 'int32'), CLASSES) as Tf.Tensor2D;
  const tfjsRun = async (inner: number) => {
    for (let i = 0; i < inner; i++) {
      for (let s = 0; s < steps; s++) {
        const last = s === steps - 1;
        const loss = tf.tidy(() => model.step(xs.slice([s * B, 0], [B, -1]), ys.slice([s * B, 0], [B, -1]), last) ?? undefined);
        if (loss) {
          await loss.data();
          loss.dispose();
        }
      }
    }
  };
  try {
    const tensorsBefore = tf.memory().numTensors;
    const { timings, samples } = await timeInterleaved([oursRun, tfjsRun], budget);
    // A tensor kept per step would slow tfjs down as it trains: none may be left behind.
    if (!v.check(`${peerName(net, B)} tensors after timing = before`, [tf.memory().numTensors], [tensorsBefore], { atol: 0, rtol: 0 })) return null;
    const oursStepMs = median(samples[0]) / steps;
    const tfjsStepMs = median(samples[1]) / steps;
    return {
      model: net.name,
      batch: B,
      stepsPerReadback: steps,
      oursStepMs,
      tfjsStepMs,
      oursSamplesPerSec: (B * 1000) / oursStepMs,
      tfjsSamplesPerSec: (B * 1000) / tfjsStepMs,
      oursOverTfjs: medianRatio(samples[1], samples[0]),
      timings: { ours: timings[0], tfjs: timings[1] },
    };
  } finally {
    tf.dispose([xs, ys]);
    model.dispose();
  }
}

export async function benchPeers(
  ctx: GpuContext,
  opts: PeersBenchOptions,
  budget: TimingBudget,
  v: Validator,
  log: (s: string) => void,
): Promise<PeersResult> {
  const release = ctx.trackNewBuffers();
  const { tf, versions, adapter } = await loadTfjs(ctx);
  const sameAdapter = adapter.vendor === ctx.adapter.vendor && adapter.architecture === ctx.adapter.architecture;
  log(`peers: ${versions} on ${adapter.vendor} / ${adapter.architecture}${sameAdapter ? ' (the same adapter)' : ' (NOT the adapter this bench runs on)'}`);
  const rows: PeerRow[] = [];
  try {
    for (const net of opts.models.map((m) => BENCH_NETWORKS[m])) {
      for (const B of opts.batches) {
        log(`peers ${net.name} B=${B}: validating two tfjs steps against the CPU reference`);
        if (!(await validatePeer(tf, net, B, v))) continue;
        log(`peers ${net.name} B=${B}: timing this trainer and tfjs in interleaved rounds`);
        const row = await timePeer(ctx, tf, net, B, opts, budget, v);
        if (!row) continue;
        rows.push(row);
        log(`peers ${net.name} B=${B}: ours ${row.oursSamplesPerSec.toFixed(0)} samples/s, tfjs ${row.tfjsSamplesPerSec.toFixed(0)} samples/s: ` +
          `${row.oursOverTfjs.toFixed(2)}x (median of rounds)`);
      }
    }
  } finally {
    release();
  }
  return { versions, tfjsAdapter: adapter, sameAdapter, rows };
}
