// The adapter's own ceiling, measured by `npm run bench` (src/bench/ceiling.ts); CPU twins in
// src/reference/bench.ts. None of these is used in training.
//   bench_fma    arithmetic only: each invocation runs params.iters rounds of 256 FLOPs:
//                two independent vec4 chains x = x * m + c (m, c from the uniform, so nothing
//                folds), written out 16 times per round (16 x 2 chains x 4 lanes x (multiply +
//                add)), then writes one sum so the work cannot be discarded. Its memory
//                traffic is one f32 per invocation. Workgroup 64, one invocation per output. Shaped by measurement on SwiftShader (Subzero JIT):
//                it neither unrolls loops nor keeps more than ~16 SIMD values in registers, so a
//                rolled loop measures the loop (8 chains, 1 op per round: ~1 GFLOP/s here) and
//                8 vec4 chains measure register spills; 2 chains x 16 per round ran 8-17 GFLOP/s.
//   bench_fma_builtin  the same with WGSL's fma(): some adapters lower it to a slow exact
//                routine, so both are measured and the faster is the peak.
//   bench_copy   dst[i] = src[i] over params.n vec4s, grid-stride (invocation i copies i, i + T,
//                ... for T invocations in all): memory bandwidth, read + write.
//   bench_empty  one invocation that stores nothing (the store sits behind a condition that is
//                never true but that the compiler cannot prove false): the cost of a dispatch.
// Bindings: bench_copy 0 params (uniform), 1 src (read), 2 dst (read_write); bench_fma and
// bench_empty 0 params, 1 sums (read_write).

struct Params {
  iters: u32,
  n: u32,
  m: f32,
  c: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> src: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> dst: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> sums: array<f32>;

// Invocations per workgroup of bench_fma and of bench_copy; src/gpu/kernels/bench.ts sizes grids
// from them.
const FMA_WG = 64u;
const COPY_WG = 256u;

// Starting values differ per chain and per lane so no two chains are the same computation.
fn start(id: u32, chain: u32) -> vec4<f32> {
  return vec4<f32>(f32(id % 97u), f32(chain), 1.0, 2.0) * 0.01 + vec4<f32>(0.1, 0.2, 0.3, 0.4);
}

@compute @workgroup_size(FMA_WG)
fn bench_fma(@builtin(global_invocation_id) gid: vec3<u32>) {
  let m = vec4<f32>(params.m);
  let c = vec4<f32>(params.c);
  let iters = params.iters;
  var x0 = start(gid.x, 0u);
  var x1 = start(gid.x, 1u);
  for (var i = 0u; i < iters; i++) {
    x0 = x0 * m + c;
    x1 = x1 * m + c;
    x0 = x0 * m + c;
    x1 = x1 * m + c;
    x0 = x0 * m + c;
    x1 = x1 * m + c;
    x0 = x0 * m + c;
    x1 = x1 * m + c;
    x0 = x0 * m + c;
    x1 = x1 * m + c;
    x0 = x0 * m + c;
    x1 = x1 * m + c;
    x0 = x0 * m + c;
    x1 = x1 * m + c;
    x0 = x0 * m + c;
    x1 = x1 * m + c;
    x0 = x0 * m + c;
    x1 = x1 * m + c;
    x0 = x0 * m + c;
    x1 = x1 * m + c;
    x0 = x0 * m + c;
    x1 = x1 * m + c;
    x0 = x0 * m + c;
    x1 = x1 * m + c;
    x0 = x0 * m + c;
    x1 = x1 * m + c;
    x0 = x0 * m + c;
    x1 = x1 * m + c;
    x0 = x0 * m + c;
    x1 = x1 * m + c;
    x0 = x0 * m + c;
    x1 = x1 * m + c;
  }
  let s = x0 + x1;
  sums[gid.x] = (s.x + s.y) + (s.z + s.w);
}

@compute @workgroup_size(FMA_WG)
fn bench_fma_builtin(@builtin(global_invocation_id) gid: vec3<u32>) {
  let m = vec4<f32>(params.m);
  let c = vec4<f32>(params.c);
  let iters = params.iters;
  var x0 = start(gid.x, 0u);
  var x1 = start(gid.x, 1u);
  for (var i = 0u; i < iters; i++) {
    x0 = fma(x0, m, c);
    x1 = fma(x1, m, c);
    x0 = fma(x0, m, c);
    x1 = fma(x1, m, c);
    x0 = fma(x0, m, c);
    x1 = fma(x1, m, c);
    x0 = fma(x0, m, c);
    x1 = fma(x1, m, c);
    x0 = fma(x0, m, c);
    x1 = fma(x1, m, c);
    x0 = fma(x0, m, c);
    x1 = fma(x1, m, c);
    x0 = fma(x0, m, c);
    x1 = fma(x1, m, c);
    x0 = fma(x0, m, c);
    x1 = fma(x1, m, c);
    x0 = fma(x0, m, c);
    x1 = fma(x1, m, c);
    x0 = fma(x0, m, c);
    x1 = fma(x1, m, c);
    x0 = fma(x0, m, c);
    x1 = fma(x1, m, c);
    x0 = fma(x0, m, c);
    x1 = fma(x1, m, c);
    x0 = fma(x0, m, c);
    x1 = fma(x1, m, c);
    x0 = fma(x0, m, c);
    x1 = fma(x1, m, c);
    x0 = fma(x0, m, c);
    x1 = fma(x1, m, c);
    x0 = fma(x0, m, c);
    x1 = fma(x1, m, c);
  }
  let s = x0 + x1;
  sums[gid.x] = (s.x + s.y) + (s.z + s.w);
}

@compute @workgroup_size(COPY_WG)
fn bench_copy(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let stride = groups.x * COPY_WG;
  for (var i = gid.x; i < params.n; i += stride) { dst[i] = src[i]; }
}

@compute @workgroup_size(1)
fn bench_empty(@builtin(global_invocation_id) gid: vec3<u32>) {
  if (gid.x == params.n) { sums[0] = 0.0; }
}
