// Training metrics kept on the GPU, so a run reads them back every N steps instead of syncing
// after each one. Everything the host reads back lives in one u32 "run record" (layout in
// src/gpu/kernels/metrics.ts: recordLayout):
//   [0] the step within the pass, [1] the epoch's augmentation salt (read by the gather),
//   [LOSSES + s] step s's loss (f32 bits), [CORRECT + s] its correct count,
//   [PREDICTIONS + i] the predicted class of sample i of the pass (evaluation only).
//   step_metrics  ONE workgroup of RECORD_WG invocations per step: invocation t sums rows t,
//                 t + RECORD_WG, ... of rowLoss and counts argmax == label, recordStep
//                 (step_record.wgsl) combines the partials and writes the step's loss (lossScale
//                 * sum) and correct count at the slot record[0] points to, then invocation 0 advances
//                 record[0]: nothing after it in a step reads the step number. With PREDICT,
//                 row r's argmax also goes to PREDICTIONS + step * batchStride + r.
//   advance       one invocation: record[0] += 1, for passes without metrics (the bench's data
//                 path).
// Any B: the stride loop covers rows past RECORD_WG.
// Bindings: step_metrics 0 params (uniform), 1 rowLoss (B), 2 argmax (B) u32, 3 labels (B) u32,
// 4 record (u32); advance 0 record.

struct Params { B: u32, lossScale: f32, losses: u32, correct: u32, predictions: u32, batchStride: u32, pad0: u32, pad1: u32 }

override PREDICT: bool = false;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> rowLoss: array<f32>;
@group(0) @binding(2) var<storage, read> argmax: array<u32>;
@group(0) @binding(3) var<storage, read> labels: array<u32>;
@group(0) @binding(4) var<storage, read_write> record: array<u32>;

@group(0) @binding(0) var<storage, read_write> recordToAdvance: array<u32>;

@compute @workgroup_size(RECORD_WG)
fn step_metrics(@builtin(local_invocation_index) t: u32) {
  let slot = record[0];
  var loss = 0.0;
  var correct = 0u;
  for (var r = t; r < params.B; r += RECORD_WG) {
    loss += rowLoss[r];
    correct += select(0u, 1u, argmax[r] == labels[r]);
    if (PREDICT) { record[params.predictions + slot * params.batchStride + r] = argmax[r]; }
  }
  recordStep(t, slot, loss, correct, params.lossScale, params.losses, params.correct);
  if (t == 0u) { record[0] = slot + 1u; }
}

@compute @workgroup_size(1)
fn advance() {
  recordToAdvance[0] += 1u;
}
