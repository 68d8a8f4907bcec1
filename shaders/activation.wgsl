// Element-wise activations and their gradients (functions in activation_fn.wgsl), for the
// unfused path (--no-fuse: one kernel per operation) and the tests; the training step fuses both
// into its matmuls.
//   activation_forward   y[i] = act(x[i]).
//   activation_backward  dx[i] = g[i] * act'(x[i]), written with what the forward pass kept[i]: the
//                        output y[i], or for GELU the input x[i] (activation_fn.wgsl).
// ACTIVATION (override) picks the function. Grid-stride: invocation i handles i, i + T, i + 2T, ...
// for T invocations in all. Workgroup WG, grid ceil(n / (WG * 16)): about 16 elements per
// invocation, which amortises the per-invocation cost that dominates on CPU adapters.
// Bindings: forward 0 dims (uniform n), 1 x, 2 y; backward 0 dims, 1 g, 2 kept (read), 3 dx.

struct Dims { n: u32, pad0: u32, pad1: u32, pad2: u32 }

override ACTIVATION: u32 = 1u;

// Invocations per workgroup; src/gpu/kernels/activation.ts sizes the grid from it.
const WG = 256u;

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@group(0) @binding(1) var<storage, read> g: array<f32>;
@group(0) @binding(2) var<storage, read> kept: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(WG)
fn activation_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  for (var i = gid.x; i < dims.n; i += groups.x * WG) { y[i] = activate(x[i], ACTIVATION); }
}

@compute @workgroup_size(WG)
fn activation_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  for (var i = gid.x; i < dims.n; i += groups.x * WG) { dx[i] = g[i] * activationGrad(kept[i], ACTIVATION); }
}
