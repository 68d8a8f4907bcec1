// In-place optimizer step (optimizerUpdate, shaders/optimizer.wgsl, appended to this file by
// src/gpu/shaders.ts), one invocation per group of parameter elements (grid-stride: invocation i
// handles i, i + T, i + 2T, ... for T invocations in all, so neighbouring invocations touch
// neighbouring elements). The training step fuses this update into the weight- and
// bias-gradient kernels instead; this one serves the unfused path and the tests.
// The hyper-parameters live in one uniform shared by every tensor, rewritten between submits for
// learning-rate schedules. Workgroup 256, grid ceil(n / (256 * 16)): about 16 elements per
// invocation, which amortises the per-invocation cost that dominates on CPU adapters.
// t = stepBase + record[0]: this kernel runs after the step's metrics advanced the counter.
// Bindings: 0 dims (uniform n), 1 hyper (uniform Hyper), 2 param, 3 grad, 4 state (n * STATE
// interleaved; untouched with STATE 0), 5 record (the run record, read only).

struct Dims { n: u32, pad0: u32, pad1: u32, pad2: u32 }

// Invocations per workgroup; src/gpu/kernels/optimizer.ts sizes the grid from it.
const WG = 256u;

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<uniform> hyper: Hyper;
@group(0) @binding(2) var<storage, read_write> param: array<f32>;
@group(0) @binding(3) var<storage, read> grad: array<f32>;
@group(0) @binding(4) var<storage, read_write> state: array<f32>;
@group(0) @binding(5) var<storage, read> record: array<u32>;

@compute @workgroup_size(WG)
fn optimizer_update(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let o = optimizerAt(hyper, record[0]);
  let stride = groups.x * WG;
  for (var i = gid.x; i < dims.n; i += stride) {
    var s = vec2<f32>();
    if (STATE >= 1u) { s.x = state[i * STATE]; }
    if (STATE == 2u) { s.y = state[i * STATE + 1u]; }
    let r = optimizerUpdate(param[i], grad[i], s, o);
    param[i] = r.x;
    if (STATE >= 1u) { state[i * STATE] = r.y; }
    if (STATE == 2u) { state[i * STATE + 1u] = r.z; }
  }
}
