// 2-D convolution in PyTorch's NCHW layout, square kernel k, stride, zero padding:
//   x (batch, inC, H, W), w (outC, inC, k, k), bias (outC), y (batch, outC, OH, OW) with
//   OH = floor((H + 2 pad - k) / stride) + 1, likewise OW.
//
// Direct kernels, not matmuls. matmul.wgsl's tuned variants load and store row-major (M, N)
// operands, and a convolution as a GEMM is neither: its A operand is x through the im2col index
// map, and its product lands as (batch*OH*OW, outC) or (outC, batch*OH*OW) where NCHW needs
// (batch, outC, OH*OW). Reusing them would thread two index maps through every variant (or cost
// an im2col buffer k*k times the input plus a transpose per layer); and for MNIST's few channels
// (1 -> 32 -> 64), tfjs-backend-webgpu is reported to find a direct input gradient faster than
// the matmul form below 32 channels (not measured here). The kernels borrow matmul_vec4's idea
// instead: register blocks of outputs as vec4 accumulators, every index into them a constant.
// On SwiftShader (Dawn's CPU adapter, Subzero JIT) the time goes to storage loads, each bounds
// checked and gathered per lane, more than to the multiply-adds; so each block is sized by how
// many multiply-adds one load serves, and no kernel stages operands through workgroup memory
// (matmul_tiled at TILE 32 and 64 and matmul_skinny, which do, took 259, 562 and 4020 ms for a
// 32x6272x144 product there, matmul_vec4 43 ms). The epilogue reuses activation_fn.wgsl (appended by
// src/gpu/shaders.ts).
//
//   conv2d_forward      y = act(conv(x, w) + bias): per invocation, FWD_CHANNELS output channels
//                       by FWD_COLS columns of one output row (n, oh), summing the windows over
//                       ci, kh, kw (the window rows inside the image; columns in the padding load
//                       0). With STRIDE_ONE the window slides along x's row: each kw loads one new
//                       x value, not FWD_COLS. Workgroup WG, grid-stride over the blocks.
//                       HAS_BIAS, ACTIVATION (a code of activation_fn.wgsl), KEEP_INPUT (also
//                       store the pre-activation, for an activation whose backward reads it) as
//                       matmul.wgsl's epilogue.
//                       TRANSPOSED reads each filter flipped with in and out channels swapped: at
//                       stride 1, dx is this kernel run on dy with padding k - 1 - pad (the
//                       transpose rule; src/gpu/kernels/conv2d.ts sets the swapped dims).
//                       ACTIVATION_BACKWARD (with TRANSPOSED) multiplies each dx by act'(kept)
//                       instead of applying act, kept (the shape of dx) being what the forward
//                       pass kept of the activation that produced x (its output, or its input as
//                       activation_fn.wgsl says): the layer below's activation backward, fused.
//   conv2d_input_grad   dx at any stride: per invocation, 4 input channels by 4 columns of one
//                       row (n, ih), gathering dy[n, co, oh, ow] w[co, ci, kh, kw] over every co
//                       and the (oh, kh) with oh stride + kh - pad = ih (kh steps by stride);
//                       columns likewise, each of the 4 masking the kw its stride residue rules
//                       out. Workgroup WG, grid-stride. ACTIVATION_BACKWARD as above.
//   conv2d_weight_grad  dW and db: one workgroup of DW_WG per block of DW_CHANNELS output
//                       channels (wg.y) by DW_UNITS units of 4 neighbouring taps of a filter row
//                       (wg.x). Invocation t sums over the output rows t, t + DW_WG, ... of the
//                       batch*OH, x dy (the bias's sums, dy alone, ride along), and the DW_WG
//                       partials are added in workgroup memory. Grid (ceil(inC k ceil(k / 4) /
//                       DW_UNITS), ceil(outC / DW_CHANNELS)). With UPDATE
//                       (override), dW and db are the weight and bias themselves and the sums
//                       their gradients: each takes an optimizer step in place
//                       (shaders/optimizer.wgsl, appended by src/gpu/shaders.ts) with its STATE
//                       floats per element in `state` / `biasState`, t from the run record's
//                       counter, as matmul.wgsl's update epilogue: the gradients never go to
//                       memory.
// Bindings: forward 0 dims, 1 x (dy when TRANSPOSED), 2 w, 3 aux (the bias with HAS_BIAS, kept
// with ACTIVATION_BACKWARD, else unread), 4 y (dx when TRANSPOSED), 5 pre (KEEP_INPUT only);
// input grad 0 dims, 1 dy, 2 w, 3 dx, 4 kept (ACTIVATION_BACKWARD only); weight grad
// 0 dims, 1 dy, 2 x (the forward pass's input), 3 dW, 4 db, and with UPDATE 5 hyper (uniform
// Hyper), 6 state (outC inC k k STATE; STATE > 0 only), 7 biasState (outC STATE; STATE > 0 only),
// 8 record (the run record, read).

struct Dims { batch: u32, inC: u32, H: u32, W: u32, outC: u32, OH: u32, OW: u32, k: u32, stride: u32, pad: u32, pad0: u32, pad1: u32 }

override HAS_BIAS: bool = false;
override ACTIVATION: u32 = 0u;
override KEEP_INPUT: bool = false;
override TRANSPOSED: bool = false;
override ACTIVATION_BACKWARD: bool = false;
override UPDATE: bool = false;
override STRIDE_ONE: bool = false;

// Invocations per workgroup, every entry point; src/gpu/kernels/conv2d.ts sizes the grids from it.
const WG = 64u;

@group(0) @binding(0) var<uniform> dims: Dims;

@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> aux: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
@group(0) @binding(5) var<storage, read_write> pre: array<f32>;

// The window rows kh in [lo, hi) that land inside the image, for a window starting
// at image row `start` (negative in the padding).
fn insideRange(start: i32, size: u32) -> vec2<u32> {
  return vec2<u32>(u32(max(-start, 0)), u32(clamp(i32(size) - start, 0, i32(dims.k))));
}

// conv2d_input_grad's block: BLOCK channels by BLOCK columns, each dy value loaded serving BLOCK
// channels, each w value BLOCK columns.
const BLOCK = 4u;

// Row `xRow` of x at the 4 columns `c` (zero where a column falls in the padding).
fn loadRow4(xRow: u32, c: vec4<i32>) -> vec4<f32> {
  let inside = (c >= vec4<i32>(0)) & (c < vec4<i32>(i32(dims.W)));
  let cc = vec4<u32>(clamp(c, vec4<i32>(0), vec4<i32>(i32(dims.W) - 1)));
  return select(vec4<f32>(), vec4<f32>(x[xRow + cc.x], x[xRow + cc.y], x[xRow + cc.z], x[xRow + cc.w]), inside);
}

// The indices o .. o + 3 of a row of 4 with `cols` (>= 1) inside it, those past clamped onto the
// last: a row's kept values are read in bounds, and the clamped ones are never stored.
fn rowIndices(o: u32, cols: u32) -> vec4<u32> {
  return vec4<u32>(o) + min(vec4<u32>(0u, 1u, 2u, 3u), vec4<u32>(cols - 1u));
}

// The epilogue on output row (n, co, oh) at columns ow0 .. ow0 + 3, those inside the image.
fn storeRow4(acc: vec4<f32>, n: u32, co: u32, oh: u32, ow0: u32) {
  if (co >= dims.outC) { return; }
  var v = acc;
  if (HAS_BIAS) { v += vec4<f32>(aux[co]); }
  let o = ((n * dims.outC + co) * dims.OH + oh) * dims.OW + ow0;
  let cols = min(dims.OW - ow0, BLOCK);
  if (ACTIVATION_BACKWARD) {
    let i = rowIndices(o, cols);
    let gradients = v * activationGrad4(vec4<f32>(aux[i.x], aux[i.y], aux[i.z], aux[i.w]), ACTIVATION);
    y[o] = gradients.x;
    if (cols > 1u) { y[o + 1u] = gradients.y; }
    if (cols > 2u) { y[o + 2u] = gradients.z; }
    if (cols > 3u) { y[o + 3u] = gradients.w; }
    return;
  }
  if (KEEP_INPUT) {
    pre[o] = v.x;
    if (cols > 1u) { pre[o + 1u] = v.y; }
    if (cols > 2u) { pre[o + 2u] = v.z; }
    if (cols > 3u) { pre[o + 3u] = v.w; }
  }
  let a = activate4(v, ACTIVATION);
  y[o] = a.x;
  if (cols > 1u) { y[o + 1u] = a.y; }
  if (cols > 2u) { y[o + 2u] = a.z; }
  if (cols > 3u) { y[o + 3u] = a.w; }
}

// The forward invocation's block: FWD_CHANNELS output channels by FWD_COLS columns of one output
// row, accumulated as mat4x4 blocks of 4 columns by 4 channels. Each x value loaded serves 8
// channels, each weight 16 columns: on SwiftShader the loads, not the multiply-adds, take the
// time. FWD_CHANNELS (override, set by src/gpu/kernels/conv2d.ts) is 8, or 4 for at most 4
// output channels (a first layer's input gradient), where the second half of a block of 8 would
// be wasted: channels co0 + 4 .. co0 + 7 exist only when it is 8. FWD_COLS (override, likewise)
// is 16, or 8 where blocks of 16 would run further past the row's end (a row of 8 or 24: 16 or
// 32 columns computed; a 5x5 unpadded layer's 8 -> 16 channels 12x12 forward took half the CPU
// time with 8): columns ow0 + 8 .. ow0 + 15 exist only when it is 16.
override FWD_CHANNELS: u32 = 8u;
override FWD_COLS: u32 = 16u;

// The outer product of v and w: column j is v w[j].
fn outer(v: vec4<f32>, w: vec4<f32>) -> mat4x4<f32> {
  return mat4x4<f32>(v * w.x, v * w.y, v * w.z, v * w.w);
}

// x[xRow + c], zero where column c falls in the padding.
fn loadX(xRow: u32, c: i32) -> f32 {
  let inside = (c >= 0) & (c < i32(dims.W));
  return select(0.0, x[xRow + u32(clamp(c, 0, i32(dims.W) - 1))], inside);
}

@compute @workgroup_size(WG)
fn conv2d_forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let colBlocks = (dims.OW + FWD_COLS - 1u) / FWD_COLS;
  let chanBlocks = (dims.outC + FWD_CHANNELS - 1u) / FWD_CHANNELS;
  let total = dims.batch * chanBlocks * dims.OH * colBlocks;
  let kk = dims.k * dims.k;
  let s = i32(dims.stride);
  for (var o = gid.x; o < total; o += groups.x * WG) {
    let ow0 = o % colBlocks * FWD_COLS;
    let oh = o / colBlocks % dims.OH;
    let co0 = o / (colBlocks * dims.OH) % chanBlocks * FWD_CHANNELS;
    let n = o / (colBlocks * dims.OH * chanBlocks);
    // The block's filters; channels past outC read the last one and are never stored. Filter
    // co's weight for input channel ci at (kh, kw) is w[filters + ci inStride + kh k + kw], or,
    // TRANSPOSED, w[filters + ci inStride + kk - 1 - kh k - kw].
    let last = vec4<u32>(dims.outC - 1u);
    let chans = vec4<u32>(co0) + vec4<u32>(0u, 1u, 2u, 3u);
    let filterSize = select(dims.inC * kk, kk, TRANSPOSED);
    let filtersA = min(chans, last) * filterSize;
    let filtersB = min(chans + vec4<u32>(4u), last) * filterSize;
    let inStride = select(kk, dims.outC * kk, TRANSPOSED);
    let ih0 = i32(oh * dims.stride) - i32(dims.pad);
    // Window column kw of output column ow0 + j is x's column iw0 + j stride + kw.
    let iw0 = i32(ow0 * dims.stride) - i32(dims.pad);
    let cols = vec4<i32>(iw0) + vec4<i32>(0, 1, 2, 3) * s;
    let rows = insideRange(ih0, dims.H);
    // m<q><half>: the block's columns 4q .. 4q + 3 (a column of x's window each) by channels
    // co0 .. co0 + 3 (half a) or co0 + 4 .. co0 + 7 (half b).
    var m0a = mat4x4<f32>();
    var m0b = mat4x4<f32>();
    var m1a = mat4x4<f32>();
    var m1b = mat4x4<f32>();
    var m2a = mat4x4<f32>();
    var m2b = mat4x4<f32>();
    var m3a = mat4x4<f32>();
    var m3b = mat4x4<f32>();
    for (var ci = 0u; ci < dims.inC; ci++) {
      let plane = (n * dims.inC + ci) * dims.H;
      for (var kh = rows.x; kh < rows.y; kh++) {
        let xRow = (plane + u32(ih0 + i32(kh))) * dims.W;
        let tap = vec4<u32>(ci * inStride + select(kh * dims.k, kk - 1u - kh * dims.k, TRANSPOSED));
        let wiA = filtersA + tap;
        let wiB = filtersB + tap;
        // v<q>: the window's x values under the block's columns 4q .. 4q + 3.
        var v0 = loadRow4(xRow, cols + vec4<i32>(0 * s));
        var v1 = loadRow4(xRow, cols + vec4<i32>(4 * s));
        var v2 = vec4<f32>();
        var v3 = vec4<f32>();
        if (FWD_COLS == 16u) {
          v2 = loadRow4(xRow, cols + vec4<i32>(8 * s));
          v3 = loadRow4(xRow, cols + vec4<i32>(12 * s));
        }
        for (var kw = 0u; kw < dims.k; kw++) {
          if (!STRIDE_ONE && kw > 0u) {
            v0 = loadRow4(xRow, cols + vec4<i32>(0 * s + i32(kw)));
            v1 = loadRow4(xRow, cols + vec4<i32>(4 * s + i32(kw)));
            if (FWD_COLS == 16u) {
              v2 = loadRow4(xRow, cols + vec4<i32>(8 * s + i32(kw)));
              v3 = loadRow4(xRow, cols + vec4<i32>(12 * s + i32(kw)));
            }
          }
          // u32 arithmetic wraps: adding 0 - kw subtracts kw.
          let wk = select(kw, 0u - kw, TRANSPOSED);
          let wa = vec4<f32>(w[wiA.x + wk], w[wiA.y + wk], w[wiA.z + wk], w[wiA.w + wk]);
          m0a += outer(v0, wa);
          m1a += outer(v1, wa);
          if (FWD_COLS == 16u) {
            m2a += outer(v2, wa);
            m3a += outer(v3, wa);
          }
          if (FWD_CHANNELS == 8u) {
            let wb = vec4<f32>(w[wiB.x + wk], w[wiB.y + wk], w[wiB.z + wk], w[wiB.w + wk]);
            m0b += outer(v0, wb);
            m1b += outer(v1, wb);
            if (FWD_COLS == 16u) {
              m2b += outer(v2, wb);
              m3b += outer(v3, wb);
            }
          }
          // At stride 1 the window slides one column per kw: one new x value per step.
          if (STRIDE_ONE) {
            v0 = vec4<f32>(v0.yzw, v1.x);
            if (FWD_COLS == 16u) {
              v1 = vec4<f32>(v1.yzw, v2.x);
              v2 = vec4<f32>(v2.yzw, v3.x);
              v3 = vec4<f32>(v3.yzw, loadX(xRow, iw0 + 16 + i32(kw)));
            } else {
              v1 = vec4<f32>(v1.yzw, loadX(xRow, iw0 + 8 + i32(kw)));
            }
          }
        }
      }
    }
    storeRow16(m0a[0], m1a[0], m2a[0], m3a[0], n, co0 + 0u, oh, ow0);
    storeRow16(m0a[1], m1a[1], m2a[1], m3a[1], n, co0 + 1u, oh, ow0);
    storeRow16(m0a[2], m1a[2], m2a[2], m3a[2], n, co0 + 2u, oh, ow0);
    storeRow16(m0a[3], m1a[3], m2a[3], m3a[3], n, co0 + 3u, oh, ow0);
    if (FWD_CHANNELS == 8u) {
      storeRow16(m0b[0], m1b[0], m2b[0], m3b[0], n, co0 + 4u, oh, ow0);
      storeRow16(m0b[1], m1b[1], m2b[1], m3b[1], n, co0 + 5u, oh, ow0);
      storeRow16(m0b[2], m1b[2], m2b[2], m3b[2], n, co0 + 6u, oh, ow0);
      storeRow16(m0b[3], m1b[3], m2b[3], m3b[3], n, co0 + 7u, oh, ow0);
    }
  }
}

// The epilogue on output row (n, co, oh) at columns ow0 .. ow0 + 15, those inside the image.
fn storeRow16(v0: vec4<f32>, v1: vec4<f32>, v2: vec4<f32>, v3: vec4<f32>, n: u32, co: u32, oh: u32, ow0: u32) {
  storeRow4(v0, n, co, oh, ow0);
  if (ow0 + 4u < dims.OW) { storeRow4(v1, n, co, oh, ow0 + 4u); }
  if (FWD_COLS == 16u && ow0 + 8u < dims.OW) { storeRow4(v2, n, co, oh, ow0 + 8u); }
  if (FWD_COLS == 16u && ow0 + 12u < dims.OW) { storeRow4(v3, n, co, oh, ow0 + 12u); }
}

@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;
@group(0) @binding(4) var<storage, read> kept: array<f32>;

// dx's row (n, ci, ih) at columns iw0 .. iw0 + 3, those inside the image; nothing past inC.
fn storeDxRow4(v: vec4<f32>, n: u32, ci: u32, ih: u32, iw0: u32) {
  if (ci >= dims.inC) { return; }
  let o = ((n * dims.inC + ci) * dims.H + ih) * dims.W + iw0;
  let cols = min(dims.W - iw0, BLOCK);
  var g = v;
  if (ACTIVATION_BACKWARD) {
    let i = rowIndices(o, cols);
    g *= activationGrad4(vec4<f32>(kept[i.x], kept[i.y], kept[i.z], kept[i.w]), ACTIVATION);
  }
  dx[o] = g.x;
  if (cols > 1u) { dx[o + 1u] = g.y; }
  if (cols > 2u) { dx[o + 2u] = g.z; }
  if (cols > 3u) { dx[o + 3u] = g.w; }
}

@compute @workgroup_size(WG)
fn conv2d_input_grad(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let colBlocks = (dims.W + BLOCK - 1u) / BLOCK;
  let chanBlocks = (dims.inC + BLOCK - 1u) / BLOCK;
  let total = dims.batch * chanBlocks * dims.H * colBlocks;
  let s = dims.stride;
  let kk = dims.k * dims.k;
  for (var i = gid.x; i < total; i += groups.x * WG) {
    let iw0 = i % colBlocks * BLOCK;
    let ih = i / colBlocks % dims.H;
    let ci0 = i / (colBlocks * dims.H) % chanBlocks * BLOCK;
    let n = i / (colBlocks * dims.H * chanBlocks);
    // The block's 4 input channels within a filter; those past inC read the last and are never
    // stored.
    let last = dims.inC - 1u;
    let chans = vec4<u32>(ci0, min(ci0 + 1u, last), min(ci0 + 2u, last), min(ci0 + 3u, last)) * kk;
    // Window row kh reaches ih from output row (ih + pad - kh) / stride where that divides: kh
    // runs over one residue class mod stride, down to the first output row past the top. Columns
    // likewise, but the block's 4 columns differ in residue: each masks its own.
    let th = ih + dims.pad;
    let tw = vec4<i32>(i32(iw0 + dims.pad)) + vec4<i32>(0, 1, 2, 3);
    let si = vec4<i32>(i32(s));
    let lastOw = vec4<i32>(i32(dims.OW) - 1);
    var acc0 = vec4<f32>();
    var acc1 = vec4<f32>();
    var acc2 = vec4<f32>();
    var acc3 = vec4<f32>();
    for (var co = 0u; co < dims.outC; co++) {
      let dyPlane = (n * dims.outC + co) * dims.OH;
      let wBase = co * dims.inC * kk;
      for (var kh = th % s; kh < dims.k && kh <= th; kh += s) {
        let oh = (th - kh) / s;
        if (oh >= dims.OH) { continue; }
        let dyRow = (dyPlane + oh) * dims.OW;
        for (var kw = 0u; kw < dims.k; kw++) {
          let t = tw - vec4<i32>(i32(kw));
          let ow = t / si;
          let valid = (t >= vec4<i32>(0)) & (t % si == vec4<i32>(0)) & (ow <= lastOw);
          let oc = vec4<u32>(clamp(ow, vec4<i32>(0), lastOw));
          let g = select(vec4<f32>(), vec4<f32>(dy[dyRow + oc.x], dy[dyRow + oc.y], dy[dyRow + oc.z], dy[dyRow + oc.w]), valid);
          let wi = vec4<u32>(wBase + kh * dims.k + kw) + chans;
          acc0 = fma(g, vec4<f32>(w[wi.x]), acc0);
          acc1 = fma(g, vec4<f32>(w[wi.y]), acc1);
          acc2 = fma(g, vec4<f32>(w[wi.z]), acc2);
          acc3 = fma(g, vec4<f32>(w[wi.w]), acc3);
        }
      }
    }
    storeDxRow4(acc0, n, ci0, ih, iw0);
    storeDxRow4(acc1, n, ci0 + 1u, ih, iw0);
    storeDxRow4(acc2, n, ci0 + 2u, ih, iw0);
    storeDxRow4(acc3, n, ci0 + 3u, ih, iw0);
  }
}

@group(0) @binding(2) var<storage, read> layerInput: array<f32>;
@group(0) @binding(3) var<storage, read_write> dW: array<f32>;
@group(0) @binding(4) var<storage, read_write> db: array<f32>;

// The weight gradient's block: DW_CHANNELS output channels by DW_UNITS units of the filter, a
// unit being 4 neighbouring taps of one filter row, (ci, kh, kw0 .. kw0 + 3) with kw0 a multiple
// of 4 (ceil(k / 4) units per row; taps past k are computed and never stored). Along an output row,
// a unit's 4 x values slide like the forward's window: at stride 1, one new x value per position.
// Per position: 8 dy and 4 x values for 128 multiply-adds. DW_WG invocations split the block's
// batch*OH output rows and add their sums in workgroup memory once, at the end: each workgroup
// barrier costs as much on SwiftShader as many multiply-adds.
const DW_CHANNELS = 8u;
const DW_UNITS = 4u;
const DW_WG = 16u;
// An invocation's sums: m[2 u + half] is unit u's 4 taps by channels co0 + 4 half .. + 3 (a
// column each), bias[half] the bias's sums for those channels.
struct Sums { m: array<mat4x4<f32>, 8>, bias: array<vec4<f32>, 2> }
var<workgroup> partial: array<Sums, DW_WG>;

// layerInput[xRow + c], zero where the row or column c falls in the padding.
fn loadInput(xRow: u32, c: i32, rowInside: bool) -> f32 {
  let inside = rowInside & (c >= 0) & (c < i32(dims.W));
  return select(0.0, layerInput[xRow + u32(clamp(c, 0, i32(dims.W) - 1))], inside);
}

fn loadInput4(xRow: u32, c: vec4<i32>, rowInside: bool) -> vec4<f32> {
  return vec4<f32>(loadInput(xRow, c.x, rowInside), loadInput(xRow, c.y, rowInside), loadInput(xRow, c.z, rowInside), loadInput(xRow, c.w, rowInside));
}

// Unit u's tap (ci, kh, kw0), as the offset of its channel's plane in an image of x, kh - pad and
// kw0 - pad. Units past the filter are clamped onto its last (and never stored).
struct Unit { plane: u32, dh: i32, dw: i32 }

fn unitAt(u: u32) -> Unit {
  let quads = (dims.k + 3u) / 4u;
  let uc = min(u, dims.inC * dims.k * quads - 1u);
  let row = uc / quads;
  return Unit(row / dims.k * dims.H * dims.W, i32(row % dims.k) - i32(dims.pad), i32(uc % quads * 4u) - i32(dims.pad));
}

@compute @workgroup_size(DW_WG)
fn conv2d_weight_grad(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let u0 = wg.x * DW_UNITS;
  let co0 = wg.y * DW_CHANNELS;
  let positions = dims.OH * dims.OW;
  let s = i32(dims.stride);
  let units = array<Unit, DW_UNITS>(unitAt(u0), unitAt(u0 + 1u), unitAt(u0 + 2u), unitAt(u0 + 3u));
  // Channels past outC read the last one's dy and are never stored.
  let last = vec4<u32>(dims.outC - 1u);
  let chans = vec4<u32>(co0) + vec4<u32>(0u, 1u, 2u, 3u);
  let dyA = min(chans, last) * positions;
  let dyB = min(chans + vec4<u32>(4u), last) * positions;
  let taps = vec4<i32>(0, 1, 2, 3);
  // m<u><half>: unit u's 4 taps by channels co0 .. co0 + 3 (half a) or co0 + 4 .. co0 + 7 (half b).
  var m0a = mat4x4<f32>();
  var m0b = mat4x4<f32>();
  var m1a = mat4x4<f32>();
  var m1b = mat4x4<f32>();
  var m2a = mat4x4<f32>();
  var m2b = mat4x4<f32>();
  var m3a = mat4x4<f32>();
  var m3b = mat4x4<f32>();
  var biasA = vec4<f32>();
  var biasB = vec4<f32>();
  for (var r = t; r < dims.batch * dims.OH; r += DW_WG) {
    let n = r / dims.OH;
    let oh = r % dims.OH;
    let image = n * dims.inC * dims.H * dims.W;
    let ih = vec4<i32>(i32(oh * dims.stride)) + vec4<i32>(units[0].dh, units[1].dh, units[2].dh, units[3].dh);
    let rowInside = (ih >= vec4<i32>(0)) & (ih < vec4<i32>(i32(dims.H)));
    let ihc = vec4<u32>(clamp(ih, vec4<i32>(0), vec4<i32>(i32(dims.H) - 1)));
    let xRow = vec4<u32>(image) + vec4<u32>(units[0].plane, units[1].plane, units[2].plane, units[3].plane) + ihc * dims.W;
    let dw = vec4<i32>(units[0].dw, units[1].dw, units[2].dw, units[3].dw);
    // v<u>: unit u's 4 x values under output column ow.
    var v0 = loadInput4(xRow[0], taps + vec4<i32>(dw[0]), rowInside[0]);
    var v1 = loadInput4(xRow[1], taps + vec4<i32>(dw[1]), rowInside[1]);
    var v2 = loadInput4(xRow[2], taps + vec4<i32>(dw[2]), rowInside[2]);
    var v3 = loadInput4(xRow[3], taps + vec4<i32>(dw[3]), rowInside[3]);
    let dyRow = n * dims.outC * positions + oh * dims.OW;
    for (var ow = 0u; ow < dims.OW; ow++) {
      if (!STRIDE_ONE && ow > 0u) {
        let c = i32(ow) * s;
        v0 = loadInput4(xRow[0], taps + vec4<i32>(c + dw[0]), rowInside[0]);
        v1 = loadInput4(xRow[1], taps + vec4<i32>(c + dw[1]), rowInside[1]);
        v2 = loadInput4(xRow[2], taps + vec4<i32>(c + dw[2]), rowInside[2]);
        v3 = loadInput4(xRow[3], taps + vec4<i32>(c + dw[3]), rowInside[3]);
      }
      let ga = vec4<f32>(dy[dyRow + dyA.x + ow], dy[dyRow + dyA.y + ow], dy[dyRow + dyA.z + ow], dy[dyRow + dyA.w + ow]);
      let gb = vec4<f32>(dy[dyRow + dyB.x + ow], dy[dyRow + dyB.y + ow], dy[dyRow + dyB.z + ow], dy[dyRow + dyB.w + ow]);
      m0a += outer(v0, ga);
      m0b += outer(v0, gb);
      m1a += outer(v1, ga);
      m1b += outer(v1, gb);
      m2a += outer(v2, ga);
      m2b += outer(v2, gb);
      m3a += outer(v3, ga);
      m3b += outer(v3, gb);
      biasA += ga;
      biasB += gb;
      if (STRIDE_ONE) {
        let c = i32(ow) + 4;
        v0 = vec4<f32>(v0.yzw, loadInput(xRow[0], c + dw[0], rowInside[0]));
        v1 = vec4<f32>(v1.yzw, loadInput(xRow[1], c + dw[1], rowInside[1]));
        v2 = vec4<f32>(v2.yzw, loadInput(xRow[2], c + dw[2], rowInside[2]));
        v3 = vec4<f32>(v3.yzw, loadInput(xRow[3], c + dw[3], rowInside[3]));
      }
    }
  }
  partial[t] = Sums(array<mat4x4<f32>, 8>(m0a, m0b, m1a, m1b, m2a, m2b, m3a, m3b), array<vec4<f32>, 2>(biasA, biasB));
  workgroupBarrier();
  // The block's 32 sums of 4 taps and 2 of the bias's 4 channels, each added up in order by one
  // invocation.
  let elems = dims.inC * dims.k * dims.k;
  let quads = (dims.k + 3u) / 4u;
  for (var i = t; i < 34u; i += DW_WG) {
    var sum = vec4<f32>();
    if (i >= 32u) {
      for (var j = 0u; j < DW_WG; j++) { sum += partial[j].bias[i - 32u]; }
      // The bias, once: by the first column of workgroups.
      if (wg.x == 0u) {
        let co = co0 + (i - 32u) * 4u;
        storeWeightGrad(sum.x, co, elems, elems);
        storeWeightGrad(sum.y, co + 1u, elems, elems);
        storeWeightGrad(sum.z, co + 2u, elems, elems);
        storeWeightGrad(sum.w, co + 3u, elems, elems);
      }
      continue;
    }
    for (var j = 0u; j < DW_WG; j++) { sum += partial[j].m[i / 4u][i % 4u]; }
    let co = co0 + i / 4u % 2u * 4u + i % 4u;
    let u = u0 + i / 8u;
    let row = u / quads;
    let kw0 = u % quads * 4u;
    // Taps past k, and units past the filter (row inC k), are not stored.
    if (row >= dims.inC * dims.k) { continue; }
    let e = row * dims.k + kw0;
    storeWeightGrad(sum.x, co, e, elems);
    if (kw0 + 1u < dims.k) { storeWeightGrad(sum.y, co, e + 1u, elems); }
    if (kw0 + 2u < dims.k) { storeWeightGrad(sum.z, co, e + 2u, elems); }
    if (kw0 + 3u < dims.k) { storeWeightGrad(sum.w, co, e + 3u, elems); }
  }
}

@group(0) @binding(5) var<uniform> hyper: Hyper;
@group(0) @binding(6) var<storage, read_write> state: array<f32>;
@group(0) @binding(7) var<storage, read_write> biasState: array<f32>;
@group(0) @binding(8) var<storage, read> record: array<u32>;

// dW[co, e], or db[co] for e = elems, or with UPDATE their optimizer steps; nothing past the
// filter or the channels.
fn storeWeightGrad(v: f32, co: u32, e: u32, elems: u32) {
  if (co >= dims.outC || e > elems) { return; }
  if (!UPDATE) {
    if (e == elems) {
      db[co] = v;
    } else {
      dW[co * elems + e] = v;
    }
    return;
  }
  let o = optimizerAt(hyper, record[0]);
  var s = vec2<f32>();
  if (e == elems) {
    if (STATE >= 1u) { s.x = biasState[co * STATE]; }
    if (STATE == 2u) { s.y = biasState[co * STATE + 1u]; }
    let r = optimizerUpdate(db[co], v, s, o);
    db[co] = r.x;
    if (STATE >= 1u) { biasState[co * STATE] = r.y; }
    if (STATE == 2u) { biasState[co * STATE + 1u] = r.z; }
    return;
  }
  let i = co * elems + e;
  if (STATE >= 1u) { s.x = state[i * STATE]; }
  if (STATE == 2u) { s.y = state[i * STATE + 1u]; }
  let r = optimizerUpdate(dW[i], v, s, o);
  dW[i] = r.x;
  if (STATE >= 1u) { state[i * STATE] = r.y; }
  if (STATE == 2u) { state[i * STATE + 1u] = r.z; }
}
