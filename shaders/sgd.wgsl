// In-place SGD with PyTorch's semantics (sgdUpdate, shaders/sgd_step.wgsl, appended to this file
// by src/gpu/shaders.ts), one invocation per group of parameter elements (grid-stride:
// invocation i handles i, i + T, i + 2T, ... for T invocations in all, so neighbouring
// invocations touch neighbouring elements). The training step fuses this update into the
// weight- and bias-gradient kernels instead; this one serves the unfused path and the tests.
// The hyper-parameters live in one uniform shared by every tensor, rewritten between submits for
// learning-rate schedules. Workgroup 256, grid ceil(n / (256 * 16)): about 16 elements per
// invocation, which amortises the per-invocation cost that dominates on CPU adapters.
// Bindings: 0 dims (uniform n), 1 hyper (uniform lr, momentum, weightDecay, nesterov), 2 param,
// 3 grad, 4 velocity (read and written with HAS_VELOCITY, else untouched).

struct Dims { n: u32, pad0: u32, pad1: u32, pad2: u32 }

/** A velocity buffer is bound (momentum may be on): read and write it. */
override HAS_VELOCITY: bool = false;

// Invocations per workgroup; src/gpu/kernels/sgd.ts sizes the grid from it.
const WG = 256u;

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<uniform> hyper: Hyper;
@group(0) @binding(2) var<storage, read_write> param: array<f32>;
@group(0) @binding(3) var<storage, read> grad: array<f32>;
@group(0) @binding(4) var<storage, read_write> velocity: array<f32>;

@compute @workgroup_size(WG)
fn sgd_update(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let h = hyper;
  let stride = groups.x * WG;
  for (var i = gid.x; i < dims.n; i += stride) {
    if (HAS_VELOCITY) {
      let r = sgdUpdate(param[i], grad[i], velocity[i], h);
      param[i] = r.x;
      velocity[i] = r.y;
    } else {
      param[i] = sgdUpdate(param[i], grad[i], 0.0, h).x;
    }
  }
}
