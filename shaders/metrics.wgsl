// Training metrics kept on the GPU, so a run reads them back every N steps instead of syncing
// after each one. counter[0] is the step within the epoch and indexes the history slots.
//   step_metrics  ONE workgroup of 256 invocations per step: invocation t sums rows t, t + 256, ...
//                 of rowLoss and counts argmax == label, a tree reduction in workgroup memory
//                 combines the 256 partials, and invocation 0 writes
//                 lossHistory[counter[0]] = lossScale * sum and correctHistory[counter[0]] = count.
//                 Any B: the stride loop covers rows past 256.
//   advance       one invocation: counter[0] += 1, encoded after everything that reads the step.
// Bindings: step_metrics 0 params (uniform B, lossScale), 1 rowLoss (B), 2 argmax (B) u32,
// 3 labels (B) u32, 4 counter (u32[1], read), 5 lossHistory f32, 6 correctHistory u32;
// advance 0 counter (u32[1], read_write).

struct Params { B: u32, lossScale: f32, pad0: u32, pad1: u32 }

const WG = 256u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> rowLoss: array<f32>;
@group(0) @binding(2) var<storage, read> argmax: array<u32>;
@group(0) @binding(3) var<storage, read> labels: array<u32>;
@group(0) @binding(4) var<storage, read> counter: array<u32>;
@group(0) @binding(5) var<storage, read_write> lossHistory: array<f32>;
@group(0) @binding(6) var<storage, read_write> correctHistory: array<u32>;

@group(0) @binding(0) var<storage, read_write> counterRw: array<u32>;

var<workgroup> lossPart: array<f32, WG>;
var<workgroup> correctPart: array<u32, WG>;

@compute @workgroup_size(WG)
fn step_metrics(@builtin(local_invocation_index) t: u32) {
  var loss = 0.0;
  var correct = 0u;
  for (var r = t; r < params.B; r += WG) {
    loss += rowLoss[r];
    correct += select(0u, 1u, argmax[r] == labels[r]);
  }
  lossPart[t] = loss;
  correctPart[t] = correct;
  workgroupBarrier();
  for (var width = WG / 2u; width > 0u; width >>= 1u) {
    if (t < width) {
      lossPart[t] += lossPart[t + width];
      correctPart[t] += correctPart[t + width];
    }
    workgroupBarrier();
  }
  if (t == 0u) {
    let slot = counter[0];
    lossHistory[slot] = params.lossScale * lossPart[0];
    correctHistory[slot] = correctPart[0];
  }
}

@compute @workgroup_size(1)
fn advance() {
  counterRw[0] += 1u;
}
