// Row-wise log-softmax fused with the negative log-likelihood of the labels and its gradient: the
// MNIST MLP's loss (PyTorch's log_softmax + nll_loss). One invocation per row of the (B, C)
// logits, looping over its C classes (C = 10 here, too few to share among invocations):
//   m = max_c logits, s = sum_c e^(logits - m)    (max-subtracted: exp never overflows)
//   rowLoss = log s - (logits[label] - m)          = -log p(label)
//   grad    = (e^(logits - m) / s - onehot) * gradScale   (gradScale 1/B: the mean loss)
//   argmax  = first class holding the maximum.
// Workgroup 64, grid ceil(B / 64). Labels are trusted to lie in [0, C): the data loader checks.
// Bindings: 0 params (uniform B, C, gradScale), 1 logits (B,C), 2 labels (B) u32, 3 grad (B,C),
// 4 rowLoss (B), 5 argmax (B) u32.

struct Params { B: u32, C: u32, gradScale: f32, pad: u32 }

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<u32>;
@group(0) @binding(3) var<storage, read_write> grad: array<f32>;
@group(0) @binding(4) var<storage, read_write> rowLoss: array<f32>;
@group(0) @binding(5) var<storage, read_write> argmax: array<u32>;

// Rows per workgroup; src/gpu/kernels/log-softmax.ts sizes the grid from it.
const WG = 64u;

@compute @workgroup_size(WG)
fn log_softmax_nll(@builtin(global_invocation_id) gid: vec3<u32>) {
  let r = gid.x;
  if (r >= params.B) { return; }
  let base = r * params.C;
  var m = logits[base];
  var best = 0u;
  for (var c = 1u; c < params.C; c++) {
    let v = logits[base + c];
    if (v > m) {
      m = v;
      best = c;
    }
  }
  var s = 0.0;
  for (var c = 0u; c < params.C; c++) { s += exp(logits[base + c] - m); }
  let label = labels[r];
  rowLoss[r] = log(s) - (logits[base + label] - m);
  argmax[r] = best;
  for (var c = 0u; c < params.C; c++) {
    let p = exp(logits[base + c] - m) / s;
    grad[base + c] = (p - select(0.0, 1.0, c == label)) * params.gradScale;
  }
}
