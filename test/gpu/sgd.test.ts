import { describe, expect, it } from 'vitest';
import { sgdUpdateCpu, type SgdOptions } from '../../src/reference/kernels.ts';
import { TOLERANCES } from '../../src/reference/tolerance.ts';
import { SgdParams, sgdDispatch } from '../../src/gpu/kernels/sgd.ts';
import { randomArray, useGpu } from './gpu-suite.ts';
import { checkKernel, WorstErrors } from './kernel-check.ts';

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
    it(`${name}: ${STEPS} consecutive steps, the learning rate halved between them by SgdParams.write`, async () => {
      const ctx = gpu();
      const worst = new WorstErrors();
      for (const n of SIZES) {
        const param = randomArray(n, n);
        const velocity = opts.momentum ? new Float32Array(n) : null;
        const sgd = SgdParams.create(ctx, opts);
        const stepOpts = (step: number) => ({ ...opts, lr: opts.lr / 2 ** step });
        const grad = (step: number) => randomArray(n, n + 1 + step);
        worst.add(await checkKernel(ctx, {
          what: `sgd ${name} n=${n}`,
          buffers: { param: param.slice(), grad: n, ...(velocity ? { velocity: velocity.slice() } : {}) },
          dispatches: (bufs) => sgdDispatch(ctx, sgd, { param: bufs.param, grad: bufs.grad, velocity: bufs.velocity ?? null }, n),
          runs: STEPS,
          beforeRun: (bufs, step) => {
            ctx.write(bufs.grad, grad(step));
            sgd.write(ctx, stepOpts(step));
          },
          expect: (step) => {
            sgdUpdateCpu(param, grad(step), velocity, stepOpts(step));
            return { param: { ref: param, tol: TOLERANCES.sgd }, ...(velocity ? { velocity: { ref: velocity, tol: TOLERANCES.sgd } } : {}) };
          },
        }));
        ctx.destroyBuffer(sgd.buffer);
      }
      worst.log(`sgd ${name}`);
    });
  }

  it('refuses momentum without a velocity buffer, turning momentum on later, and Nesterov without momentum', () => {
    const ctx = gpu();
    const param = ctx.storage('param', 16);
    const grad = ctx.storage('grad', 16);
    const withMomentum = SgdParams.create(ctx, { lr: 0.1, momentum: 0.9 });
    expect(() => sgdDispatch(ctx, withMomentum, { param, grad, velocity: null }, 4)).toThrow(/momentum needs a velocity buffer/);
    const plain = SgdParams.create(ctx, { lr: 0.1 });
    sgdDispatch(ctx, plain, { param, grad, velocity: null }, 4);
    expect(() => plain.write(ctx, { lr: 0.1, momentum: 0.5 })).toThrow(/built without velocity buffers/);
    expect(() => SgdParams.create(ctx, { lr: 0.1, nesterov: true })).toThrow(/Nesterov momentum needs momentum > 0/);
    for (const buf of [param, grad, withMomentum.buffer, plain.buffer]) ctx.destroyBuffer(buf);
  });
});
