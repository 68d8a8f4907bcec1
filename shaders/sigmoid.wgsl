// Element-wise logistic sigmoid and its gradient, for hidden layers whose matmul did not fuse the
// activation, and for every backward pass through one.
//   sigmoid_forward   y[i] = 1 / (1 + e^-x[i]).
//   sigmoid_backward  dx[i] = g[i] * y[i] * (1 - y[i]), from the forward output y, which is what
//                     the forward pass keeps.
// Grid-stride: invocation i handles i, i + T, i + 2T, ... for T invocations in all. Workgroup 256,
// grid ceil(n / (256 * 16)): about 16 elements per invocation, which amortises the
// per-invocation cost that dominates on CPU adapters.
// Bindings: forward 0 dims (uniform n), 1 x, 2 y; backward 0 dims, 1 g, 2 y (read), 3 dx.

struct Dims { n: u32, pad0: u32, pad1: u32, pad2: u32 }

// Invocations per workgroup; src/gpu/kernels/sigmoid.ts sizes the grid from it.
const WG = 256u;

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read> yKept: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

// e^-|v| lies in (0, 1], so nothing overflows. The naive 1 / (1 + e^-v) overflows exp at v < -88,
// and WGSL lets implementations assume overflow and infinities never happen: its result there is
// indeterminate, not the 0 that IEEE arithmetic would give.
fn safeSigmoid(v: f32) -> f32 {
  let e = exp(-abs(v));
  return select(e / (1.0 + e), 1.0 / (1.0 + e), v >= 0.0);
}

@compute @workgroup_size(WG)
fn sigmoid_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  for (var i = gid.x; i < dims.n; i += groups.x * WG) { y[i] = safeSigmoid(x[i]); }
}

@compute @workgroup_size(WG)
fn sigmoid_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  for (var i = gid.x; i < dims.n; i += groups.x * WG) {
    let s = yKept[i];
    dx[i] = g[i] * s * (1.0 - s);
  }
}
