import { describe, expect, it } from 'vitest';
import {
  assembleMlp,
  cloneMlp,
  createMlpOptimizerState,
  evaluateMlpCpu,
  forwardMlp,
  initMlp,
  MNIST_MLP_SIZES,
  mlpParamTensors,
  mlpTrainStepCpu,
  resolveMlp,
  type Mlp,
} from '../../src/reference/mlp.ts';
import { denseSpec, type DenseSpec, type NetworkSpec } from '../../src/model/spec.ts';
import { plainSgd } from '../../src/model/optimizers.ts';
import { gatherCpu, gatherU8Cpu, logSoftmaxNllCpu } from '../../src/reference/kernels.ts';
import { createRng, deriveRng } from '../../src/data/prng.ts';
import { loadEmbeddedMnist } from '../../src/data/mnist-node.ts';
import { ACTIVATION_TABLE, HIDDEN_ACTIVATIONS, type Activation } from '../../src/model/activations.ts';
import { LOSSES } from '../../src/model/losses.ts';
import { batchCount, batchIndices, epochOrder } from '../../src/data/batches.ts';

const SMALL = [6, 5, 4, 3];

/** Independent float64 model of the same network: per-row NLL of log-softmax(logits), with the
 * parameters given in state_dict order. Written without the kernel twins on purpose. */
// The activations' float64 forms come from the table: the finite differences check each entry's
// derivative against its own forward, and the GPU and PyTorch tests check the forwards.
const F64_ACT = (a: Activation, v: number): number => ACTIVATION_TABLE[a].forward(v);

function rowLossesF64(
  sizes: number[],
  params: ArrayLike<number>[],
  x: ArrayLike<number>,
  labels: ArrayLike<number>,
  B: number,
  spec: NetworkSpec = { model: denseSpec(sizes.slice(1, -1), ['sigmoid']), loss: 'nll' },
): number[] {
  let h = Array.from(x);
  for (let l = 0; l + 1 < sizes.length; l++) {
    const [inp, out] = [sizes[l], sizes[l + 1]];
    const [W, b] = [params[2 * l], params[2 * l + 1]];
    const z = new Array<number>(B * out);
    for (let r = 0; r < B; r++) {
      for (let o = 0; o < out; o++) {
        let acc = b[o];
        for (let i = 0; i < inp; i++) acc += h[r * inp + i] * W[o * inp + i];
        z[r * out + o] = l + 2 < sizes.length ? F64_ACT((spec.model[l] as DenseSpec).activation, acc) : spec.loss === 'squared' ? F64_ACT('sigmoid', acc) : acc;
      }
    }
    h = z;
  }
  const C = sizes[sizes.length - 1];
  return Array.from({ length: B }, (_, r) => {
    const row = h.slice(r * C, (r + 1) * C);
    if (spec.loss === 'squared') return row.reduce((s, v, c) => s + (v - (c === labels[r] ? 1 : 0)) ** 2, 0);
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
    return lse - row[labels[r]];
  });
}

const meanF64 = (v: number[]): number => v.reduce((s, a) => s + a, 0) / v.length;

function randomInput(seed: number, n: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: n }, () => rng.uniform(-2, 2));
}

describe('initMlp', () => {
  it('gives the notebook model PyTorch state_dict names and shapes', () => {
    const tensors = mlpParamTensors(initMlp(MNIST_MLP_SIZES, 1));
    expect(tensors.map((t) => [t.name, t.shape, t.data.length])).toEqual([
      ['fc1.weight', [512, 784], 512 * 784],
      ['fc1.bias', [512], 512],
      ['fc2.weight', [256, 512], 256 * 512],
      ['fc2.bias', [256], 256],
      ['fc3.weight', [10, 256], 10 * 256],
      ['fc3.bias', [10], 10],
    ]);
  });

  it('draws U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and biases', () => {
    const mlp = initMlp(MNIST_MLP_SIZES, 1);
    for (const layer of mlp.layers) {
      const bound = Math.fround(1 / Math.sqrt(layer.in));
      for (const { data } of layer.params) {
        const maxAbs = data.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        expect(maxAbs).toBeLessThanOrEqual(bound);
        // Every tensor of >= 10 uniform draws comes near its bound; catches a wrong fan.
        expect(maxAbs).toBeGreaterThan(0.6 * bound);
      }
      // The mean of n draws has standard deviation bound / sqrt(3n): >= 4.4 sigmas of slack here.
      const n = layer.params[0].data.length;
      const mean = layer.params[0].data.reduce((s, v) => s + v, 0) / n;
      expect(Math.abs(mean)).toBeLessThan((4.4 * bound) / Math.sqrt(3 * n));
      const variance = layer.params[0].data.reduce((s, v) => s + v * v, 0) / n;
      expect(variance / (bound * bound / 3)).toBeGreaterThan(0.9);
      expect(variance / (bound * bound / 3)).toBeLessThan(1.1);
    }
  });

  it('draws from deriveRng(seed, 0) in state_dict order, weights row-major', () => {
    // The GPU path must reproduce these weights from the seed alone, so the order is part of the API.
    const rng = deriveRng(5, 0);
    const expected: number[] = [];
    for (let l = 0; l + 1 < SMALL.length; l++) {
      const bound = 1 / Math.sqrt(SMALL[l]);
      for (let i = 0; i < SMALL[l + 1] * (SMALL[l] + 1); i++) expected.push(Math.fround(rng.uniform(-bound, bound)));
    }
    const got = mlpParamTensors(initMlp(SMALL, 5)).flatMap((t) => Array.from(t.data));
    expect(got).toEqual(expected);
  });

  it('is deterministic by seed and differs across seeds', () => {
    const flat = (m: Mlp) => mlpParamTensors(m).flatMap((t) => Array.from(t.data));
    expect(flat(initMlp(SMALL, 1))).toEqual(flat(initMlp(SMALL, 1)));
    expect(flat(initMlp(SMALL, 2))).not.toEqual(flat(initMlp(SMALL, 1)));
  });

  it('rejects bad sizes naming the bad entry', () => {
    expect(() => initMlp([784], 1)).toThrow(RangeError);
    expect(() => initMlp([784], 1)).toThrow(/at least 2 entries/);
    expect(() => initMlp([784, 0, 10], 1)).toThrow(/sizes\[1\] must be a positive integer, got 0/);
    expect(() => initMlp([784, 512, 2.5], 1)).toThrow(/sizes\[2\].*got 2\.5/);
    expect(() => initMlp([-3, 10], 1)).toThrow(/sizes\[0\]/);
  });

  it('cloneMlp copies the parameters; mlpParamTensors views them', () => {
    const a = initMlp(SMALL, 1);
    const b = cloneMlp(a);
    b.layers[0].params[0].data[0] += 1;
    expect(b.layers[0].params[0].data[0]).not.toBe(a.layers[0].params[0].data[0]);
    mlpParamTensors(a)[1].data[0] = 42;
    expect(a.layers[0].params[1].data[0]).toBe(42);
  });
});

describe('forwardMlp', () => {
  it('keeps each layer input; its logits give the float64 model\'s losses', () => {
    const mlp = initMlp(SMALL, 3);
    const x = randomInput(11, 4 * 6);
    const { activations, logits } = forwardMlp(mlp, x, 4);
    expect(activations.map((a) => a.length)).toEqual([4 * 6, 4 * 5, 4 * 4]);
    expect(activations[0]).toBe(x);
    const rows = rowLossesF64(SMALL, mlpParamTensors(mlp).map((t) => t.data), x, [0, 1, 2, 0], 4);
    expect(maxDiff(logSoftmaxNllCpu(logits, [0, 1, 2, 0], 4, 3).rowLoss, rows)).toBeLessThan(1e-6);
    expect(() => forwardMlp(mlp, x, 3)).toThrow(RangeError);
  });
});

describe('mlpTrainStepCpu', () => {
  const B = 4;
  const labels = [0, 2, 1, 2];
  const x = randomInput(11, B * SMALL[0]);
  const base = initMlp(SMALL, 3);
  // Wider weights than the init's so the sigmoids work away from their linear middle.
  for (const t of mlpParamTensors(base)) for (let i = 0; i < t.data.length; i++) t.data[i] *= 3;

  // Every activation of the table, under each loss, beside the next one in the table.
  const SPECS: NetworkSpec[] = HIDDEN_ACTIVATIONS.flatMap((a, i) => LOSSES.map((loss) => (
    { model: denseSpec(SMALL.slice(1, -1), [a, HIDDEN_ACTIVATIONS[(i + 1) % HIDDEN_ACTIVATIONS.length]]), loss })));
  it.each(SPECS)('returns gradients equal to float64 central differences, for every tensor: %j', (spec) => {
    const params = mlpParamTensors(base).map((t) => Float64Array.from(t.data));
    const mlp = cloneMlp(base);
    // A large lr: if any tensor were updated before the gradients that read it were computed,
    // the returned gradients of the earlier layers would move off the finite differences.
    const step = mlpTrainStepCpu(mlp, createMlpOptimizerState(mlp, plainSgd(0.5)), x, labels, B, plainSgd(0.5), spec);
    expect(step.loss).toBeCloseTo(meanF64(rowLossesF64(SMALL, params, x, labels, B, spec)), 6);

    const h = 1e-5; // float64: truncation ~h^2 and rounding ~1e-16/h are both below 1e-9
    params.forEach((p, t) => {
      let worst = 0;
      for (let i = 0; i < p.length; i++) {
        const keep = p[i];
        p[i] = keep + h;
        const up = meanF64(rowLossesF64(SMALL, params, x, labels, B, spec));
        p[i] = keep - h;
        const down = meanF64(rowLossesF64(SMALL, params, x, labels, B, spec));
        p[i] = keep;
        const numeric = (up - down) / (2 * h);
        const analytic = step.grads[t][i];
        // The analytic path stores activations and gradients as float32 (relative rounding 6e-8
        // per value, a few values summed per element), so elements that nearly cancel to 0 are
        // compared against a 1e-5 floor instead of their own tiny magnitude.
        worst = Math.max(worst, Math.abs(analytic - numeric) / Math.max(Math.abs(numeric), 1e-5));
      }
      expect(worst, `${mlpParamTensors(base)[t].name}`).toBeLessThan(1e-3);
    });
  });

  it('applies momentum and weight decay as PyTorch SGD over two steps', () => {
    const sgd = { ...plainSgd(0.1), momentum: 0.9, weightDecay: 0.01 };
    for (const nesterov of [false, true]) {
      const mlp = cloneMlp(base);
      const opt = createMlpOptimizerState(mlp, sgd);
      const T = 3; // fc2.bias
      const p0 = Array.from(mlpParamTensors(mlp)[T].data);
      // Step 1: v1 = g1 + wd p0 (the buffer starts as the first gradient), p1 = p0 - lr d1 with
      // d1 = v1, or g1 + wd p0 + mu v1 with Nesterov.
      const g1 = mlpTrainStepCpu(mlp, opt, x, labels, B, { ...sgd, nesterov }).grads[T];
      const v1 = p0.map((p, i) => g1[i] + sgd.weightDecay * p);
      const p1 = p0.map((p, i) => p - sgd.lr * (nesterov ? v1[i] + sgd.momentum * v1[i] : v1[i]));
      expect(maxDiff(mlpParamTensors(mlp)[T].data, p1)).toBeLessThan(1e-6);
      // Step 2: g2' = g2 + wd p1, v2 = mu v1 + g2', p2 = p1 - lr (nesterov ? g2' + mu v2 : v2).
      const g2 = mlpTrainStepCpu(mlp, opt, x, labels, B, { ...sgd, nesterov }).grads[T];
      const g2d = p1.map((p, i) => g2[i] + sgd.weightDecay * p);
      const v2 = g2d.map((g, i) => sgd.momentum * v1[i] + g);
      const p2 = p1.map((p, i) => p - sgd.lr * (nesterov ? g2d[i] + sgd.momentum * v2[i] : v2[i]));
      expect(maxDiff(opt.state![T], v2)).toBeLessThan(1e-6);
      expect(maxDiff(mlpParamTensors(mlp)[T].data, p2)).toBeLessThan(1e-6);
    }
  });

  it('refuses momentum without its state, and out-of-range labels', () => {
    const mlp = cloneMlp(base);
    expect(() => mlpTrainStepCpu(mlp, createMlpOptimizerState(mlp, plainSgd(0.5)), x, labels, B, { ...plainSgd(0.1), momentum: 0.9 })).toThrow(
      /sgd keeps 1 state values per parameter/,
    );
    expect(() => mlpTrainStepCpu(mlp, createMlpOptimizerState(mlp, plainSgd(0.5)), x, [0, 1, 3, 0], B, plainSgd(0.1))).toThrow(
      /label 3 of row 2 is not a class index in \[0, 3\)/,
    );
  });

  it('matches a hand-derived step of a 2-2-2 network', () => {
    // L = ln 3, so sigmoid(L) = 3/4 and softmax of logits differing by L is (3/4, 1/4).
    const L = Math.log(3);
    const tensors = [[Float32Array.of(L, 0, 0, -L), Float32Array.of(0, 0)], [Float32Array.of(2 * L, -2 * L, -2 * L, 2 * L), Float32Array.of(0, 0)]];
    const mlp: Mlp = assembleMlp(resolveMlp([2, 2, 2]), (_, l) => tensors[l]);
    // x = I: row 0 = (1, 0), row 1 = (0, 1); labels (0, 1).
    // z1 = x W1^T: row 0 = (L, 0), row 1 = (0, -L)  ->  h = sigmoid: (3/4, 1/2), (1/2, 1/4).
    // logits = h W2^T: row 0 = (3/4*2L - 1/2*2L, -3/4*2L + 1/2*2L) = (L/2, -L/2);
    //                  row 1 = (1/2*2L - 1/4*2L, ...)               = (L/2, -L/2).
    // softmax = (3/4, 1/4) for both rows; loss = (-ln 3/4 - ln 1/4) / 2 = (0.287682 + 1.386294) / 2.
    // Both rows predict class 0, so 1 of 2 is correct.
    // dZ2 = (p - onehot) / 2: row 0 = (-1/8, 1/8), row 1 = (3/8, -3/8).
    // dW2 = dZ2^T h: [0][0] = -1/8*3/4 + 3/8*1/2 = 3/32;  [0][1] = -1/8*1/2 + 3/8*1/4 = 1/32;
    //                [1][*] = -[0][*].        db2 = column sums = (1/4, -1/4).
    // dH1 = dZ2 W2: row 0 = (-1/8*2L + 1/8*-2L, -1/8*-2L + 1/8*2L) = (-L/2, L/2);
    //               row 1 = (3/8*2L + -3/8*-2L, ...)               = (3L/2, -3L/2).
    // dZ1 = dH1 * h(1-h), h(1-h): row 0 = (3/16, 1/4), row 1 = (1/4, 3/16):
    //   row 0 = (-3L/32, L/8), row 1 = (3L/8, -9L/32).
    // dW1 = dZ1^T x = dZ1^T (x = I): [[-3L/32, 3L/8], [L/8, -9L/32]];  db1 = (9L/32, -5L/32).
    const step = mlpTrainStepCpu(mlp, createMlpOptimizerState(mlp, plainSgd(0.5)), Float32Array.of(1, 0, 0, 1), [0, 1], 2, plainSgd(0.5));
    expect(Math.abs(step.loss - (-Math.log(0.75) - Math.log(0.25)) / 2)).toBeLessThan(1e-6);
    expect(Math.abs(step.loss - 0.836988)).toBeLessThan(1e-6);
    expect(step.correct).toBe(1);
    const expected = [
      [(-3 * L) / 32, (3 * L) / 8, L / 8, (-9 * L) / 32],
      [(9 * L) / 32, (-5 * L) / 32],
      [3 / 32, 1 / 32, -3 / 32, -1 / 32],
      [1 / 4, -1 / 4],
    ];
    expected.forEach((e, t) => expect(maxDiff(step.grads[t], e), `grad ${t}`).toBeLessThan(1e-6));
    // p -= 0.5 g, e.g. W1[0][1] = 0 - 0.5 * 3L/8 and b2 = (-1/8, 1/8).
    expect(maxDiff(mlp.layers[0].params[0].data, [L + (3 * L) / 64, (-3 * L) / 16, -L / 16, -L + (9 * L) / 64])).toBeLessThan(1e-6);
    expect(maxDiff(mlp.layers[1].params[1].data, [-1 / 8, 1 / 8])).toBeLessThan(1e-6);
  });
});

describe('evaluateMlpCpu', () => {
  it('sums batch means over a ragged last batch, as the notebook prints its Test Loss', () => {
    const mlp = initMlp(SMALL, 3);
    const count = 5; // batches of 2, 2, 1
    const rng = createRng(9);
    const images = Uint8Array.from({ length: count * 6 }, () => rng.int(256));
    const labels = Uint8Array.of(0, 1, 2, 2, 1);
    const x = gatherU8Cpu(images, [0, 1, 2, 3, 4], 6);
    const rows = rowLossesF64(SMALL, mlpParamTensors(mlp).map((t) => t.data), x, labels, count);
    const ev = evaluateMlpCpu(mlp, images, labels, count, 2);
    const batchMeans = meanF64(rows.slice(0, 2)) + meanF64(rows.slice(2, 4)) + rows[4];
    expect(ev.testLoss).toBeCloseTo(batchMeans / count, 6);
    expect(ev.meanLoss).toBeCloseTo(meanF64(rows), 6);
    expect(ev.count).toBe(count);
    expect(ev.accuracy).toBeCloseTo((ev.correct / count) * 100, 10);
    expect(() => evaluateMlpCpu(mlp, images, labels, 6, 2)).toThrow(RangeError);
  });
});

describe('MNIST', () => {
  it('one epoch on 2,000 training images lowers the test loss and learns', async () => {
    const { train, test } = await loadEmbeddedMnist();
    const mlp = initMlp(MNIST_MLP_SIZES, 1);
    const opt = createMlpOptimizerState(mlp, plainSgd(0.5));
    const before = evaluateMlpCpu(mlp, test.features, test.labels, 1000, 32);
    const order = epochOrder(2000, 1, 0, true);
    let seen = 0;
    for (let b = 0; b < batchCount(order.length, 32); b++) {
      const idx = batchIndices(order, b, 32); // 62 batches of 32, then one of 16
      const x = gatherCpu(train.features, idx, 784);
      const y = Uint8Array.from(idx, (i) => train.labels[i]);
      mlpTrainStepCpu(mlp, opt, x, y, idx.length, plainSgd(0.5));
      seen += idx.length;
    }
    expect(seen).toBe(2000);
    const after = evaluateMlpCpu(mlp, test.features, test.labels, 1000, 32);
    console.log(
      `MNIST reference MLP, 2,000 images, 1 epoch, seed 1: test loss (notebook convention) ` +
        `${before.testLoss.toFixed(5)} -> ${after.testLoss.toFixed(5)}, mean loss ` +
        `${before.meanLoss.toFixed(4)} -> ${after.meanLoss.toFixed(4)}, accuracy ` +
        `${before.accuracy.toFixed(1)}% -> ${after.accuracy.toFixed(1)}% on the first 1,000 test images`,
    );
    expect(after.testLoss).toBeLessThan(before.testLoss);
    // Measured 11.0% -> 12.6% (test loss 0.07440 -> 0.07395). 63 steps sit inside the sigmoid
    // network's initial plateau (the loss takes off after ~250 steps at lr 0.5: 32.7% after 4
    // such epochs, 47.1% after 6), so this bound only says "moved the right way, deterministically".
    expect(after.accuracy).toBeGreaterThan(12);
  });

  it('times one full-size batch-32 step (logged, not asserted)', () => {
    const mlp = initMlp(MNIST_MLP_SIZES, 1);
    const opt = createMlpOptimizerState(mlp, plainSgd(0.5));
    const x = randomInput(4, 32 * 784).map((v) => (v + 2) / 4);
    const y = Array.from({ length: 32 }, (_, i) => i % 10);
    mlpTrainStepCpu(mlp, opt, x, y, 32, plainSgd(0.5)); // warm-up: JIT compilation
    const times = Array.from({ length: 5 }, () => {
      const t0 = performance.now();
      mlpTrainStepCpu(mlp, opt, x, y, 32, plainSgd(0.5));
      return performance.now() - t0;
    }).sort((a, b) => a - b);
    console.log(`CPU reference step, 784-512-256-10, batch 32: median ${times[2].toFixed(1)} ms of 5`);
  });
});

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
