// A step's loss and correct count into the run record (layout: src/gpu/kernels/metrics.ts,
// recordLayout), shared by metrics.wgsl and output_layer.wgsl: src/gpu/shaders.ts appends this
// file to both. Each declares the record's binding as `record` and runs RECORD_WG invocations.

const RECORD_WG = 256u;
var<workgroup> lossPart: array<f32, RECORD_WG>;
var<workgroup> correctPart: array<u32, RECORD_WG>;

// Every invocation's partial loss and correct count, summed by a tree in workgroup memory;
// invocation 0 writes lossScale * the sum, and the count, at the step's slot. The storage barrier
// also orders every invocation's earlier read of the step counter before anything after this.
fn recordStep(t: u32, slot: u32, loss: f32, correct: u32, lossScale: f32, lossesAt: u32, correctAt: u32) {
  lossPart[t] = loss;
  correctPart[t] = correct;
  storageBarrier();
  workgroupBarrier();
  for (var width = RECORD_WG / 2u; width > 0u; width >>= 1u) {
    if (t < width) {
      lossPart[t] += lossPart[t + width];
      correctPart[t] += correctPart[t + width];
    }
    workgroupBarrier();
  }
  if (t == 0u) {
    record[lossesAt + slot] = bitcast<u32>(lossScale * lossPart[0]);
    record[correctAt + slot] = correctPart[0];
  }
}
