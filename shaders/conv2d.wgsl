// 2-D convolution in PyTorch's NCHW layout, square kernel k, stride, zero padding:
//   x (batch, inC, H, W), w (outC, inC, k, k), bias (outC), y (batch, outC, OH, OW) with
//   OH = floor((H + 2 pad - k) / stride) + 1, likewise OW.
//
// Direct kernels, not matmuls. matmul.wgsl's tuned variants load and store row-major (M, N)
// operands, and a convolution as a GEMM is neither: its A operand is x through the im2col index
// map, and its product lands as (batch*OH*OW, outC) or (outC, batch*OH*OW) where NCHW needs
// (batch, outC, OH*OW). Reusing them would thread two index maps through every variant (or cost
// an im2col buffer k*k times the input plus a transpose per layer); for MNIST's few channels
// (1 -> 32 -> 64) tfjs-backend-webgpu measured a direct input gradient faster than the matmul form
// below 32 channels. The epilogue reuses activation_fn.wgsl (appended by src/gpu/shaders.ts).
//
//   conv2d_forward      y = act(conv(x, w) + bias): one output element (n, co, oh, ow) per
//                       invocation, summing its window over ci, kh, kw (the rows and columns of
//                       the window inside the image: padding adds nothing). Workgroup WG,
//                       grid-stride over the flat output index. HAS_BIAS, ACTIVATION (a code of
//                       activation_fn.wgsl), KEEP_INPUT (also store the pre-activation, for an
//                       activation whose backward reads it) as matmul.wgsl's epilogue.
//   conv2d_input_grad   dx: one input element (n, ci, ih, iw) per invocation, gathering
//                       dy[n, co, oh, ow] w[co, ci, kh, kw] over every co and the (oh, kh) with
//                       oh stride + kh - pad = ih (kh steps by stride), likewise for columns.
//                       Workgroup WG, grid-stride.
//   conv2d_weight_grad  dW and db: one workgroup of WG per filter element (wg.x = ci k k + kh k +
//                       kw; wg.x = inC k k is the bias) of output channel wg.y. Invocation t sums
//                       the terms t, t + WG, ... of the batch*OH*OW positions, x dy (dy alone for
//                       the bias), and the WG partials are added as a tree in workgroup memory.
//                       Grid (inC k k + 1, outC).
// Bindings: forward 0 dims, 1 x, 2 w, 3 bias (read only with HAS_BIAS), 4 y, 5 pre (KEEP_INPUT
// only); input grad 0 dims, 1 dy, 2 w, 3 dx; weight grad 0 dims, 1 dy, 2 x (the forward pass's
// input), 3 dW, 4 db.

struct Dims { batch: u32, inC: u32, H: u32, W: u32, outC: u32, OH: u32, OW: u32, k: u32, stride: u32, pad: u32, pad0: u32, pad1: u32 }

override HAS_BIAS: bool = false;
override ACTIVATION: u32 = 0u;
override KEEP_INPUT: bool = false;

// Invocations per workgroup, every entry point; src/gpu/kernels/conv2d.ts sizes the grids from it.
const WG = 64u;

@group(0) @binding(0) var<uniform> dims: Dims;

@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
@group(0) @binding(5) var<storage, read_write> pre: array<f32>;

// The window rows kh (or columns) in [lo, hi) that land inside the image, for a window starting
// at image row `start` (negative in the padding).
fn insideRange(start: i32, size: u32) -> vec2<u32> {
  return vec2<u32>(u32(max(-start, 0)), u32(clamp(i32(size) - start, 0, i32(dims.k))));
}

@compute @workgroup_size(WG)
fn conv2d_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let total = dims.batch * dims.outC * dims.OH * dims.OW;
  let kk = dims.k * dims.k;
  for (var o = gid.x; o < total; o += groups.x * WG) {
    let ow = o % dims.OW;
    let oh = (o / dims.OW) % dims.OH;
    let co = (o / (dims.OW * dims.OH)) % dims.outC;
    let n = o / (dims.OW * dims.OH * dims.outC);
    let ih0 = i32(oh * dims.stride) - i32(dims.pad);
    let iw0 = i32(ow * dims.stride) - i32(dims.pad);
    let rows = insideRange(ih0, dims.H);
    let cols = insideRange(iw0, dims.W);
    var acc = 0.0;
    for (var ci = 0u; ci < dims.inC; ci++) {
      let plane = (n * dims.inC + ci) * dims.H;
      let wBase = (co * dims.inC + ci) * kk;
      for (var kh = rows.x; kh < rows.y; kh++) {
        let xRow = (plane + u32(ih0 + i32(kh))) * dims.W;
        for (var kw = cols.x; kw < cols.y; kw++) {
          acc = fma(x[xRow + u32(iw0 + i32(kw))], w[wBase + kh * dims.k + kw], acc);
        }
      }
    }
    var v = acc;
    if (HAS_BIAS) { v += bias[co]; }
    if (KEEP_INPUT) { pre[o] = v; }
    y[o] = activate(v, ACTIVATION);
  }
}

@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(WG)
fn conv2d_input_grad(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let total = dims.batch * dims.inC * dims.H * dims.W;
  let s = dims.stride;
  for (var i = gid.x; i < total; i += groups.x * WG) {
    let iw = i % dims.W;
    let ih = (i / dims.W) % dims.H;
    let ci = (i / (dims.W * dims.H)) % dims.inC;
    let n = i / (dims.W * dims.H * dims.inC);
    // Window row kh reaches ih from output row (ih + pad - kh) / stride where that divides: kh
    // runs over one residue class mod stride, down to the first output row past the top.
    let th = ih + dims.pad;
    let tw = iw + dims.pad;
    var acc = 0.0;
    for (var co = 0u; co < dims.outC; co++) {
      let dyPlane = (n * dims.outC + co) * dims.OH;
      let wBase = (co * dims.inC + ci) * dims.k * dims.k;
      for (var kh = th % s; kh < dims.k && kh <= th; kh += s) {
        let oh = (th - kh) / s;
        if (oh >= dims.OH) { continue; }
        for (var kw = tw % s; kw < dims.k && kw <= tw; kw += s) {
          let ow = (tw - kw) / s;
          if (ow >= dims.OW) { continue; }
          acc = fma(dy[(dyPlane + oh) * dims.OW + ow], w[wBase + kh * dims.k + kw], acc);
        }
      }
    }
    dx[i] = acc;
  }
}

@group(0) @binding(2) var<storage, read> layerInput: array<f32>;
@group(0) @binding(3) var<storage, read_write> dW: array<f32>;
@group(0) @binding(4) var<storage, read_write> db: array<f32>;

var<workgroup> partial: array<f32, WG>;

@compute @workgroup_size(WG)
fn conv2d_weight_grad(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let kk = dims.k * dims.k;
  let e = wg.x;
  let co = wg.y;
  let isBias = e == dims.inC * kk;
  let ci = e / kk;
  let kh = (e / dims.k) % dims.k;
  let kw = e % dims.k;
  let positions = dims.OH * dims.OW;
  var acc = 0.0;
  for (var j = t; j < dims.batch * positions; j += WG) {
    let n = j / positions;
    let oh = (j % positions) / dims.OW;
    let ow = j % dims.OW;
    let g = dy[((n * dims.outC + co) * dims.OH + oh) * dims.OW + ow];
    if (isBias) {
      acc += g;
      continue;
    }
    let ih = i32(oh * dims.stride + kh) - i32(dims.pad);
    let iw = i32(ow * dims.stride + kw) - i32(dims.pad);
    if (ih < 0 || ih >= i32(dims.H) || iw < 0 || iw >= i32(dims.W)) { continue; }
    acc = fma(layerInput[((n * dims.inC + ci) * dims.H + u32(ih)) * dims.W + u32(iw)], g, acc);
  }
  partial[t] = acc;
  workgroupBarrier();
  for (var width = WG / 2u; width > 0u; width >>= 1u) {
    if (t < width) { partial[t] += partial[t + width]; }
    workgroupBarrier();
  }
  if (t != 0u) { return; }
  if (isBias) {
    db[co] = partial[0];
  } else {
    dW[co * dims.inC * kk + e] = partial[0];
  }
}
