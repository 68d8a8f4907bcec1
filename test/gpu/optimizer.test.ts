import { describe, expect, it } from 'vitest';
import { optimizerTolerance } from '../../src/reference/tolerance.ts';
import { OptimizerParams, updateDispatch } from '../../src/gpu/kernels/optimizer.ts';
import { plainSgd } from '../../src/model/optimizers.ts';
import { randomArray, useGpu } from './gpu-suite.ts';
import { checkKernel, WorstErrors } from './kernel-check.ts';
import { caseName, OPTIMIZER_CASES, OptimizerRun } from './optimizer-cases.ts';

// One element, a few, and fc1.weight (512x784) plus 3, off the workgroup size.
const SIZES = [1, 7, 784 * 512 + 3];
const STEPS = 3;

describe('optimizer update kernel vs optimizerUpdateCpu', () => {
  const gpu = useGpu();

  for (const settings of OPTIMIZER_CASES) {
    it(`${caseName(settings)}: ${STEPS} consecutive steps, the learning rate halved between them by OptimizerParams.write`, async () => {
      const ctx = gpu();
      const worst = new WorstErrors();
      const tol = optimizerTolerance(settings.kind);
      for (const n of SIZES) {
        const param = randomArray(n, n);
        const run = new OptimizerRun(ctx, settings);
        const [state] = run.state(n);
        const stepSettings = (step: number) => ({ ...settings, lr: settings.lr / 2 ** step });
        const grad = (step: number) => randomArray(n, n + 1 + step);
        worst.add(await checkKernel(ctx, {
          what: `${caseName(settings)} n=${n}`,
          buffers: { param: param.slice(), grad: n, ...(state ? { state: state.slice() } : {}) },
          dispatches: (bufs) => updateDispatch(ctx, run.params, { param: bufs.param, grad: bufs.grad, state: bufs.state ?? null, record: run.record }, n),
          runs: STEPS,
          beforeRun: (bufs, step) => {
            ctx.write(bufs.grad, grad(step));
            run.write(stepSettings(step));
            run.beforeRun(step, true);
          },
          expect: (step) => {
            run.updateCpu(param, grad(step), state, stepSettings(step));
            return { param: { ref: param, tol }, ...(state ? { state: { ref: state, tol } } : {}) };
          },
        }));
        run.destroy();
      }
      worst.log(caseName(settings));
    });
  }

  it('refuses a missing or needless state buffer, changing the kind or the state later, and Nesterov without momentum', () => {
    const ctx = gpu();
    const param = ctx.storage('param', 16);
    const grad = ctx.storage('grad', 16);
    const record = ctx.storage('record', 16);
    const withMomentum = OptimizerParams.create(ctx, { ...plainSgd(0.1), momentum: 0.9 });
    expect(() => updateDispatch(ctx, withMomentum, { param, grad, state: null, record }, 4)).toThrow(/needs a state buffer/);
    const adam = OptimizerParams.create(ctx, { ...plainSgd(0.1), kind: 'adam' });
    expect(() => updateDispatch(ctx, adam, { param, grad, state: ctx.storage('short', 16), record }, 4)).toThrow(/holds 4 f32, 8 needed/);
    const plain = OptimizerParams.create(ctx, plainSgd(0.1));
    expect(() => updateDispatch(ctx, plain, { param, grad, state: param, record }, 4)).toThrow(/keeps no state/);
    expect(() => plain.write(ctx, { ...plainSgd(0.1), momentum: 0.5 })).toThrow(/cannot change sgd with 0 state floats/);
    expect(() => plain.write(ctx, { ...plainSgd(0.1), kind: 'adamw' })).toThrow(/into adamw/);
    expect(() => OptimizerParams.create(ctx, { ...plainSgd(0.1), nesterov: true })).toThrow(/Nesterov momentum needs momentum > 0/);
    expect(() => OptimizerParams.create(ctx, { ...plainSgd(0.1), kind: 'adam', momentum: 0.9 })).toThrow(/momentum and Nesterov are SGD's/);
    for (const buf of [param, grad, record, withMomentum.buffer, adam.buffer, plain.buffer]) ctx.destroyBuffer(buf);
  });
});
