// Section 7, peers: the same 784-512-256-10 sigmoid network trained the way a TensorFlow.js user
// would (tfjs and its WebGPU backend, a hand-written loop: tf.variable weights, matMul + add +
// sigmoid, tf.losses.softmaxCrossEntropy, tf.train.sgd's minimize), on the same adapter as this
// project's trainer, at the same batch size and lr. Validated first: tfjs's first two steps from
// our initial weights and batch against the CPU reference. Then both are timed in interleaved
// rounds, each unit an interval of `readbackEvery` steps that ends in one loss read-back.
// TensorFlow.js is imported here only, when the section runs: the trainer and the dashboard never
// load it.
import type * as Tf from '@tensorflow/tfjs';
import { epochOrder } from '../data/batches.ts';
import { syntheticSplit } from '../data/synthetic.ts';
import type { GpuContext } from '../gpu/context.ts';
import type { KernelChooser } from '../gpu/kernel-choice.ts';
import { gatherU8Cpu } from '../reference/kernels.ts';
import { plainSgd } from '../model/optimizers.ts';
import { cloneMlp, createMlpOptimizerState, initMlp, MNIST_MLP_SIZES, mlpParamTensors, mlpTrainStepCpu, type Mlp } from '../reference/mlp.ts';
import { TOLERANCES } from '../reference/tolerance.ts';
import { validateConfig } from '../train/config.ts';
import { GpuTrainer } from '../train/gpu-trainer.ts';
import { median, medianRatio, timeInterleaved, type TimingBudget } from './timing.ts';
import { readbackEveryFor } from './training.ts';
import type { PeerRow, PeersResult } from './types.ts';
import type { Validator } from './validate.ts';

const LR = 0.5;
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

/** The network as a TensorFlow.js user writes it: a kernel (in, out) and a bias per layer,
 * x W + b, sigmoid between layers, softmax cross-entropy on the logits, plain SGD. */
export class TfjsMlp {
  private readonly params: { w: Tf.Variable; b: Tf.Variable }[];
  private readonly optimizer: Tf.SGDOptimizer;

  constructor(private readonly tf: TfModule, init: Mlp, lr: number) {
    // tfjs's dense kernels are (in, out): PyTorch's (out, in) transposed.
    this.params = init.layers.map((l) => ({
      w: tf.tidy(() => tf.variable(tf.tensor2d(l.params[0].data, [l.out, l.in]).transpose())),
      b: tf.variable(tf.tensor1d(l.params[1].data)),
    }));
    this.optimizer = tf.train.sgd(lr);
  }

  private loss(x: Tf.Tensor2D, oneHot: Tf.Tensor2D): Tf.Scalar {
    const { tf } = this;
    let h = x;
    this.params.forEach(({ w, b }, i) => {
      const z = tf.add<Tf.Tensor2D>(tf.matMul(h, w), b);
      h = i === this.params.length - 1 ? z : tf.sigmoid(z);
    });
    return tf.losses.softmaxCrossEntropy(oneHot, h) as Tf.Scalar;
  }

  /** One SGD step on a batch; returns the batch's loss before the update, still on the GPU. */
  step(x: Tf.Tensor2D, oneHot: Tf.Tensor2D): Tf.Scalar {
    return this.optimizer.minimize(() => this.loss(x, oneHot), true)!;
  }

  /** The current parameters in PyTorch's layout. */
  async weights(sizes: readonly number[]): Promise<Mlp> {
    const mlp = initMlp(sizes, 0); // for its shapes: every value is overwritten
    for (const [i, l] of mlp.layers.entries()) {
      const wT = this.tf.transpose(this.params[i].w);
      l.params[0].data.set(await wT.data());
      wT.dispose();
      l.params[1].data.set(await this.params[i].b.data());
    }
    return mlp;
  }

  dispose(): void {
    for (const { w, b } of this.params) {
      w.dispose();
      b.dispose();
    }
    this.optimizer.dispose();
  }
}

export interface StepsResult {
  /** Each step's loss, before its update. */
  losses: number[];
  weights: Mlp;
}

/** `steps` SGD steps of the CPU reference on one batch, from `init`. */
export function cpuSteps(init: Mlp, x: Float32Array, labels: Uint8Array, B: number, lr: number, steps: number): StepsResult {
  const mlp = cloneMlp(init);
  const opt = createMlpOptimizerState(mlp, plainSgd(lr));
  const losses = Array.from({ length: steps }, () => mlpTrainStepCpu(mlp, opt, x, labels, B, plainSgd(lr)).loss);
  return { losses, weights: mlp };
}

/** The same steps in TensorFlow.js. */
export async function tfjsSteps(tf: TfModule, init: Mlp, x: Float32Array, labels: Uint8Array, B: number, lr: number, steps: number): Promise<StepsResult> {
  const model = new TfjsMlp(tf, init, lr);
  const xs = tf.tensor2d(x, [B, init.sizes[0]]);
  const ys = tf.oneHot(tf.tensor1d(labels, 'int32'), CLASSES) as Tf.Tensor2D;
  try {
    const losses: number[] = [];
    for (let s = 0; s < steps; s++) {
      const loss = model.step(xs, ys);
      losses.push((await loss.data())[0]);
      loss.dispose();
    }
    return { losses, weights: await model.weights(init.sizes) };
  } finally {
    tf.dispose([xs, ys]);
    model.dispose();
  }
}

/** Two tfjs steps against two CPU reference steps from the same weights and batch: the first
 * loss checks the forward pass, the second and the parameters the gradient and the update. */
export async function validatePeer(tf: TfModule, B: number, v: Validator): Promise<boolean> {
  const data = syntheticSplit(B, 3 + B);
  const init = initMlp([...MNIST_MLP_SIZES], 5);
  const x = gatherU8Cpu(data.features, Array.from({ length: B }, (_, i) => i), init.sizes[0]);
  const ref = cpuSteps(init, x, data.labels, B, LR, 2);
  const peer = await tfjsSteps(tf, init, x, data.labels, B, LR, 2);
  let ok = v.check(`tfjs B=${B} losses of steps 1-2`, peer.losses, ref.losses, TOLERANCES.peerLoss);
  const want = mlpParamTensors(ref.weights);
  for (const [i, t] of mlpParamTensors(peer.weights).entries()) {
    ok = v.check(`tfjs B=${B} ${t.name} after 2 steps`, t.data, want[i].data, TOLERANCES.peerParams) && ok;
  }
  return ok;
}

export interface PeersBenchOptions {
  batches: number[];
  /** Steps per timed interval (one loss read-back each); null: readbackEveryFor(B). */
  readbackEvery: number | null;
  /** Our trainer's kernels, as the training section chose them. */
  kernels: KernelChooser;
}

async function timePeer(ctx: GpuContext, tf: TfModule, B: number, opts: PeersBenchOptions, budget: TimingBudget, v: Validator): Promise<PeerRow | null> {
  const steps = opts.readbackEvery ?? readbackEveryFor(B);
  const train = syntheticSplit(steps * B, 100 + B);
  const init = initMlp([...MNIST_MLP_SIZES], 1);
  const config = validateConfig({ batchSize: B, epochs: 1, readbackEvery: steps });
  const ours = await GpuTrainer.create(ctx, { config, train, test: train, init, kernels: opts.kernels });
  let epoch = 0;
  const oursRun = async (inner: number) => {
    for (let i = 0; i < inner; i++) {
      await ours.runEpoch({ epoch, order: epochOrder(train.count, 1, epoch, true), lr: LR }, () => {}, () => false);
      epoch++;
    }
  };

  // Resident like ours (a user's dataset held as tensors on the GPU), sliced per batch; a TF.js
  // user shuffles on the CPU, outside the timed loop. The last step's loss is read back once per
  // interval, as ours reads its losses once per interval.
  const model = new TfjsMlp(tf, init, LR);
  const xs = tf.tensor2d(gatherU8Cpu(train.features, Array.from({ length: train.count }, (_, i) => i), init.sizes[0]), [train.count, init.sizes[0]]);
  const ys = tf.oneHot(tf.tensor1d(train.labels, 'int32'), CLASSES) as Tf.Tensor2D;
  const tfjsRun = async (inner: number) => {
    for (let i = 0; i < inner; i++) {
      let loss: Tf.Scalar | null = null;
      for (let s = 0; s < steps; s++) {
        loss?.dispose();
        loss = tf.tidy(() => model.step(xs.slice([s * B, 0], [B, -1]), ys.slice([s * B, 0], [B, -1])));
      }
      await loss!.data();
      loss!.dispose();
    }
  };
  try {
    const tensorsBefore = tf.memory().numTensors;
    const { timings, samples } = await timeInterleaved([oursRun, tfjsRun], budget);
    // A tensor kept per step would slow tfjs down as it trains: none may be left behind.
    if (!v.check(`tfjs B=${B} tensors after timing = before`, [tf.memory().numTensors], [tensorsBefore], { atol: 0, rtol: 0 })) return null;
    const oursStepMs = median(samples[0]) / steps;
    const tfjsStepMs = median(samples[1]) / steps;
    return {
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
    for (const B of opts.batches) {
      log(`peers B=${B}: validating two tfjs steps against the CPU reference`);
      if (!(await validatePeer(tf, B, v))) continue;
      log(`peers B=${B}: timing this trainer and tfjs in interleaved rounds`);
      const row = await timePeer(ctx, tf, B, opts, budget, v);
      if (!row) continue;
      rows.push(row);
      log(`peers B=${B}: ours ${row.oursSamplesPerSec.toFixed(0)} samples/s, tfjs ${row.tfjsSamplesPerSec.toFixed(0)} samples/s: ` +
        `${row.oursOverTfjs.toFixed(2)}x (median of rounds)`);
    }
  } finally {
    release();
  }
  return { versions, tfjsAdapter: adapter, sameAdapter, rows };
}
