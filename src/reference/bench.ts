// CPU twins of the benchmark's ceiling kernels (shaders/bench.wgsl), written from the shader's
// description, not its code: what each invocation's result must be.

/** bench_fma: for every invocation id, `chains` vec4 chains start at
 * (id % 97, chain, 1, 2) * 0.01 + (0.1, 0.2, 0.3, 0.4), each lane runs x = x * m + c `steps`
 * times (f32 after every operation), and the result is the sum of all chains' lanes. */
export function benchFmaCpu(invocations: number, steps: number, chains: number, m: number, c: number): Float32Array {
  const f = Math.fround;
  const out = new Float32Array(invocations);
  // The chains depend on id only through id % 97: compute each class once.
  const byClass = new Float64Array(97);
  for (let cls = 0; cls < Math.min(97, invocations); cls++) {
    let total = 0;
    for (let chain = 0; chain < chains; chain++) {
      const lanes = [cls, chain, 1, 2].map((v, i) => f(f(v * 0.01) + [0.1, 0.2, 0.3, 0.4][i]));
      for (let lane = 0; lane < 4; lane++) {
        let x = lanes[lane];
        for (let it = 0; it < steps; it++) x = f(f(x * m) + c);
        total += x;
      }
    }
    byClass[cls] = total;
  }
  for (let id = 0; id < invocations; id++) out[id] = byClass[id % 97];
  return out;
}

/** bench_copy: the destination equals the source. */
export function benchCopyCpu(src: Float32Array): Float32Array {
  return src.slice();
}
