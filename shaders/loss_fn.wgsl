// The losses' per-row math, shared by every kernel that takes a loss: log_softmax.wgsl,
// squared_error.wgsl and output_layer.wgsl (src/gpu/shaders.ts appends this file to each; it
// declares no bindings). A row is C values at base .. base + C - 1, which the including kernel
// reads through its lossValue(i) and whose gradient it takes through setLossGrad(i, g): storage
// for the two loss kernels, the output kernel's logits in workgroup memory (overwritten by their
// gradient in place: each value is read before its gradient is written).
//   NLL      m = max, s = sum e^(v - m) (max-subtracted: exp never overflows),
//            loss = log s - (v[label] - m) = -log p(label),
//            grad = (e^(v - m) / s - onehot) * gradScale (gradScale 1/B: the mean loss)
//   squared  loss = sum (v - onehot)^2, grad = 2 (v - onehot) * gradScale, with sigmoidBackward
//            then * v (1 - v): on through the output sigmoid to its pre-activation
// and each row's argmax, the first largest value. Labels are trusted to lie in [0, C).

struct LossRow { loss: f32, best: u32 }

fn nllRow(base: u32, C: u32, label: u32, gradScale: f32) -> LossRow {
  var m = lossValue(base);
  var best = 0u;
  for (var c = 1u; c < C; c++) {
    let v = lossValue(base + c);
    if (v > m) {
      m = v;
      best = c;
    }
  }
  var s = 0.0;
  for (var c = 0u; c < C; c++) { s += exp(lossValue(base + c) - m); }
  let loss = log(s) - (lossValue(base + label) - m);
  for (var c = 0u; c < C; c++) {
    let p = exp(lossValue(base + c) - m) / s;
    setLossGrad(base + c, (p - select(0.0, 1.0, c == label)) * gradScale);
  }
  return LossRow(loss, best);
}

fn squaredRow(base: u32, C: u32, label: u32, gradScale: f32, sigmoidBackward: bool) -> LossRow {
  var loss = 0.0;
  var m = lossValue(base);
  var best = 0u;
  for (var c = 0u; c < C; c++) {
    let v = lossValue(base + c);
    let diff = v - select(0.0, 1.0, c == label);
    loss += diff * diff;
    let g = 2.0 * diff * gradScale;
    setLossGrad(base + c, select(g, g * v * (1.0 - v), sigmoidBackward));
    if (v > m) {
      m = v;
      best = c;
    }
  }
  return LossRow(loss, best);
}
