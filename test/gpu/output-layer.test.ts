import { describe, expect, it } from 'vitest';
import { HIDDEN_ACTIVATIONS, readsInput, type HiddenActivation } from '../../src/model/activations.ts';
import { LOSSES, type LossKind } from '../../src/model/losses.ts';
import { activationCpu, outputLayerCpu } from '../../src/reference/kernels.ts';
import { plainSgd, type OptimizerSettings } from '../../src/model/optimizers.ts';
import { TOLERANCES } from '../../src/reference/tolerance.ts';
import { recordLayout } from '../../src/gpu/kernels/metrics.ts';
import { outputLayerDispatch } from '../../src/gpu/kernels/output-layer.ts';
import { OptimizerParams } from '../../src/gpu/kernels/optimizer.ts';
import { createRng } from '../../src/data/prng.ts';
import { randomArray, useGpu } from './gpu-suite.ts';
import { checkKernel, WorstErrors } from './kernel-check.ts';
import { caseName, OPTIMIZER_CASES, OptimizerRun } from './optimizer-cases.ts';

// The output layer's one-workgroup step against the composition of the CPU twins. Shapes: the
// MNIST MLP's last layer at batch 32 and at the test set's ragged 16, the toy network's 2-2 at
// batch 1, a layer fed by the input itself (no delta below), and 307 x 10, next to the kernel's
// 3,072-logit limit. H sums (the logits, dz W) and B sums (dW, db) are f32 against float64, as in
// a matmul; the loss and softmax carry exp/log as in the log-softmax kernel.
// Every optimizer of the table runs in both entry points (H = 33: scalar; H = 128: vec4).
const CASES: { B: number; H: number; C: number; loss: LossKind; below: HiddenActivation | null; opt: OptimizerSettings | null }[] = [
  { B: 32, H: 256, C: 10, loss: 'nll', below: 'sigmoid', opt: plainSgd(0.5) },
  { B: 16, H: 256, C: 10, loss: 'nll', below: 'sigmoid', opt: null },
  { B: 1, H: 2, C: 2, loss: 'squared', below: 'sigmoid', opt: plainSgd(0.4) },
  { B: 5, H: 784, C: 10, loss: 'nll', below: null, opt: plainSgd(0.5) },
  { B: 307, H: 20, C: 10, loss: 'nll', below: 'sigmoid', opt: { ...plainSgd(0.5), momentum: 0.5 } },
  { B: 9, H: 12, C: 3, loss: 'squared', below: 'sigmoid', opt: null },
  // Below a ReLU layer too: its derivative, from its outputs.
  ...OPTIMIZER_CASES.flatMap((opt) => [
    { B: 7, H: 33, C: 10, loss: 'nll' as const, below: 'sigmoid' as const, opt },
    { B: 32, H: 128, C: 10, loss: 'nll' as const, below: 'relu' as const, opt },
  ]),
  // Below every activation (those whose derivative reads the input bind it in place of h), under
  // each loss in turn.
  ...HIDDEN_ACTIVATIONS.map((below, i) => (
    { B: 13 + i, H: 40 + i, C: 10, loss: LOSSES[i % LOSSES.length], below, opt: plainSgd(0.5) })),
];

describe('output-layer kernel vs outputLayerCpu', () => {
  const gpu = useGpu();

  it('forward, loss, metrics, predictions; and the delta below and the update when training', async () => {
    const ctx = gpu();
    const worst = new WorstErrors();
    for (const { B, H, C, loss, below, opt } of CASES) {
      const rng = createRng(B * 1000 + H + C);
      // h as the layer below's output (its activation of values in [-2, 2]; the input's pixels in
      // [0, 1] without one); logits large enough to make the softmax uneven.
      const z = Float32Array.from({ length: B * H }, () => (below ? rng.uniform(-2, 2) : rng.next()));
      const h = below ? activationCpu(z, below) : z;
      const W = randomArray(C * H, 3 * H + C, 4 / Math.sqrt(H));
      const b = randomArray(C, 5 * C, 0.5);
      const labels = Uint32Array.from({ length: B }, () => rng.int(C));
      const steps = 2;
      const layout = recordLayout(steps);
      const record = new Uint32Array(layout.predictions + steps * B);
      record[0] = 1; // the second step's slot: the record is written at the counter
      const run = opt && new OptimizerRun(ctx, opt);
      const [stateW, stateB] = run ? run.state(C * H, C) : [null, null];
      // Slot 1, not advanced before the kernel: the twin's t is the one the kernel counts.
      run?.beforeRun(1, false);
      const what = `output_layer B=${B} H=${H} C=${C} ${loss} below ${below ?? 'input'}${opt ? ` ${caseName(opt)}` : ' (evaluation)'}`;
      const Wref = W.slice();
      const bref = b.slice();
      worst.add(await checkKernel(ctx, {
        what,
        buffers: {
          h, pre: z, W: W.slice(), b: b.slice(), labels, record, dzPrev: B * H,
          ...(stateW ? { stateW: stateW.slice(), stateB: stateB!.slice() } : {}),
        },
        dispatches: (bufs) => outputLayerDispatch(ctx, {
          h: bufs.h, weight: bufs.W, bias: bufs.b, labels: bufs.labels, record: { buffer: bufs.record, steps, samples: steps * B, layout },
        }, {
          B, H, C, loss, predict: { batchStride: B },
          train: run && { optimizer: run.params, stateWeight: bufs.stateW ?? null, stateBias: bufs.stateB ?? null,
            below: below && { dz: bufs.dzPrev, activation: below, pre: readsInput(below) ? bufs.pre : null } },
        }),
        expect: () => {
          const ref = outputLayerCpu(h, Wref, bref, labels, { B, H, C, loss, prevActivation: below, ...(below && readsInput(below) ? { prevPre: z } : {}) },
            run && { optimizer: run.settings, stateW, stateB, step: run.step });
          const tol = TOLERANCES.matmul;
          return {
            record: [
              // The counter moved on from slot 1, where the step's figures went.
              { ref: Uint32Array.of(2), tol: TOLERANCES.exact },
              { ref: [ref.loss], offset: layout.losses + 1, tol: loss === 'nll' ? TOLERANCES.nllRowLoss : TOLERANCES.squaredErrorLoss },
              { ref: Uint32Array.of(ref.correct), offset: layout.correct + 1, tol: TOLERANCES.exact },
              { ref: ref.argmax, offset: layout.predictions + B, tol: TOLERANCES.exact },
            ],
            ...(opt ? { W: { ref: Wref, tol }, b: { ref: bref, tol } } : {}),
            ...(ref.dzPrev ? { dzPrev: { ref: ref.dzPrev, tol } } : {}),
            ...(stateW ? { stateW: { ref: stateW, tol }, stateB: { ref: stateB!, tol } } : {}),
          };
        },
      }));
      run?.destroy();
    }
    worst.log('output_layer');
  });

  it('refuses a layer below whose backward reads its pre-activation without it (as its twin does)', () => {
    const ctx = gpu();
    const record = { buffer: ctx.unusedStorage(0), steps: 1, samples: 1, layout: recordLayout(1) };
    for (const activation of HIDDEN_ACTIVATIONS.filter(readsInput)) {
      const optimizer = OptimizerParams.create(ctx, plainSgd(0.1));
      expect(() => outputLayerDispatch(ctx, { h: ctx.unusedStorage(1), weight: ctx.unusedStorage(2), bias: ctx.unusedStorage(3), labels: ctx.unusedStorage(0), record }, {
        B: 1, H: 1, C: 1, loss: 'nll', train: { optimizer, stateWeight: null, stateBias: null, below: { dz: ctx.unusedStorage(1), activation } },
      })).toThrow(/pre-activation/);
      expect(() => outputLayerCpu(new Float32Array(1), new Float32Array(1), new Float32Array(1), [0],
        { B: 1, H: 1, C: 1, loss: 'nll', prevActivation: activation }, { optimizer: plainSgd(0.1), stateW: null, stateB: null, step: 1 })).toThrow(/pre-activation/);
      ctx.destroyBuffer(optimizer.buffer);
    }
  });
});
