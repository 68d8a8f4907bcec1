// Max pooling with stride = kernel side k over NCHW planes (batch * C of them, H x W each): the
// non-overlapping k x k windows, floored as PyTorch's (rows and columns past the last whole
// window belong to none): y is (planes, OH = H / k, OW = W / k). Each window's maximum is its
// first in row-major order on ties (PyTorch's; ReLU outputs tie at 0).
//   maxpool2d_forward   y: one output element per invocation. Workgroup WG, grid-stride.
//   maxpool2d_backward  dx: one input element per invocation, which finds its window's maximum
//                       again (k*k loads, no index buffer to allocate and keep) and takes dy
//                       there, 0 elsewhere and outside every window. ACTIVATION (override, a code
//                       of activation_fn.wgsl whose derivative reads the output) multiplies in
//                       act'(x): pooling after an activation reads that activation's output, so
//                       its backward fuses here. Workgroup WG, grid-stride.
// Bindings: forward 0 dims, 1 x, 2 y; backward 0 dims, 1 x, 2 dy, 3 dx.

struct Dims { planes: u32, H: u32, W: u32, OH: u32, OW: u32, k: u32, pad0: u32, pad1: u32 }

override ACTIVATION: u32 = 0u;

// Invocations per workgroup; src/gpu/kernels/maxpool2d.ts sizes the grids from it.
const WG = 64u;

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

// The flat index into x of the first maximum of window (plane, oh, ow).
fn windowArgmax(plane: u32, oh: u32, ow: u32) -> u32 {
  let first = (plane * dims.H + oh * dims.k) * dims.W + ow * dims.k;
  var best = first;
  for (var kh = 0u; kh < dims.k; kh++) {
    for (var kw = 0u; kw < dims.k; kw++) {
      let i = first + kh * dims.W + kw;
      if (x[i] > x[best]) { best = i; }
    }
  }
  return best;
}

@compute @workgroup_size(WG)
fn maxpool2d_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let total = dims.planes * dims.OH * dims.OW;
  for (var o = gid.x; o < total; o += groups.x * WG) {
    y[o] = x[windowArgmax(o / (dims.OH * dims.OW), (o / dims.OW) % dims.OH, o % dims.OW)];
  }
}

@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(WG)
fn maxpool2d_backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let total = dims.planes * dims.H * dims.W;
  for (var i = gid.x; i < total; i += groups.x * WG) {
    let plane = i / (dims.H * dims.W);
    let oh = (i / dims.W) % dims.H / dims.k;
    let ow = i % dims.W / dims.k;
    var g = 0.0;
    if (oh < dims.OH && ow < dims.OW && windowArgmax(plane, oh, ow) == i) {
      g = dy[(plane * dims.OH + oh) * dims.OW + ow] * activationGrad(x[i], ACTIVATION);
    }
    dx[i] = g;
  }
}
