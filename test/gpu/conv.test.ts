// The convolution and pooling kernels (shaders/conv2d.wgsl, shaders/maxpool2d.wgsl) against their
// CPU twins (src/reference/conv.ts, checked against PyTorch by test/unit/conv-torch.test.ts), over
// a table of shapes: odd image sizes, stride 1 and 2, padding 0/1/2, kernel 1/3/5 (one filling
// the image), 1 and many channels, batch 1, 3 and 32 (the MNIST CNN's shapes at fewer channels).
import { describe, expect, it } from 'vitest';
import { HIDDEN_ACTIVATIONS, readsInput } from '../../src/model/activations.ts';
import {
  conv2dCpu, conv2dInputGradCpu, conv2dOutSize, conv2dWeightGradCpu, maxpool2dBackwardCpu, maxpool2dCpu, type Conv2dShape, type Maxpool2dShape,
} from '../../src/reference/conv.ts';
import { activationBackwardCpu, activationCpu, keptForBackwardCpu } from '../../src/reference/kernels.ts';
import { conv2dUpdateTolerance, conv2dWeightGradTolerance, TOLERANCES } from '../../src/reference/tolerance.ts';
import { conv2dForwardDispatch, conv2dInputGradDispatch, conv2dVariantsFor, conv2dWeightGradDispatch, CONV2D_VARIANTS } from '../../src/gpu/kernels/conv2d.ts';
import { maxpool2dBackwardDispatch, maxpool2dDispatch } from '../../src/gpu/kernels/maxpool2d.ts';
import { randomArray, useGpu } from './gpu-suite.ts';
import { checkKernel, WorstErrors } from './kernel-check.ts';
import { caseName, OPTIMIZER_CASES, OptimizerRun } from './optimizer-cases.ts';

// batch, inC, outC, H, W, k, stride, pad
type ConvRow = [number, number, number, number, number, number, number, number];
const CONV_TABLE: ConvRow[] = [
  [1, 1, 1, 7, 9, 3, 1, 1],
  [3, 1, 8, 7, 9, 5, 2, 2],
  [3, 8, 16, 9, 7, 1, 1, 0],
  // Padding past the kernel at stride 1: dx by conv2d_input_grad, not the transposed forward.
  [1, 2, 3, 5, 6, 1, 1, 1],
  [1, 8, 16, 14, 14, 3, 2, 0],
  [3, 3, 5, 5, 5, 5, 1, 0],
  [3, 8, 16, 8, 8, 3, 2, 1],
  [3, 2, 3, 7, 9, 5, 2, 0],
  [1, 1, 8, 28, 28, 5, 1, 2],
  // Stride past the kernel: pixels between windows take no gradient.
  [3, 2, 3, 7, 9, 1, 2, 0],
  [32, 1, 8, 28, 28, 3, 1, 1],
  [32, 8, 16, 14, 14, 3, 1, 1],
];
const CONV_SHAPES: Conv2dShape[] = CONV_TABLE.map(([batch, inC, outC, H, W, k, stride, pad]) => ({ batch, inC, outC, H, W, k, stride, pad }));

/** A row of the table, by value: the tests of one feature name the shapes they take. */
function tableShape(...row: ConvRow): Conv2dShape {
  const i = CONV_TABLE.findIndex((r) => r.every((v, j) => v === row[j]));
  if (i < 0) throw new Error(`${row.join(', ')} is not a row of CONV_TABLE`);
  return CONV_SHAPES[i];
}

const name = ({ batch, inC, outC, H, W, k, stride, pad }: Conv2dShape) => `${batch}x${inC}x${H}x${W}->${outC} k${k} s${stride} p${pad}`;

function operands(shape: Conv2dShape, seed: number) {
  const { batch, inC, outC, H, W, k } = shape;
  const { OH, OW } = conv2dOutSize(shape);
  return {
    x: randomArray(batch * inC * H * W, seed),
    // PyTorch's default init scale, about 1 / sqrt(inC k k), keeps the outputs near [-1, 1].
    w: randomArray(outC * inC * k * k, seed + 1, 1 / Math.sqrt(inC * k * k)),
    b: randomArray(outC, seed + 2),
    dy: randomArray(batch * outC * OH * OW, seed + 3),
    outputs: batch * outC * OH * OW,
  };
}

describe('conv2d kernels vs their CPU twins', () => {
  const gpu = useGpu();

  it('the table covers what it promises', () => {
    expect(new Set(CONV_SHAPES.map((s) => s.k))).toEqual(new Set([1, 3, 5]));
    expect(new Set(CONV_SHAPES.map((s) => s.pad))).toEqual(new Set([0, 1, 2]));
    expect(new Set(CONV_SHAPES.map((s) => s.stride))).toEqual(new Set([1, 2]));
    expect(new Set(CONV_SHAPES.map((s) => s.batch))).toEqual(new Set([1, 3, 32]));
  });

  it('forward with bias, input gradient, weight and bias gradients over the shape table', async () => {
    const worst = new WorstErrors();
    for (const [i, shape] of CONV_SHAPES.entries()) {
      const { x, w, b, dy, outputs } = operands(shape, 100 * i);
      const { batch, inC, outC, H, W, k } = shape;
      const { OH, OW } = conv2dOutSize(shape);
      worst.add(await checkKernel(gpu(), {
        what: `conv2d ${name(shape)}`,
        buffers: { x, w, b, dy, y: outputs, dx: batch * inC * H * W, dW: outC * inC * k * k, db: outC },
        dispatches: (bufs) => [
          conv2dForwardDispatch(gpu(), bufs, shape, { bias: bufs.b }),
          conv2dInputGradDispatch(gpu(), bufs, shape),
          conv2dWeightGradDispatch(gpu(), bufs, shape),
        ],
        expect: () => {
          const grads = conv2dWeightGradCpu(x, dy, shape);
          return {
            y: { ref: conv2dCpu(x, w, b, shape), tol: TOLERANCES.conv2d },
            dx: { ref: conv2dInputGradCpu(dy, w, shape), tol: TOLERANCES.conv2d },
            dW: { ref: grads.dW, tol: conv2dWeightGradTolerance(batch * OH * OW) },
            db: { ref: grads.db, tol: conv2dWeightGradTolerance(batch * OH * OW) },
          };
        },
      }));
    }
    worst.log(`conv2d over ${CONV_SHAPES.length} shapes`);
  });

  // The kernel chooser may pick any variant that can run a shape: each one must match the twin.
  it('every variant of the forward pass and the input gradient over the shape table', async () => {
    const worst = new WorstErrors();
    const ran = new Set<string>();
    for (const [i, shape] of CONV_SHAPES.entries()) {
      const { x, w, b, dy, outputs } = operands(shape, 100 * i + 5);
      const { batch, inC, H, W } = shape;
      for (const variant of CONV2D_VARIANTS) {
        const forward = conv2dVariantsFor('forward', shape).includes(variant);
        const inputGrad = conv2dVariantsFor('input-grad', shape).includes(variant);
        if (forward) ran.add(`forward ${variant}`);
        if (inputGrad) ran.add(`input-grad ${variant}`);
        worst.add(await checkKernel(gpu(), {
          what: `conv2d ${variant} ${name(shape)}`,
          buffers: { x, w, b, dy, y: outputs, dx: batch * inC * H * W },
          dispatches: (bufs) => [
            ...(forward ? [conv2dForwardDispatch(gpu(), bufs, shape, { bias: bufs.b }, variant)] : []),
            ...(inputGrad ? [conv2dInputGradDispatch(gpu(), bufs, shape, undefined, variant)] : []),
          ],
          expect: () => ({
            ...(forward ? { y: { ref: conv2dCpu(x, w, b, shape), tol: TOLERANCES.conv2d } } : {}),
            ...(inputGrad ? { dx: { ref: conv2dInputGradCpu(dy, w, shape), tol: TOLERANCES.conv2d } } : {}),
          }),
        }));
      }
    }
    worst.log('conv2d variants');
    // Every block ran both ways, and 'general' as the input gradient only.
    expect(ran).toEqual(new Set([...CONV2D_VARIANTS.filter((v) => v !== 'general').flatMap((v) => [`forward ${v}`, `input-grad ${v}`]), 'input-grad general']));
  });

  it('forward without bias', async () => {
    const shape = tableShape(3, 1, 8, 7, 9, 5, 2, 2);
    const { x, w, outputs } = operands(shape, 7);
    await checkKernel(gpu(), {
      what: `conv2d no bias ${name(shape)}`,
      buffers: { x, w, y: outputs },
      dispatches: (bufs) => conv2dForwardDispatch(gpu(), bufs, shape),
      expect: () => ({ y: { ref: conv2dCpu(x, w, null, shape), tol: TOLERANCES.conv2d } }),
    });
  });

  for (const activation of HIDDEN_ACTIVATIONS) {
    const keep = readsInput(activation);
    it(`forward fused with bias and ${activation}${keep ? ', keeping the pre-activation' : ''}`, async () => {
      const worst = new WorstErrors();
      for (const shape of [tableShape(3, 8, 16, 8, 8, 3, 2, 1), tableShape(32, 1, 8, 28, 28, 3, 1, 1)]) {
        const { x, w, b, outputs } = operands(shape, 11);
        const pre = conv2dCpu(x, w, b, shape);
        worst.add(await checkKernel(gpu(), {
          what: `conv2d + ${activation} ${name(shape)}`,
          buffers: { x, w, b, y: outputs, pre: outputs },
          dispatches: (bufs) => conv2dForwardDispatch(gpu(), bufs, shape, { bias: bufs.b, activation, ...(keep ? { pre: bufs.pre } : {}) }),
          expect: () => ({
            y: { ref: conv2dCpu(x, w, b, shape, activation), tol: TOLERANCES.conv2d },
            ...(keep ? { pre: { ref: pre, tol: TOLERANCES.conv2d } } : {}),
          }),
        }));
      }
      worst.log(`conv2d + ${activation}`);
    });
  }

  it('input gradient fused with each activation\'s backward (the layer below\'s) equals conv2dInputGradCpu then activationBackwardCpu', async () => {
    const worst = new WorstErrors();
    for (const activation of HIDDEN_ACTIVATIONS) {
      // Stride 1 (the transposed forward kernel) and 2 (conv2d_input_grad), ragged columns.
      for (const shape of [tableShape(1, 1, 1, 7, 9, 3, 1, 1), tableShape(3, 1, 8, 7, 9, 5, 2, 2), tableShape(32, 8, 16, 14, 14, 3, 1, 1)]) {
        const { w, dy } = operands(shape, 61);
        const { batch, inC, H, W } = shape;
        // What the forward pass keeps of this activation: its output (zeros included where ReLU's
        // derivative switches), or its input.
        const kept = keptForBackwardCpu(randomArray(batch * inC * H * W, 67, 3), activation);
        worst.add(await checkKernel(gpu(), {
          what: `conv2d dx * ${activation}' ${name(shape)}`,
          buffers: { dy, w, kept, dx: kept.length },
          dispatches: (bufs) => conv2dInputGradDispatch(gpu(), bufs, shape, { kept: bufs.kept, activation }),
          // act' is at most 1.13 (GELU's): the product's error stays within the sum's.
          expect: () => ({ dx: { ref: activationBackwardCpu(conv2dInputGradCpu(dy, w, shape), kept, activation), tol: TOLERANCES.conv2d } }),
        }));
      }
    }
    worst.log('conv2d dx + activation backward');
  });

  // Three steps, so that the step count t and the state matter.
  it('weight and bias gradients fused with each optimizer\'s steps equal conv2dWeightGradCpu then optimizerUpdateCpu, three times', async () => {
    const ctx = gpu();
    const worst = new WorstErrors();
    for (const settings of OPTIMIZER_CASES) {
      for (const shape of [tableShape(3, 1, 8, 7, 9, 5, 2, 2), tableShape(3, 2, 3, 7, 9, 5, 2, 0), tableShape(32, 8, 16, 14, 14, 3, 1, 1)]) {
        const { x, w, b, dy } = operands(shape, 53);
        const { batch, outC } = shape;
        const { OH, OW } = conv2dOutSize(shape);
        const run = new OptimizerRun(ctx, settings);
        const [state, biasState] = run.state(w.length, outC);
        const tol = conv2dUpdateTolerance(batch * OH * OW);
        worst.add(await checkKernel(ctx, {
          what: `conv2d W, b update ${name(shape)} ${caseName(settings)}`,
          buffers: { x, dy, dW: w.slice(), db: b.slice(), ...(state ? { state: state.slice(), biasState: biasState!.slice() } : {}) },
          dispatches: (bufs) => conv2dWeightGradDispatch(ctx, bufs, shape,
            { kind: 'update', optimizer: run.params, state: bufs.state ?? null, biasState: bufs.biasState ?? null, record: run.record }),
          runs: 3,
          beforeRun: (_bufs, r) => run.beforeRun(r, true),
          expect: () => {
            const grads = conv2dWeightGradCpu(x, dy, shape);
            run.updateCpu(w, grads.dW, state);
            run.updateCpu(b, grads.db, biasState);
            return { dW: { ref: w, tol }, db: { ref: b, tol }, ...(state ? { state: { ref: state, tol }, biasState: { ref: biasState!, tol } } : {}) };
          },
        }));
        run.destroy();
      }
    }
    worst.log('conv2d weight gradient + optimizer steps');
  });

  it('refuses a pre-activation buffer the activation does not need, and shapes that do not fit', () => {
    const shape = tableShape(1, 1, 1, 7, 9, 3, 1, 1);
    const buf = gpu().unusedStorage(0);
    expect(() => conv2dForwardDispatch(gpu(), { x: buf, w: buf, y: buf }, shape, { activation: 'relu', pre: buf })).toThrow(/'relu' reads its output/);
    expect(() => conv2dForwardDispatch(gpu(), { x: buf, w: buf, y: buf }, { ...shape, k: 11 })).toThrow(/11x11 kernel does not fit a 7x9 image/);
    expect(() => conv2dForwardDispatch(gpu(), { x: buf, w: buf, y: buf }, shape, {}, 'general')).toThrow(/'general' is the input gradient's kernel/);
    expect(() => conv2dInputGradDispatch(gpu(), { dy: buf, w: buf, dx: buf }, { ...shape, stride: 2 }, undefined, '8x16')).toThrow(/only 'general' runs at stride 2/);
  });
});

// batch, C, H, W, k
const POOL_TABLE: [number, number, number, number, number][] = [
  [1, 1, 7, 9, 2],
  [3, 8, 28, 28, 2],
  [32, 16, 14, 14, 2],
  [3, 4, 7, 7, 3],
  [1, 2, 5, 6, 2],
];
const POOL_SHAPES: Maxpool2dShape[] = POOL_TABLE.map(([batch, C, H, W, k]) => ({ batch, C, H, W, k }));
const poolOutputs = ({ batch, C, H, W, k }: Maxpool2dShape) => batch * C * Math.floor(H / k) * Math.floor(W / k);

/** Pooling inputs: uniform, ReLU outputs (ties at 0) and halves (ties everywhere). */
const DRAWS: Record<string, (n: number, seed: number) => Float32Array> = {
  uniform: (n, seed) => randomArray(n, seed),
  relu: (n, seed) => activationCpu(randomArray(n, seed), 'relu'),
  halves: (n, seed) => randomArray(n, seed, 2).map((v) => Math.round(2 * v) / 2),
};

describe('maxpool2d kernels vs their CPU twins', () => {
  const gpu = useGpu();
  for (const [draw, make] of Object.entries(DRAWS)) {
    it(`forward and backward exactly, ${draw} inputs`, async () => {
      for (const [i, shape] of POOL_SHAPES.entries()) {
        const { batch, C, H, W, k } = shape;
        const n = batch * C * H * W;
        const outputs = poolOutputs(shape);
        const x = make(n, 31 * i);
        const dy = randomArray(outputs, 31 * i + 1);
        await checkKernel(gpu(), {
          what: `maxpool2d ${batch}x${C}x${H}x${W} k${k} ${draw}`,
          // dx starts as garbage: the rows and columns no window reaches must be written too.
          buffers: { x, dy, y: outputs, dx: randomArray(n, 5) },
          dispatches: (bufs) => [maxpool2dDispatch(gpu(), bufs, shape), maxpool2dBackwardDispatch(gpu(), bufs, shape)],
          expect: () => ({
            y: { ref: maxpool2dCpu(x, shape), tol: TOLERANCES.exact },
            dx: { ref: maxpool2dBackwardCpu(x, dy, shape), tol: TOLERANCES.exact },
          }),
        });
      }
    });
  }

  const fused = HIDDEN_ACTIVATIONS.filter((a) => !readsInput(a));
  it(`backward fused with the activation below it (${fused.join(', ')}), from that activation's outputs`, async () => {
    for (const activation of fused) {
      const shape = POOL_SHAPES[3];
      const { batch, C, H, W } = shape;
      const x = activationCpu(randomArray(batch * C * H * W, 41, 3), activation);
      const dy = randomArray(poolOutputs(shape), 43);
      await checkKernel(gpu(), {
        what: `maxpool2d backward + ${activation}`,
        buffers: { x, dy, dx: x.length },
        dispatches: (bufs) => maxpool2dBackwardDispatch(gpu(), bufs, shape, activation),
        expect: () => ({ dx: { ref: activationBackwardCpu(maxpool2dBackwardCpu(x, dy, shape), x, activation), tol: TOLERANCES.activationBackward } }),
      });
    }
  });

  it('refuses to fuse an activation whose backward reads its input', () => {
    const buf = gpu().unusedStorage(0);
    expect(() => maxpool2dBackwardDispatch(gpu(), { x: buf, dy: buf, dx: buf }, POOL_SHAPES[0], 'gelu')).toThrow(/'gelu' reads its pre-activation/);
  });
});
