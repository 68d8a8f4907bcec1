// Row-wise log-softmax fused with the negative log-likelihood of the labels and its gradient: the
// MNIST MLP's loss (PyTorch's log_softmax + nll_loss). One invocation per row of the (B, C)
// logits, looping over its C classes (C = 10 here, too few to share among invocations): rowLoss,
// grad and argmax as loss_fn.wgsl's nllRow computes them.
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

fn lossValue(i: u32) -> f32 { return logits[i]; }
fn setLossGrad(i: u32, g: f32) { grad[i] = g; }

@compute @workgroup_size(WG)
fn log_softmax_nll(@builtin(global_invocation_id) gid: vec3<u32>) {
  let r = gid.x;
  if (r >= params.B) { return; }
  let row = nllRow(r * params.C, params.C, labels[r], params.gradScale);
  rowLoss[r] = row.loss;
  argmax[r] = row.best;
}
