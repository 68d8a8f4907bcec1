// The hidden layers' activations and their derivatives, shared by every kernel that applies one:
// activation.wgsl (element-wise), matmul.wgsl (a forward layer's epilogue, an input gradient's
// backward epilogue) and output_layer.wgsl (the delta of the layer below). src/gpu/shaders.ts
// appends this file to each; it declares no bindings. The kind is a u32, each kernel's ACTIVATION
// override (src/gpu/kernels/activation.ts: ACTIVATION_CODES):
//   0 none     y = x                     dy/dx = 1
//   1 sigmoid  y = 1 / (1 + e^-x)        dy/dx = y (1 - y)
//   2 relu     y = max(x, 0)             dy/dx = 1 where y > 0, else 0 (PyTorch's choice at 0)
//   3 tanh     y = tanh(x)               dy/dx = 1 - y^2
// Derivatives are written with the output y, which is what the forward pass keeps.
// exp only ever sees a negative argument: e^-|v| lies in (0, 1], so nothing overflows. WGSL lets
// implementations assume overflow never happens, so the naive 1 / (1 + e^-v), or a builtin tanh
// computed through e^2v, is indeterminate for large |v| rather than the saturated 0, 1 or +-1.

fn activate(v: f32, kind: u32) -> f32 {
  switch (kind) {
    case 1u: {
      let e = exp(-abs(v));
      return select(e / (1.0 + e), 1.0 / (1.0 + e), v >= 0.0);
    }
    case 2u: { return max(v, 0.0); }
    case 3u: {
      let e = exp(-2.0 * abs(v));
      return sign(v) * (1.0 - e) / (1.0 + e);
    }
    default: { return v; }
  }
}

fn activationGrad(y: f32, kind: u32) -> f32 {
  switch (kind) {
    case 1u: { return y * (1.0 - y); }
    case 2u: { return select(0.0, 1.0, y > 0.0); }
    case 3u: { return 1.0 - y * y; }
    default: { return 1.0; }
  }
}

// The same on 4 values (the vec4 kernels' rows).
fn activate4(v: vec4<f32>, kind: u32) -> vec4<f32> {
  return vec4<f32>(activate(v.x, kind), activate(v.y, kind), activate(v.z, kind), activate(v.w, kind));
}

fn activationGrad4(y: vec4<f32>, kind: u32) -> vec4<f32> {
  return vec4<f32>(activationGrad(y.x, kind), activationGrad(y.y, kind), activationGrad(y.z, kind), activationGrad(y.w, kind));
}
