// Bias gradient: db = column sums of dY, (M, N) -> (N); M is the batch, N a layer's width.
// Two variants, chosen like matmul's (src/gpu/kernels/bias-grad.ts):
//   bias_grad_serial     one invocation per column j, summing its M entries in order; workgroup
//                        64, grid ceil(N / 64). No barriers, so it suits CPU adapters.
//   bias_grad_workgroup  a 32x8 workgroup per 32 columns: invocation (cx, ry) sums rows ry,
//                        ry + 8, ... of column 32 * wg + cx (a warp's 32 loads are one contiguous
//                        row segment), then the 8 partials per column are tree-reduced in
//                        workgroup memory. Grid ceil(N / 32). Suits GPUs.
// With UPDATE (override), db is the bias itself and each column sum its gradient: the bias is
// updated in place by optimizerUpdate (shaders/optimizer.wgsl, appended by src/gpu/shaders.ts),
// with its STATE floats per element in `state`, so the gradient never goes to memory; t comes
// from the run record's counter, already advanced by the step's metrics.
// Bindings: 0 dims (uniform M, N), 1 dY (M,N), 2 db (N), 3 hyper (uniform Hyper, UPDATE only),
// 4 state (N*STATE; UPDATE with STATE > 0 only), 5 record (the run record, read; UPDATE only).

struct Dims { M: u32, N: u32, pad0: u32, pad1: u32 }

override UPDATE: bool = false;

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> dY: array<f32>;
@group(0) @binding(2) var<storage, read_write> db: array<f32>;
@group(0) @binding(3) var<uniform> hyper: Hyper;
@group(0) @binding(4) var<storage, read_write> state: array<f32>;
@group(0) @binding(5) var<storage, read> record: array<u32>;

fn storeSum(acc: f32, j: u32) {
  if (!UPDATE) {
    db[j] = acc;
    return;
  }
  var s = vec2<f32>();
  if (STATE >= 1u) { s.x = state[j * STATE]; }
  if (STATE == 2u) { s.y = state[j * STATE + 1u]; }
  let r = optimizerUpdate(db[j], acc, s, optimizerAt(hyper, record[0]));
  db[j] = r.x;
  if (STATE >= 1u) { state[j * STATE] = r.y; }
  if (STATE == 2u) { state[j * STATE + 1u] = r.z; }
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
