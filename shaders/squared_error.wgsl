// The squared-error loss of (B, C) sigmoid outputs against one-hot labels (the toy network's, as
// the notebook prints it row by row). One invocation per row, looping over its C outputs, as
// loss_fn.wgsl's squaredRow: rowLoss = sum_c (out - onehot)^2,  grad = 2 * (out - onehot) *
// gradScale (1/B: the gradient of the rows' mean),  argmax = first largest output.
// With SIGMOID_BACKWARD grad goes on through the output sigmoid to the pre-activation:
// grad *= out * (1 - out), the output layer's delta, so the gradient with respect to the outputs
// never goes to memory.
// Workgroup 64, grid ceil(B / 64).
// Bindings: 0 params (uniform B, C, gradScale), 1 outputs (B,C), 2 labels (B) u32, 3 grad (B,C), 4 rowLoss (B),
// 5 argmax (B) u32.

struct Params { B: u32, C: u32, gradScale: f32, pad: u32 }

override SIGMOID_BACKWARD: bool = false;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> outputs: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<u32>;
@group(0) @binding(3) var<storage, read_write> grad: array<f32>;
@group(0) @binding(4) var<storage, read_write> rowLoss: array<f32>;
@group(0) @binding(5) var<storage, read_write> argmax: array<u32>;

// Rows per workgroup; src/gpu/kernels/squared-error.ts sizes the grid from it.
const WG = 64u;

fn lossValue(i: u32) -> f32 { return outputs[i]; }
fn setLossGrad(i: u32, g: f32) { grad[i] = g; }

@compute @workgroup_size(WG)
fn squared_error(@builtin(global_invocation_id) gid: vec3<u32>) {
  let r = gid.x;
  if (r >= params.B) { return; }
  let row = squaredRow(r * params.C, params.C, labels[r], params.gradScale, SIGMOID_BACKWARD);
  rowLoss[r] = row.loss;
  argmax[r] = row.best;
}
