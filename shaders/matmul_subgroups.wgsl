// matmul_skinny (shaders/matmul.wgsl) with the four partial sums of each output added by
// subgroup shuffles instead of a round trip through workgroup memory and a barrier. Appended to
// matmul.wgsl, behind `enable subgroups;`, by src/gpu/shaders.ts, and only compiled on devices
// created with the 'subgroups' feature. It assumes what every backend does for a 1-D workgroup,
// though WGSL does not promise it: invocations 4q .. 4q + 3 are neighbours in one subgroup. The
// per-shape trial checks its result against the CPU twin before it may be chosen. The sums come
// out in the same order as matmul_skinny's, (p0 + p1) + (p2 + p3): the same bits.

@compute @workgroup_size(SKINNY_WG)
fn matmul_skinny_subgroups(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
                           @builtin(local_invocation_index) t: u32) {
  if (UPDATE) { startUpdate(aux[0]); }
  if (isBiasColumn(wg, groups)) {
    biasColumn(wg.y * SKINNY_TILE, SKINNY_TILE, t);
    return;
  }
  var sum = skinnyPartial(wg, t);
  sum += subgroupShuffleXor(sum, 1u);
  sum += subgroupShuffleXor(sum, 2u);
  skinnyStore(wg, t, sum);
}
