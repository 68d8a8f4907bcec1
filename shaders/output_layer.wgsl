// The output layer's whole step in ONE workgroup, for narrow outputs and small batches (B x C
// logits fit workgroup memory: B * C <= MAX_LOGITS): what would otherwise be seven dispatches
// (the layer's matmul, the loss, the metrics, the input gradient of the layer below, the weight
// and bias updates, the step counter's advance), each paying a GPU's launch latency for a few
// microseconds of work. h is the layer's input (B,H), W (C,H), b (C) in PyTorch's layout:
//   1. z = h W^T + b, each of the B*C logits summed over H in order;
//      LOSS_SQUARED: out = sigmoid(z) (the toy network), else z stays linear.
//   2. per row r (invocation r, r + WG, ...), loss_fn.wgsl's nllRow or squaredRow (through the
//      output sigmoid), as log_softmax.wgsl / squared_error.wgsl: loss_r, dz (gradScale 1/B: the
//      mean loss) and the argmax; with PREDICT it is recorded as a prediction.
//   3. as metrics.wgsl: the step's loss (lossScale * sum of loss_r, tree-reduced: 1/B, the mean) and correct
//      count at the slot the run record's step counter points to; the counter advances at the
//      very end, after every read of it.
//   TRAIN only:
//   4. PREV_ACTIVATION (h is a hidden layer's output; its activation, activation_fn.wgsl's kind):
//      dzPrev = (dz W) * act'(h), (B,H), summed over C in order (act' of z under
//      PREV_READS_INPUT): the layer below's delta, read by its own gradient kernels.
//   5. after a barrier (4 read W as it was), the optimizer steps of W with dz^T h and of b with
//      the column sums of dz (optimizerUpdate, shaders/optimizer.wgsl), each gradient summed over
//      the B rows in order, with their STATE floats per element in stateW and stateB. t is
//      stepBase + slot + 1: the counter advances only at the kernel's end, where the unfused
//      path's updates run after the metrics advanced it.
// CPU twin: the composition of matmulCpu, logSoftmaxNllCpu / squaredErrorCpu, stepMetricsCpu,
// activationBackwardCpu, biasGradCpu and optimizerUpdateCpu (outputLayerCpu, test/gpu/output-layer.test.ts).
// Workgroup WG, grid 1. Two entry points: output_layer, and output_layer_vec4 for H % 4 == 0.
// Bindings: 0 params (uniform), 1 h (B,H) (or z, see PREV_READS_INPUT), 2 W (C,H), 3 b (C), 4
// labels (B) u32, 5 record (the run record of src/gpu/kernels/metrics.ts), 6 dzPrev (B,H), 7
// stateW (C*H*STATE), 8 stateB (C*STATE) (both unread with STATE 0), 9 hyper (uniform Hyper,
// TRAIN only).

struct Params {
  B: u32, H: u32, C: u32, gradScale: f32,
  lossScale: f32, losses: u32, correct: u32, predictions: u32,
  batchStride: u32, pad0: u32, pad1: u32, pad2: u32,
}

override LOSS_SQUARED: bool = false;
override TRAIN: bool = false;
override PREV_ACTIVATION: u32 = 0u;
// The layer below's activation reads its input in the backward pass (GELU): binding 1 holds its
// pre-activation z, and h = act(z) is recomputed at every read. Every storage binding is taken,
// and the kernel needs both h (logits, weight gradient) and z (delta below): z gives h at the cost
// of an activation per read, where h cannot give z back.
override PREV_READS_INPUT: bool = false;
override PREDICT: bool = false;

const WG = RECORD_WG;
// 12 KiB of logits, beside the 2 KiB of reduction partials: inside the 16 KiB every adapter has.
const MAX_LOGITS = 3072u;

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> h: array<f32>;
@group(0) @binding(2) var<storage, read_write> W: array<f32>;
@group(0) @binding(3) var<storage, read_write> b: array<f32>;
@group(0) @binding(4) var<storage, read> labels: array<u32>;
@group(0) @binding(5) var<storage, read_write> record: array<u32>;
@group(0) @binding(6) var<storage, read_write> dzPrev: array<f32>;
@group(0) @binding(7) var<storage, read_write> stateW: array<f32>;
@group(0) @binding(8) var<storage, read_write> stateB: array<f32>;
@group(0) @binding(9) var<uniform> hyper: Hyper;

// h[i], or act(z[i]) under PREV_READS_INPUT; the vec4 entry point's rows of 4 likewise.
fn hAt(i: u32) -> f32 {
  if (PREV_READS_INPUT) { return activate(h[i], PREV_ACTIVATION); }
  return h[i];
}

fn h4At(q: u32) -> vec4<f32> {
  if (PREV_READS_INPUT) { return activate4(h4[q], PREV_ACTIVATION); }
  return h4[q];
}

// The logits, then (after step 2) dz: loss_fn.wgsl's row functions read and write it through these.
var<workgroup> z: array<f32, MAX_LOGITS>;
fn lossValue(i: u32) -> f32 { return z[i]; }
fn setLossGrad(i: u32, g: f32) { z[i] = g; }

// Steps 2 and 3, the same for both entry points, after step 1 left the logits in z: invocation
// t's rows' loss, gradient (into z) and argmax, then the step's loss and correct count.
fn lossAndMetrics(t: u32, slot: u32) {
  let B = params.B;
  let C = params.C;
  var loss = 0.0;
  var correct = 0u;
  for (var r = t; r < B; r += WG) {
    let label = labels[r];
    var row: LossRow;
    if (LOSS_SQUARED) {
      row = squaredRow(r * C, C, label, params.gradScale, true);
    } else {
      row = nllRow(r * C, C, label, params.gradScale);
    }
    loss += row.loss;
    correct += select(0u, 1u, row.best == label);
    if (PREDICT) { record[params.predictions + slot * params.batchStride + r] = row.best; }
  }
  recordStep(t, slot, loss, correct, params.lossScale, params.losses, params.correct);
}

// Step 5's bias part: b's step with the column sums of dz.
fn updateBiases(t: u32, o: Optimizer) {
  for (var c = t; c < params.C; c += WG) {
    var g = 0.0;
    for (var r = 0u; r < params.B; r++) { g += z[r * params.C + c]; }
    var s = vec2<f32>();
    if (STATE >= 1u) { s.x = stateB[c * STATE]; }
    if (STATE == 2u) { s.y = stateB[c * STATE + 1u]; }
    let u = optimizerUpdate(b[c], g, s, o);
    b[c] = u.x;
    if (STATE >= 1u) { stateB[c * STATE] = u.y; }
    if (STATE == 2u) { stateB[c * STATE + 1u] = u.z; }
  }
}

// Every invocation read the step's slot; only now may the counter move on.
fn advance(t: u32, slot: u32) {
  storageBarrier();
  workgroupBarrier();
  if (t == 0u) { record[0] = slot + 1u; }
}

@compute @workgroup_size(WG)
fn output_layer(@builtin(local_invocation_index) t: u32) {
  let B = params.B;
  let H = params.H;
  let C = params.C;
  let slot = record[0];

  // 1. logits
  for (var idx = t; idx < B * C; idx += WG) {
    let r = idx / C;
    let c = idx % C;
    var acc = b[c];
    for (var k = 0u; k < H; k++) { acc += hAt(r * H + k) * W[c * H + k]; }
    z[idx] = select(acc, activate(acc, 1u), LOSS_SQUARED);
  }
  workgroupBarrier();
  lossAndMetrics(t, slot);

  if (TRAIN) {
    let o = optimizerAt(hyper, slot + 1u);
    // 4. the layer below's delta, from W before its update
    if (PREV_ACTIVATION != 0u) {
      for (var idx = t; idx < B * H; idx += WG) {
        let r = idx / H;
        let k = idx % H;
        var acc = 0.0;
        for (var c = 0u; c < C; c++) { acc += z[r * C + c] * W[c * H + k]; }
        dzPrev[idx] = acc * activationGrad(h[idx], PREV_ACTIVATION);
      }
    }
    storageBarrier();
    workgroupBarrier();
    // 5. the updates
    for (var idx = t; idx < C * H; idx += WG) {
      let c = idx / H;
      let k = idx % H;
      var g = 0.0;
      for (var r = 0u; r < B; r++) { g += z[r * C + c] * hAt(r * H + k); }
      var s = vec2<f32>();
      if (STATE >= 1u) { s.x = stateW[idx * STATE]; }
      if (STATE == 2u) { s.y = stateW[idx * STATE + 1u]; }
      let u = optimizerUpdate(W[idx], g, s, o);
      W[idx] = u.x;
      if (STATE >= 1u) { stateW[idx * STATE] = u.y; }
      if (STATE == 2u) { stateW[idx * STATE + 1u] = u.z; }
    }
    updateBiases(t, o);
  }
  advance(t, slot);
}

// output_layer with h, W, dzPrev and stateW read and written as vec4 along H (H % 4 == 0, the
// wrapper's choice): a quarter of the loads, which dominate on CPU adapters (each storage load is
// an emulated gather there) and coalesce on GPUs. The same steps; each vec4 lane's sums in the
// scalar kernel's order, but the logits' H-sum taken 4 lanes at a time.
@group(0) @binding(1) var<storage, read> h4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> W4: array<vec4<f32>>;
@group(0) @binding(6) var<storage, read_write> dzPrev4: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read_write> stateW4: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn output_layer_vec4(@builtin(local_invocation_index) t: u32) {
  let B = params.B;
  let H4 = params.H / 4u;
  let C = params.C;
  let slot = record[0];

  for (var idx = t; idx < B * C; idx += WG) {
    let r = idx / C;
    let c = idx % C;
    var acc = vec4<f32>();
    for (var q = 0u; q < H4; q++) { acc += h4At(r * H4 + q) * W4[c * H4 + q]; }
    let v = b[c] + (acc.x + acc.y) + (acc.z + acc.w);
    z[idx] = select(v, activate(v, 1u), LOSS_SQUARED);
  }
  workgroupBarrier();
  lossAndMetrics(t, slot);

  if (TRAIN) {
    let o = optimizerAt(hyper, slot + 1u);
    if (PREV_ACTIVATION != 0u) {
      for (var idx = t; idx < B * H4; idx += WG) {
        let r = idx / H4;
        let q = idx % H4;
        var acc = vec4<f32>();
        for (var c = 0u; c < C; c++) { acc += z[r * C + c] * W4[c * H4 + q]; }
        dzPrev4[idx] = acc * activationGrad4(h4[idx], PREV_ACTIVATION);
      }
    }
    storageBarrier();
    workgroupBarrier();
    for (var idx = t; idx < C * H4; idx += WG) {
      let c = idx / H4;
      let q = idx % H4;
      var g = vec4<f32>();
      for (var r = 0u; r < B; r++) { g += z[r * C + c] * h4At(r * H4 + q); }
      var s: array<vec4<f32>, 2>;
      if (STATE >= 1u) { s[0] = stateW4[idx * STATE]; }
      if (STATE == 2u) { s[1] = stateW4[idx * STATE + 1u]; }
      let u = optimizerUpdate4(W4[idx], g, s, o);
      W4[idx] = u.p;
      if (STATE >= 1u) { stateW4[idx * STATE] = u.s[0]; }
      if (STATE == 2u) { stateW4[idx * STATE + 1u] = u.s[1]; }
    }
    updateBiases(t, o);
  }
  advance(t, slot);
}
