// The optimizer step of one parameter element, with torch.optim's semantics (torch 1.13), shared
// by every kernel that updates parameters: update.wgsl (a parameter tensor on its own),
// matmul.wgsl (the weight gradient's epilogue), bias_grad.wgsl (the bias gradient's) and
// output_layer.wgsl. src/gpu/shaders.ts appends this file to each of them; it declares no
// bindings. The table of optimizers and their CPU twin: src/model/optimizers.ts.
//
// OPTIMIZER (override) picks the formula: 0 SGD, 1 Adam, 2 AdamW. STATE (override, set from the
// table) is the state floats per element: SGD 1 with momentum else 0, Adam and AdamW 2 (exp_avg,
// exp_avg_sq). A kernel's state buffer holds them interleaved, element i's at [i*STATE,
// i*STATE + STATE), so each kernel binds one state buffer where a velocity was bound before.
//
//   SGD:   g' = g + weightDecay * p; v = momentum * v + g' (v starts at zero, which equals
//          PyTorch's first-step v = g'); p -= lr * (nesterov ? g' + momentum * v : v).
//          Branch-free: with momentum 0 (and v = 0 where no state is kept) v = g' exactly. Its
//          expressions are those of the kernels before Adam: the notebook's losses are bit-identical.
//   Adam:  g += weightDecay * p; m = beta1 m + (1 - beta1) g; v = beta2 v + (1 - beta2) g^2;
//          p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps).
//   AdamW: p *= 1 - lr * weightDecay first, then Adam without the g += weightDecay * p.
//
// t, the step's 1-based count, is stepBase (the optimizer steps before the pass, from the host)
// plus the run record's step counter as the kernel reads it (see optimizerAt's callers). The bias
// corrections 1 - beta^t are computed once per invocation, in f32, as 1 - exp2(t * log2(beta))
// with log2(beta), 1 - beta and 1 - lr * weightDecay rounded from float64 on the host: exp2 is
// within 3 + 2|x| ULP where pow would add log2's 2^-21 absolute error near beta = 1.

struct Hyper {
  lr: f32, momentum: f32, weightDecay: f32, nesterov: u32,
  beta1: f32, beta2: f32, eps: f32, stepBase: u32,
  oneMinusBeta1: f32, oneMinusBeta2: f32, log2Beta1: f32, log2Beta2: f32,
  decoupledDecay: f32, pad0: u32, pad1: u32, pad2: u32,
}

override OPTIMIZER: u32 = 0u;
override STATE: u32 = 0u;

// The hyper-parameters with this step's Adam factors: stepSize = lr / (1 - beta1^t) and
// sqrtBc2 = sqrt(1 - beta2^t).
struct Optimizer { h: Hyper, stepSize: f32, sqrtBc2: f32 }

// `counter`: the record's step counter as the kernel read it, so that t = stepBase + counter.
fn optimizerAt(h: Hyper, counter: u32) -> Optimizer {
  // SGD has no bias corrections: none of their exp2s in every invocation of its kernels.
  if (OPTIMIZER == 0u) { return Optimizer(h, h.lr, 1.0); }
  let t = f32(h.stepBase + counter);
  let bc1 = 1.0 - exp2(t * h.log2Beta1);
  let bc2 = 1.0 - exp2(t * h.log2Beta2);
  return Optimizer(h, h.lr / bc1, sqrt(bc2));
}

fn sgdUpdate(p: f32, grad: f32, v: f32, h: Hyper) -> vec2<f32> {
  let g = grad + h.weightDecay * p;
  // Without momentum (no state kept, so no Nesterov either) v = g exactly: the same bits in fewer
  // operations an element, in the epilogue of every weight gradient.
  if (STATE == 0u) { return vec2<f32>(p - h.lr * g, 0.0); }
  let vNew = h.momentum * v + g;
  let update = select(vNew, g + h.momentum * vNew, h.nesterov != 0u);
  return vec2<f32>(p - h.lr * update, vNew);
}

// Returns (new p, new m, new v).
fn adamUpdate(p: f32, grad: f32, s: vec2<f32>, o: Optimizer) -> vec3<f32> {
  let g = grad + o.h.weightDecay * p;
  return adamCore(p, g, s, o);
}

fn adamwUpdate(p: f32, grad: f32, s: vec2<f32>, o: Optimizer) -> vec3<f32> {
  return adamCore(p * o.h.decoupledDecay, grad, s, o);
}

fn adamCore(p: f32, g: f32, s: vec2<f32>, o: Optimizer) -> vec3<f32> {
  let m = o.h.beta1 * s.x + o.h.oneMinusBeta1 * g;
  let v = o.h.beta2 * s.y + o.h.oneMinusBeta2 * g * g;
  let denom = sqrt(v) / o.sqrtBc2 + o.h.eps;
  return vec3<f32>(p - o.stepSize * m / denom, m, v);
}

// The dispatcher: one element's step with its state s (its first STATE lanes meaningful; zeros
// where none is kept). Returns (new p, new state).
fn optimizerUpdate(p: f32, grad: f32, s: vec2<f32>, o: Optimizer) -> vec3<f32> {
  switch OPTIMIZER {
    case 1u: { return adamUpdate(p, grad, s, o); }
    case 2u: { return adamwUpdate(p, grad, s, o); }
    default: {
      let r = sgdUpdate(p, grad, s.x, o.h);
      return vec3<f32>(r, 0.0);
    }
  }
}

// The 4-lane form (the vec4 kernels' rows): 4 neighbouring elements' parameters and gradients,
// and their state as stored, s[0] and s[1] the vec4s at (first element * STATE) / 4 onwards: with
// STATE 1 s[0] holds the 4 lanes' state; with STATE 2 s[0] = (m0, v0, m1, v1), s[1] = (m2, v2,
// m3, v3). Each lane is computed as optimizerUpdate computes it; the state comes back as stored.
struct Update4 { p: vec4<f32>, s: array<vec4<f32>, 2> }

fn optimizerUpdate4(p: vec4<f32>, grad: vec4<f32>, s: array<vec4<f32>, 2>, o: Optimizer) -> Update4 {
  let two = STATE == 2u;
  let x = optimizerUpdate(p.x, grad.x, select(vec2<f32>(s[0].x, 0.0), s[0].xy, two), o);
  let y = optimizerUpdate(p.y, grad.y, select(vec2<f32>(s[0].y, 0.0), s[0].zw, two), o);
  let z = optimizerUpdate(p.z, grad.z, select(vec2<f32>(s[0].z, 0.0), s[1].xy, two), o);
  let w = optimizerUpdate(p.w, grad.w, select(vec2<f32>(s[0].w, 0.0), s[1].zw, two), o);
  let np = vec4<f32>(x.x, y.x, z.x, w.x);
  if (two) {
    return Update4(np, array<vec4<f32>, 2>(vec4<f32>(x.yz, y.yz), vec4<f32>(z.yz, w.yz)));
  }
  return Update4(np, array<vec4<f32>, 2>(vec4<f32>(x.y, y.y, z.y, w.y), vec4<f32>()));
}
