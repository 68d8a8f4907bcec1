// Matrix multiply C = epilogue(op(A) op(B)), the family behind every linear layer:
//   forward  h = act(x W^T + b)  (TRANS_B)        : A = x (M,K), B = W stored (N,K)
//   backward dW = dY^T x          (TRANS_A)        : A = dY stored (K,M), B = x (K,N)
//   backward dX = dY W            (no transpose)   : A = dY (M,K), B = W (K,N)
// op(A) is (M,K) and op(B) is (K,N); A is stored (K,M) when TRANS_A, B is stored (N,K) when
// TRANS_B. Any M, N, K: edges are handled by clamping loads and masking stores.
//
// The epilogue (one function, store(), shared by every variant) is chosen by override constants:
//   HAS_BIAS          + aux[j]                 (aux is the bias, (N))
//   ACTIVATION        act(result), one of activation_fn.wgsl's kinds (a hidden layer's forward
//                     pass; 0: none)
//   KEEP_INPUT        with ACTIVATION, also stores the pre-activation (result + bias) to
//                     binding 6, which a forward epilogue leaves unused: the layer's input to
//                     its activation, for an activation whose backward reads it (GELU)
//   ACTIVATION_BACKWARD  * act'(x) written with what the forward pass kept, aux[i,j] (M,N): the
//                     layer's output y, or its pre-activation x under KEEP_INPUT's activations
//                     (activation_fn.wgsl): the input gradient dX of the next layer fused with
//                     this layer's activation backward
//   UPDATE            C is a parameter and the product its gradient: C = optimizerUpdate(C,
//                     product) (shaders/optimizer.wgsl, appended by src/gpu/shaders.ts), with its
//                     STATE floats per element in `state`: the weight gradient fused with the
//                     optimizer step, so the gradient never goes to memory. aux is then the run
//                     record, whose step counter (advanced by this step's metrics) gives t.
//
//   BIAS_UPDATE       with UPDATE, for a weight gradient dW = dz^T x: one extra column of
//                     workgroups (the grid's last x) takes the bias's gradient, the row sums of
//                     op(A) = dz^T over K (the batch, summed in order like bias_grad_serial), and
//                     its optimizer step in place (biasParam, biasState): the bias update costs
//                     no dispatch.
//
// Variants, chosen per shape by a timed trial (src/gpu/kernels/matmul.ts):
//   matmul_naive   one invocation per output element, workgroup 16x16.
//   matmul_blocked each invocation computes a TM x TN block straight from storage, no shared
//                  memory, workgroup 8x8 (covers 8*TM rows by 8*TN columns).
//   matmul_vec4    like blocked, 8x8 outputs per invocation as 2x2 mat4x4 accumulators, operands
//                  read as vec4 along their contiguous axis: a quarter of the index arithmetic
//                  and bounds checks, and the epilogue reads and writes rows of 4. Needs
//                  K % 4 == 0, N % 4 == 0, and M % 4 == 0 with TRANS_A (the wrapper falls back
//                  to blocked otherwise). Written for CPU
//                  adapters such as SwiftShader, whose JIT neither unrolls loops nor keeps
//                  dynamically indexed arrays in registers: every index into a local array or
//                  matrix is a constant, and every loop body is written out.
//   matmul_tiled   TILE x TILE tiles of C (override: 64, or 32 for more workgroups on skinny
//                  shapes) staged through workgroup memory in K-steps of 16, workgroup
//                  (TILE/4)x(TILE/4), each invocation a 4x4 block: the classic GPU kernel.
//   matmul_skinny  8x8 tiles of C with K split four ways inside the workgroup (256 invocations:
//                  4 per output), operands staged 32 K-values at a time and the 4 partial sums
//                  added in workgroup memory (or by subgroup shuffles, shaders/
//                  matmul_subgroups.wgsl): many workgroups for the batch-sized M of a forward
//                  or input-gradient matmul (32 x 512 x 784 launches 256 of them), where a 64x64
//                  tile launches 8 on a GPU with a hundred cores.
// Bindings: 0 dims (uniform M, N, K), 1 A, 2 B, 3 aux (bias (N), the kept y or x (M,N), or with
// UPDATE the run record; bound but unread otherwise), 4 C (M,N), 5 hyper (uniform Hyper, UPDATE
// only), 6 state (M*N*STATE; UPDATE with STATE > 0 only), or the pre-activation (M,N) under
// KEEP_INPUT, 7 biasParam (M; BIAS_UPDATE only), 8 biasState (M*STATE; BIAS_UPDATE with STATE > 0
// only). WebGPU's default limit is 8 storage buffers per stage, and 7 are bound: the
// pre-activation and the record take slots their epilogues leave idle.

struct Dims { M: u32, N: u32, K: u32, pad: u32 }

override TRANS_A: bool = false;
override TRANS_B: bool = false;
override HAS_BIAS: bool = false;
override ACTIVATION: u32 = 0u;
override ACTIVATION_BACKWARD: bool = false;
override KEEP_INPUT: bool = false;
override UPDATE: bool = false;
override BIAS_UPDATE: bool = false;

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<storage, read> A: array<f32>;
@group(0) @binding(2) var<storage, read> B: array<f32>;
// aux is read as u32 words: the record's counter is one, and f32 data is bitcast (a bitcast
// keeps every bit, where a small integer loaded as f32 is a denormal an adapter may flush).
@group(0) @binding(3) var<storage, read> aux: array<u32>;
@group(0) @binding(4) var<storage, read_write> C: array<f32>;
@group(0) @binding(5) var<uniform> hyper: Hyper;
@group(0) @binding(6) var<storage, read_write> state: array<f32>;
@group(0) @binding(7) var<storage, read_write> biasParam: array<f32>;
@group(0) @binding(8) var<storage, read_write> biasState: array<f32>;

fn loadA(i: u32, k: u32) -> f32 {
  if (TRANS_A) { return A[k * dims.M + i]; }
  return A[i * dims.K + k];
}

fn loadB(k: u32, j: u32) -> f32 {
  if (TRANS_B) { return B[j * dims.K + k]; }
  return B[k * dims.N + j];
}

// The optimizer of this step, made once per invocation by each entry point (startUpdate): a CPU
// adapter bounds-checks every uniform load, and store() runs once per output element.
var<private> O: Optimizer;

// The record's step counter, word 0 of aux.
fn startUpdate(counter: u32) {
  O = optimizerAt(hyper, counter);
}

// Element `idx` of a parameter with its state at state[idx * STATE ..]: one optimizer step.
fn updateC(idx: u32, grad: f32) {
  var s = vec2<f32>();
  if (STATE >= 1u) { s.x = state[idx * STATE]; }
  if (STATE == 2u) { s.y = state[idx * STATE + 1u]; }
  let r = optimizerUpdate(C[idx], grad, s, O);
  C[idx] = r.x;
  if (STATE >= 1u) { state[idx * STATE] = r.y; }
  if (STATE == 2u) { state[idx * STATE + 1u] = r.z; }
}

// Writes element (i, j) of the result, in bounds, through the epilogue.
fn store(acc: f32, i: u32, j: u32) {
  let idx = i * dims.N + j;
  if (UPDATE) {
    updateC(idx, acc);
    return;
  }
  var v = acc;
  if (HAS_BIAS) { v += bitcast<f32>(aux[j]); }
  if (ACTIVATION_BACKWARD) {
    v = v * activationGrad(bitcast<f32>(aux[idx]), ACTIVATION);
  } else {
    if (KEEP_INPUT) { state[idx] = v; }
    v = activate(v, ACTIVATION);
  }
  C[idx] = v;
}

// BIAS_UPDATE: the bias entries r0 .. r0 + rows - 1, invocation t taking entry r0 + t: the sum of row
// r0 + t of op(A) over K, in order, is its gradient. Called by a whole workgroup of the extra
// column, which then returns, so no barrier of the product's code is skipped by only some.
fn biasColumn(r0: u32, rows: u32, t: u32) {
  let i = r0 + t;
  if (t >= rows || i >= dims.M) { return; }
  var acc = 0.0;
  for (var k = 0u; k < dims.K; k++) { acc += loadA(i, k); }
  updateBias(i, acc);
}

fn updateBias(i: u32, grad: f32) {
  var s = vec2<f32>();
  if (STATE >= 1u) { s.x = biasState[i * STATE]; }
  if (STATE == 2u) { s.y = biasState[i * STATE + 1u]; }
  let r = optimizerUpdate(biasParam[i], grad, s, O);
  biasParam[i] = r.x;
  if (STATE >= 1u) { biasState[i * STATE] = r.y; }
  if (STATE == 2u) { biasState[i * STATE + 1u] = r.z; }
}

// The extra column's workgroups: the grid's last x when BIAS_UPDATE.
fn isBiasColumn(wg: vec3<u32>, groups: vec3<u32>) -> bool {
  return BIAS_UPDATE && wg.x == groups.x - 1u;
}

// Each variant's geometry; src/gpu/kernels/matmul.ts sizes grids from these constants.
const NAIVE_WG = 16u;

@compute @workgroup_size(NAIVE_WG, NAIVE_WG)
fn matmul_naive(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wg: vec3<u32>,
                @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  if (UPDATE) { startUpdate(aux[0]); }
  if (isBiasColumn(wg, groups)) {
    biasColumn(wg.y * NAIVE_WG, NAIVE_WG, t);
    return;
  }
  let i = gid.y;
  let j = gid.x;
  if (i >= dims.M || j >= dims.N) { return; }
  var acc = 0.0;
  for (var k = 0u; k < dims.K; k++) { acc += loadA(i, k) * loadB(k, j); }
  store(acc, i, j);
}

const BLOCKED_WG = 8u;
const TM = 4u;
const TN = 4u;

@compute @workgroup_size(BLOCKED_WG, BLOCKED_WG)
fn matmul_blocked(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wg: vec3<u32>,
                  @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  if (UPDATE) { startUpdate(aux[0]); }
  if (isBiasColumn(wg, groups)) {
    biasColumn(wg.y * BLOCKED_WG * TM, BLOCKED_WG * TM, t);
    return;
  }
  let i0 = gid.y * TM;
  let j0 = gid.x * TN;
  if (i0 >= dims.M || j0 >= dims.N) { return; }
  // Clamped indices keep every load in bounds without a branch in the inner loop; the
  // duplicated rows/columns they produce are never stored.
  var ii: array<u32, TM>;
  var jj: array<u32, TN>;
  for (var r = 0u; r < TM; r++) { ii[r] = min(i0 + r, dims.M - 1u); }
  for (var c = 0u; c < TN; c++) { jj[c] = min(j0 + c, dims.N - 1u); }
  var acc: array<array<f32, TN>, TM>;
  for (var k = 0u; k < dims.K; k++) {
    var a: array<f32, TM>;
    var b: array<f32, TN>;
    for (var r = 0u; r < TM; r++) { a[r] = loadA(ii[r], k); }
    for (var c = 0u; c < TN; c++) { b[c] = loadB(k, jj[c]); }
    for (var r = 0u; r < TM; r++) {
      for (var c = 0u; c < TN; c++) { acc[r][c] = fma(a[r], b[c], acc[r][c]); }
    }
  }
  for (var r = 0u; r < TM; r++) {
    for (var c = 0u; c < TN; c++) {
      if (i0 + r < dims.M && j0 + c < dims.N) { store(acc[r][c], i0 + r, j0 + c); }
    }
  }
}

@group(0) @binding(1) var<storage, read> A4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> B4: array<vec4<f32>>;

// P: column kk = op(A)[i0..i0+3, k0+kk]. Clamped rows repeat the last row and are not stored.
fn loadP(i0: u32, k0: u32) -> mat4x4<f32> {
  if (TRANS_A) {
    let m4 = dims.M / 4u;
    return mat4x4<f32>(A4[k0 * m4 + i0 / 4u], A4[(k0 + 1u) * m4 + i0 / 4u],
                       A4[(k0 + 2u) * m4 + i0 / 4u], A4[(k0 + 3u) * m4 + i0 / 4u]);
  }
  let k4 = dims.K / 4u;
  let last = dims.M - 1u;
  return transpose(mat4x4<f32>(A4[min(i0, last) * k4 + k0 / 4u], A4[min(i0 + 1u, last) * k4 + k0 / 4u],
                               A4[min(i0 + 2u, last) * k4 + k0 / 4u], A4[min(i0 + 3u, last) * k4 + k0 / 4u]));
}

// X: column c = op(B)[k0..k0+3, j0+c], so that P * X is this K-step's 4x4 block of C.
fn loadX(k0: u32, j0: u32) -> mat4x4<f32> {
  if (TRANS_B) {
    let k4 = dims.K / 4u;
    return mat4x4<f32>(B4[j0 * k4 + k0 / 4u], B4[(j0 + 1u) * k4 + k0 / 4u],
                       B4[(j0 + 2u) * k4 + k0 / 4u], B4[(j0 + 3u) * k4 + k0 / 4u]);
  }
  let n4 = dims.N / 4u;
  return transpose(mat4x4<f32>(B4[k0 * n4 + j0 / 4u], B4[(k0 + 1u) * n4 + j0 / 4u],
                               B4[(k0 + 2u) * n4 + j0 / 4u], B4[(k0 + 3u) * n4 + j0 / 4u]));
}

// The vec4 views of the epilogue's operands, for matmul_vec4 only (one type per binding and entry
// point): a row of 4 outputs is one load and one store where store() takes four scattered ones.
@group(0) @binding(3) var<storage, read> aux4: array<vec4<u32>>;
@group(0) @binding(4) var<storage, read_write> C4: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> state4: array<vec4<f32>>;

// store() on the row (i, j0 .. j0 + 3), in bounds (matmul_vec4 needs N % 4 == 0).
fn storeRow4(acc: vec4<f32>, i: u32, j0: u32) {
  let q = (i * dims.N + j0) / 4u;
  if (UPDATE) {
    var s: array<vec4<f32>, 2>;
    if (STATE >= 1u) { s[0] = state4[q * STATE]; }
    if (STATE == 2u) { s[1] = state4[q * STATE + 1u]; }
    let r = optimizerUpdate4(C4[q], acc, s, O);
    C4[q] = r.p;
    if (STATE >= 1u) { state4[q * STATE] = r.s[0]; }
    if (STATE == 2u) { state4[q * STATE + 1u] = r.s[1]; }
    return;
  }
  var v = acc;
  if (HAS_BIAS) { v += bitcast<vec4<f32>>(aux4[j0 / 4u]); }
  if (ACTIVATION_BACKWARD) {
    v *= activationGrad4(bitcast<vec4<f32>>(aux4[q]), ACTIVATION);
  } else {
    if (KEEP_INPUT) { state4[q] = v; }
    v = activate4(v, ACTIVATION);
  }
  C4[q] = v;
}

// acc[c][r] is C[i0 + r, j0 + c], so its transpose holds the block's rows; rows past M are not
// stored.
fn storeBlock4(acc: mat4x4<f32>, i0: u32, j0: u32) {
  let rows = transpose(acc);
  storeRow4(rows[0], i0, j0);
  if (i0 + 1u < dims.M) { storeRow4(rows[1], i0 + 1u, j0); }
  if (i0 + 2u < dims.M) { storeRow4(rows[2], i0 + 2u, j0); }
  if (i0 + 3u < dims.M) { storeRow4(rows[3], i0 + 3u, j0); }
}

// Invocations per workgroup side, and the side of each invocation's block (2x2 blocks of 4x4).
const VEC4_WG = 8u;
const VEC4_BLOCK = 8u;

// biasColumn for matmul_vec4, which may read A only as A4 (one binding, one type per entry
// point), a vec4 at a time: the same sums in the same order (k ascending for each entry). With
// TRANS_A (a weight gradient; vec4 needs M % 4 == 0 then) invocation t takes the 4 neighbouring
// entries r0 + 4t .. r0 + 4t + 3, which one vec4 of each row of A holds; without, the K values of
// entry r0 + t, a vec4 at a time.
fn biasColumnVec4(r0: u32, rows: u32, t: u32) {
  if (TRANS_A) {
    let i0 = r0 + 4u * t;
    if (4u * t >= rows || i0 >= dims.M) { return; }
    let m4 = dims.M / 4u;
    var acc = vec4<f32>();
    for (var k = 0u; k < dims.K; k++) { acc += A4[k * m4 + i0 / 4u]; }
    updateBias(i0, acc.x);
    if (i0 + 1u < dims.M) { updateBias(i0 + 1u, acc.y); }
    if (i0 + 2u < dims.M) { updateBias(i0 + 2u, acc.z); }
    if (i0 + 3u < dims.M) { updateBias(i0 + 3u, acc.w); }
    return;
  }
  let i = r0 + t;
  if (t >= rows || i >= dims.M) { return; }
  let k4 = dims.K / 4u;
  var acc = 0.0;
  for (var q = 0u; q < k4; q++) {
    let v = A4[i * k4 + q];
    acc += v.x;
    acc += v.y;
    acc += v.z;
    acc += v.w;
  }
  updateBias(i, acc);
}

// BIAS_UPDATE: no extra column of workgroups here (on a CPU adapter 8 more workgroups cost 8% more
// time whatever they do); the first column's workgroups take their rows' bias after their block.
@compute @workgroup_size(VEC4_WG, VEC4_WG)
fn matmul_vec4(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(workgroup_id) wg: vec3<u32>,
               @builtin(local_invocation_index) t: u32) {
  if (UPDATE) { startUpdate(aux4[0].x); }
  let i0 = gid.y * VEC4_BLOCK;
  let j0 = gid.x * VEC4_BLOCK;
  if (i0 < dims.M && j0 < dims.N) { vec4Block(i0, j0); }
  if (BIAS_UPDATE && wg.x == 0u) { biasColumnVec4(wg.y * VEC4_WG * VEC4_BLOCK, VEC4_WG * VEC4_BLOCK, t); }
}

// The 8x8 block of C at (i0, j0) as 2x2 4x4 blocks.
fn vec4Block(i0: u32, j0: u32) {
  // Second blocks past the edge are clamped onto the first; their results are never stored.
  let i1 = select(i0, i0 + 4u, i0 + 4u < dims.M);
  let j1 = select(j0, j0 + 4u, j0 + 4u < dims.N);
  var c00 = mat4x4<f32>();
  var c01 = mat4x4<f32>();
  var c10 = mat4x4<f32>();
  var c11 = mat4x4<f32>();
  for (var k0 = 0u; k0 < dims.K; k0 += 4u) {
    let p0 = loadP(i0, k0);
    let p1 = loadP(i1, k0);
    let x0 = loadX(k0, j0);
    let x1 = loadX(k0, j1);
    c00 += p0 * x0;
    c01 += p0 * x1;
    c10 += p1 * x0;
    c11 += p1 * x1;
  }
  storeBlock4(c00, i0, j0);
  if (j1 != j0) { storeBlock4(c01, i0, j1); }
  if (i1 != i0) { storeBlock4(c10, i1, j0); }
  if (i1 != i0 && j1 != j0) { storeBlock4(c11, i1, j1); }
}

// TILE x TILE tiles (override, set by the wrapper: 64 or 32): (TILE/4) x (TILE/4) invocations,
// each a 4x4 block.
override TILE: u32 = 64u;
const TILE_K = 16u;
const TILED_BLOCK = 4u;
override TILED_WG: u32 = TILE / TILED_BLOCK;
var<workgroup> tileA: array<f32, TILE_K * TILE>;
var<workgroup> tileB: array<f32, TILE_K * TILE>;

@compute @workgroup_size(TILED_WG, TILED_WG)
fn matmul_tiled(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>,
                @builtin(num_workgroups) groups: vec3<u32>, @builtin(local_invocation_index) flat: u32) {
  if (UPDATE) { startUpdate(aux[0]); }
  if (isBiasColumn(wg, groups)) {
    biasColumn(wg.y * TILE, TILE, flat);
    return;
  }
  let rowBase = wg.y * TILE;
  let colBase = wg.x * TILE;
  var acc: array<array<f32, TILED_BLOCK>, TILED_BLOCK>;
  for (var k0 = 0u; k0 < dims.K; k0 += TILE_K) {
    // The invocations stage TILE_K x TILE elements of each operand; zeros past the edges.
    for (var idx = flat; idx < TILE_K * TILE; idx += TILED_WG * TILED_WG) {
      let kk = idx / TILE;
      let mn = idx % TILE;
      let k = k0 + kk;
      let i = rowBase + mn;
      let j = colBase + mn;
      var av = 0.0;
      var bv = 0.0;
      if (k < dims.K && i < dims.M) { av = loadA(i, k); }
      if (k < dims.K && j < dims.N) { bv = loadB(k, j); }
      tileA[idx] = av;
      tileB[idx] = bv;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < TILE_K; kk++) {
      var a: array<f32, TILED_BLOCK>;
      var b: array<f32, TILED_BLOCK>;
      for (var r = 0u; r < TILED_BLOCK; r++) { a[r] = tileA[kk * TILE + lid.y * TILED_BLOCK + r]; }
      for (var c = 0u; c < TILED_BLOCK; c++) { b[c] = tileB[kk * TILE + lid.x * TILED_BLOCK + c]; }
      for (var r = 0u; r < TILED_BLOCK; r++) {
        for (var c = 0u; c < TILED_BLOCK; c++) { acc[r][c] = fma(a[r], b[c], acc[r][c]); }
      }
    }
    workgroupBarrier();
  }
  for (var r = 0u; r < TILED_BLOCK; r++) {
    for (var c = 0u; c < TILED_BLOCK; c++) {
      let i = rowBase + lid.y * TILED_BLOCK + r;
      let j = colBase + lid.x * TILED_BLOCK + c;
      if (i < dims.M && j < dims.N) { store(acc[r][c], i, j); }
    }
  }
}

// 8x8 outputs per workgroup, 4 invocations per output each summing a quarter of every K-stage.
const SKINNY_TILE = 8u;
const SKINNY_LANES = 4u;
const SKINNY_KT = 32u;
const SKINNY_WG = 256u;
// Rows of the staged operands, padded by one so that the 8 rows one warp reads at a time fall
// in different memory banks.
const SKINNY_STRIDE = 33u;
var<workgroup> skinnyA: array<f32, SKINNY_TILE * SKINNY_STRIDE>;
var<workgroup> skinnyB: array<f32, SKINNY_TILE * SKINNY_STRIDE>;
var<workgroup> skinnyPart: array<f32, SKINNY_WG>;

// Invocation t's share of output (t / 4) of the tile at (wg.y, wg.x): the sum over k = lane,
// lane + 4, ... of each stage. The staging reads each operand along its contiguous axis, so
// that neighbouring invocations load neighbouring words: along K for A unless TRANS_A and for B
// when TRANS_B (x and W^T of a forward layer), along the rows otherwise.
fn skinnyPartial(wg: vec3<u32>, t: u32) -> f32 {
  let i0 = wg.y * SKINNY_TILE;
  let j0 = wg.x * SKINNY_TILE;
  let out = t / SKINNY_LANES;
  let lane = t % SKINNY_LANES;
  let oi = out / SKINNY_TILE;
  let oj = out % SKINNY_TILE;
  // Staging coordinates (row of the tile, k within the stage) of this invocation's element.
  let alongK = vec2<u32>(t / SKINNY_KT, t % SKINNY_KT);
  let alongRows = vec2<u32>(t % SKINNY_TILE, t / SKINNY_TILE);
  let sa = select(alongK, alongRows, TRANS_A);
  let sb = select(alongRows, alongK, TRANS_B);
  var acc = 0.0;
  for (var k0 = 0u; k0 < dims.K; k0 += SKINNY_KT) {
    var av = 0.0;
    var bv = 0.0;
    if (k0 + sa.y < dims.K && i0 + sa.x < dims.M) { av = loadA(i0 + sa.x, k0 + sa.y); }
    if (k0 + sb.y < dims.K && j0 + sb.x < dims.N) { bv = loadB(k0 + sb.y, j0 + sb.x); }
    skinnyA[sa.x * SKINNY_STRIDE + sa.y] = av;
    skinnyB[sb.x * SKINNY_STRIDE + sb.y] = bv;
    workgroupBarrier();
    for (var q = lane; q < SKINNY_KT; q += SKINNY_LANES) {
      acc = fma(skinnyA[oi * SKINNY_STRIDE + q], skinnyB[oj * SKINNY_STRIDE + q], acc);
    }
    workgroupBarrier();
  }
  return acc;
}

// The tile's output (t / 4), stored by the first of its 4 invocations.
fn skinnyStore(wg: vec3<u32>, t: u32, sum: f32) {
  let out = t / SKINNY_LANES;
  let i = wg.y * SKINNY_TILE + out / SKINNY_TILE;
  let j = wg.x * SKINNY_TILE + out % SKINNY_TILE;
  if (t % SKINNY_LANES == 0u && i < dims.M && j < dims.N) { store(sum, i, j); }
}

@compute @workgroup_size(SKINNY_WG)
fn matmul_skinny(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
                 @builtin(local_invocation_index) t: u32) {
  if (UPDATE) { startUpdate(aux[0]); }
  if (isBiasColumn(wg, groups)) {
    biasColumn(wg.y * SKINNY_TILE, SKINNY_TILE, t);
    return;
  }
  skinnyPart[t] = skinnyPartial(wg, t);
  workgroupBarrier();
  let base = t - t % SKINNY_LANES;
  skinnyStore(wg, t, (skinnyPart[base] + skinnyPart[base + 1u]) + (skinnyPart[base + 2u] + skinnyPart[base + 3u]));
}
