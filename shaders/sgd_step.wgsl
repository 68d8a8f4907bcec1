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

// sgdUpdate on 4 elements (the vec4 kernels' rows): column 0 the new parameters, column 1 the new
// velocities, each lane computed as sgdUpdate computes it.
fn sgdUpdate4(p: vec4<f32>, grad: vec4<f32>, v: vec4<f32>, h: Hyper) -> mat2x4<f32> {
  let x = sgdUpdate(p.x, grad.x, v.x, h);
  let y = sgdUpdate(p.y, grad.y, v.y, h);
  let z = sgdUpdate(p.z, grad.z, v.z, h);
  let w = sgdUpdate(p.w, grad.w, v.w, h);
  return mat2x4<f32>(vec4<f32>(x.x, y.x, z.x, w.x), vec4<f32>(x.y, y.y, z.y, w.y));
}
