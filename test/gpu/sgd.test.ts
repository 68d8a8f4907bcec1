import { describe, expect, it } from 'vitest';
import { sgdUpdateCpu, type SgdOptions } from '../../src/reference/kernels.ts';
import { createSgdHyper, sgdDispatch, writeSgdHyper } from '../../src/gpu/kernels/sgd.ts';
import { runDispatches } from '../../src/gpu/runner.ts';
import { expectClose, randomArray, useGpu } from './gpu-suite.ts';

// The same few f32 operations per element on both sides, but the reference keeps float64 between
// them and rounds only what it stores, and the GPU may fuse a multiply-add: each step may differ
// by an ULP or two of the operands (values up to ~10 for a velocity at momentum 0.9, so 1e-6
// relative), and the atol covers results that cancel towards 0. Three steps compound it a little.
const TOL = { atol: 2e-7, rtol: 2e-6 };

const CONFIGS: [string, SgdOptions][] = [
  ['plain', { lr: 0.1 }],
  ['momentum', { lr: 0.1, momentum: 0.9 }],
  ['weight decay', { lr: 0.1, weightDecay: 0.01 }],
  ['Nesterov with momentum and weight decay', { lr: 0.1, momentum: 0.9, weightDecay: 0.01, nesterov: true }],
];
// One element, a few, and fc1.weight (512x784) plus 3, off the workgroup size.
const SIZES = [1, 7, 784 * 512 + 3];
const STEPS = 3;

describe('SGD kernel vs sgdUpdateCpu', () => {
  const gpu = useGpu();

  for (const [name, opts] of CONFIGS) {
    it(`${name}: ${STEPS} consecutive steps, the learning rate halved between them by writeSgdHyper`, async () => {
      const ctx = gpu();
      let maxErr = 0;
      for (const n of SIZES) {
        const param = randomArray(n, n);
        const velocity = opts.momentum ? new Float32Array(n) : null;
        const bufs = {
          param: ctx.storage('param', param),
          grad: ctx.storage('grad', n * 4),
          velocity: velocity ? ctx.storage('velocity', velocity) : null,
          hyper: createSgdHyper(ctx, opts),
        };
        const dispatch = sgdDispatch(ctx, bufs, n);
        for (let step = 0; step < STEPS; step++) {
          const stepOpts = { ...opts, lr: opts.lr / 2 ** step };
          const grad = randomArray(n, n + 1 + step);
          ctx.device.queue.writeBuffer(bufs.grad, 0, grad.buffer as ArrayBuffer);
          writeSgdHyper(ctx, bufs.hyper, stepOpts);
          await runDispatches(ctx, [dispatch]);
          sgdUpdateCpu(param, grad, velocity, stepOpts);
          const what = `sgd ${name} n=${n} step ${step}`;
          maxErr = Math.max(maxErr, expectClose(`${what} param`, await ctx.readF32(bufs.param, n), param, TOL));
          if (velocity && bufs.velocity) {
            maxErr = Math.max(maxErr, expectClose(`${what} velocity`, await ctx.readF32(bufs.velocity, n), velocity, TOL));
          }
        }
        for (const buf of Object.values(bufs)) if (buf) ctx.destroyBuffer(buf);
      }
      console.log(`sgd ${name}: max |gpu - ref| = ${maxErr.toExponential(2)}`);
    });
  }

  it('refuses momentum without a velocity buffer, and Nesterov without momentum', () => {
    const ctx = gpu();
    const param = ctx.storage('param', 16);
    const grad = ctx.storage('grad', 16);
    expect(() => sgdDispatch(ctx, { param, grad, hyper: createSgdHyper(ctx, { lr: 0.1, momentum: 0.9 }) }, 4))
      .toThrow(/momentum 0.9 needs a velocity buffer/);
    const plain = createSgdHyper(ctx, { lr: 0.1 });
    sgdDispatch(ctx, { param, grad, hyper: plain }, 4);
    expect(() => writeSgdHyper(ctx, plain, { lr: 0.1, momentum: 0.5 })).toThrow(/without a velocity buffer/);
    expect(() => createSgdHyper(ctx, { lr: 0.1, nesterov: true })).toThrow(/Nesterov momentum needs momentum > 0/);
    for (const buf of [param, grad, plain]) ctx.destroyBuffer(buf);
  });
});
