// Bias gradient: db = column sums of dY, (M, N) -> (N); M is the batch, N a layer's width.
// Two variants, chosen like matmul's (src/gpu/kernels/bias-grad.ts):
//   bias_grad_serial     one invocation per column j, summing its M entries in order; workgroup
//                        64, grid ceil(N / 64). No barriers, so it suits CPU adapters.
//   bias_grad_workgroup  a 32x8 workgroup per 32 columns: invocation (cx, ry) sums rows ry,
//                        ry + 8, ... of column 32 * wg + cx (a warp's 32 loads are one contiguous
//                        row segment), then the 8 partials per column are tree-reduced in
//                        workgroup memory. Grid ceil(N / 32). Suits GPUs.
// With SGD (override), db is the bias itself and each column sum its gradient: the bias is
// updated in place by sgdUpdate (shaders/sgd_step.wgsl, appended by src/gpu/shaders.ts), with its
// velocity in `velocity` when HAS_VELOCITY, so the gradient never goes to memory.
// Bindings: 0 dims (uniform M, N), 1 dY (M,N), 2 db (N), 3 hyper (uniform, SGD only),
// 4 velocity (N; SGD with HAS_VELOCITY only).

struct Dims { M: u32, N: u32, pad0: u32, pad1: u32 }

override SGD: bool = false;
override HAS_VELOCITY: bool = false;

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> dY: array<f32>;
@group(0) @binding(2) var<storage, read_write> db: array<f32>;
@group(0) @binding(3) var<uniform> hyper: Hyper;
@group(0) @binding(4) var<storage, read_write> velocity: array<f32>;

fn storeSum(acc: f32, j: u32) {
  if (!SGD) {
    db[j] = acc;
    return;
  }
  if (HAS_VELOCITY) {
    let r = sgdUpdate(db[j], acc, velocity[j], hyper);
    db[j] = r.x;
    velocity[j] = r.y;
  } else {
    db[j] = sgdUpdate(db[j], acc, 0.0, hyper).x;
  }
}

// Columns per workgroup of bias_grad_serial; src/gpu/kernels/bias-grad.ts sizes the grid from
// these constants.
const SERIAL_WG = 64u;

@compute @workgroup_size(SERIAL_WG)
fn bias_grad_serial(@builtin(global_invocation_id) gid: vec3<u32>) {
  let j = gid.x;
  if (j >= dims.N) { return; }
  var acc = 0.0;
  for (var i = 0u; i < dims.M; i++) { acc += dY[i * dims.N + j]; }
  storeSum(acc, j);
}

const COLS = 32u;
const ROWS = 8u;
var<workgroup> partial: array<array<f32, COLS>, ROWS>;

@compute @workgroup_size(COLS, ROWS)
fn bias_grad_workgroup(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let j = wg.x * COLS + lid.x;
  // Lanes past the last column add nothing but still reach every barrier.
  var acc = 0.0;
  if (j < dims.N) {
    for (var i = lid.y; i < dims.M; i += ROWS) { acc += dY[i * dims.N + j]; }
  }
  partial[lid.y][lid.x] = acc;
  workgroupBarrier();
  for (var width = ROWS / 2u; width > 0u; width >>= 1u) {
    if (lid.y < width) { partial[lid.y][lid.x] += partial[lid.y + width][lid.x]; }
    workgroupBarrier();
  }
  if (lid.y == 0u && j < dims.N) { storeSum(partial[0][lid.x], j); }
}
