// The SGD update of one parameter element, with PyTorch's semantics (torch.optim.SGD, dampening
// 0), shared by every kernel that updates parameters: sgd.wgsl (a parameter tensor on its own),
// matmul.wgsl (the weight gradient's epilogue, SGD) and bias_grad.wgsl (the bias gradient's).
// src/gpu/shaders.ts appends this file to each of them; it declares no bindings.
//   g' = g + weightDecay * p
//   v  = momentum * v + g'                       (only when momentum != 0; v starts at zero,
//                                                 which equals PyTorch's first-step v = g')
//   p -= lr * (nesterov ? g' + momentum * v : v)  (g' itself without momentum)
// Branch-free, so that it costs the same few instructions in every invocation: with momentum 0
// (and v = 0 where no velocity is kept) v = 0 * v + g' = g' exactly and the step is g', as above.
// Returns (new p, new v); callers keep v only where a velocity buffer is bound (HAS_VELOCITY).

struct Hyper { lr: f32, momentum: f32, weightDecay: f32, nesterov: u32 }

fn sgdUpdate(p: f32, grad: f32, v: f32, h: Hyper) -> vec2<f32> {
  let g = grad + h.weightDecay * p;
  let vNew = h.momentum * v + g;
  let update = select(vNew, g + h.momentum * vNew, h.nesterov != 0u);
  return vec2<f32>(p - h.lr * update, vNew);
}
