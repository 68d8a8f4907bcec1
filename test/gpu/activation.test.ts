import { describe, expect, it } from 'vitest';
import { HIDDEN_ACTIVATIONS, readsInput } from '../../src/model/activations.ts';
import { activationBackwardCpu, activationCpu, keptForBackwardCpu } from '../../src/reference/kernels.ts';
import { erf } from '../../src/reference/erf.ts';
import { TOLERANCES } from '../../src/reference/tolerance.ts';
import { activationBackwardDispatch, activationDispatch } from '../../src/gpu/kernels/activation.ts';
import { gridStrideGroups, makeDispatch } from '../../src/gpu/dispatch.ts';
import { shaders, wgslConst } from '../../src/gpu/shaders.ts';
import { randomArray, useGpu } from './gpu-suite.ts';
import { checkKernel, WorstErrors } from './kernel-check.ts';

// The hidden layers' sizes at batch 32 and 7, and a single element.
const SIZES = [1, 7 * 256, 32 * 512 + 3];
// Saturated inputs, where a naive sigmoid or tanh meets exp's overflow (|x| > 88), and zero, where
// ReLU's derivative switches.
const EXTREMES = [-100, 100, -88.8, 88.8, -20, 20, 0, -1e-30, 1e30, -1e30];

// activation_fn.wgsl's erf on activation_forward's bindings, which it has no entry point of its own for.
const ERF_PROBE = `${shaders.activation}
@compute @workgroup_size(WG)
fn erf_probe(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  for (var i = gid.x; i < dims.n; i += groups.x * WG) { y[i] = erf(x[i]); }
}`;

describe('activation kernels vs activationCpu and activationBackwardCpu', () => {
  const gpu = useGpu();

  it('erf (for GELU) is within TOLERANCES.erf of the float64 erf at every 2^-12 step of [-6, 6]', async () => {
    const n = 12 * 4096 + 1;
    const x = Float32Array.from({ length: n }, (_, i) => -6 + i / 4096);
    const worst = await checkKernel(gpu(), {
      what: 'erf',
      buffers: { x, y: n },
      dispatches: (bufs) => makeDispatch(gpu(), 'erf probe', gpu().pipeline(ERF_PROBE, 'erf_probe'),
        [gpu().uniform('erf dims', new Uint32Array([n, 0, 0, 0])), bufs.x, bufs.y], [gridStrideGroups(n, wgslConst(shaders.activation, 'WG'))]),
      expect: () => ({ y: { ref: Array.from(x, erf), tol: TOLERANCES.erf } }),
    });
    console.log(`erf: max |gpu - float64| = ${worst.y?.toExponential(3)}`);
    expect(worst.y).toBeGreaterThan(0);
  });

  for (const activation of HIDDEN_ACTIVATIONS) {
    it(`${activation}: forward over activation-like inputs and saturated extremes, no NaN`, async () => {
      const worst = new WorstErrors();
      for (const n of SIZES) {
        const x = randomArray(n, n, 8);
        x.set(EXTREMES.slice(0, n));
        worst.add(await checkKernel(gpu(), {
          what: `${activation} n=${n}`,
          buffers: { x, y: n },
          dispatches: (bufs) => activationDispatch(gpu(), activation, bufs, n),
          expect: () => ({ y: { ref: activationCpu(x, activation), tol: TOLERANCES.activation } }),
        }));
      }
      worst.log(`${activation} forward`);
    });

    it(`${activation}: backward from the forward pass's ${readsInput(activation) ? 'inputs' : 'outputs'}, saturated and zero ones included`, async () => {
      const worst = new WorstErrors();
      for (const n of SIZES) {
        const g = randomArray(n, n + 1, 2);
        const x = randomArray(n, n + 2, 8);
        x.set([-100, 100, 0].slice(0, n));
        const kept = keptForBackwardCpu(x, activation);
        worst.add(await checkKernel(gpu(), {
          what: `${activation} backward n=${n}`,
          buffers: { g, kept, dx: n },
          dispatches: (bufs) => activationBackwardDispatch(gpu(), activation, bufs, n),
          expect: () => ({ dx: { ref: activationBackwardCpu(g, kept, activation), tol: TOLERANCES.activationBackward } }),
        }));
      }
      worst.log(`${activation} backward`);
    });
  }
});
