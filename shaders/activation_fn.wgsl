// The hidden layers' activations and their derivatives, shared by every kernel that applies one:
// activation.wgsl (element-wise), matmul.wgsl (a forward layer's epilogue, an input gradient's
// backward epilogue) and output_layer.wgsl (the delta of the layer below). src/gpu/shaders.ts
// appends this file to each; it declares no bindings. The kind is a u32, each kernel's ACTIVATION
// override (the codes of src/model/activations.ts's ACTIVATION_TABLE):
//   0 none        y = x                          dy/dx = 1
//   1 sigmoid     y = 1 / (1 + e^-x)             dy/dx = y (1 - y)
//   2 relu        y = max(x, 0)                  dy/dx = 1 where y > 0, else 0 (PyTorch's choice at 0)
//   3 tanh        y = tanh(x)                    dy/dx = 1 - y^2
//   4 gelu        y = x Phi(x), Phi(x) = (1 + erf(x / sqrt 2)) / 2     dy/dx = Phi(x) + x phi(x)
//   5 leaky_relu  y = x where x > 0, else 0.01 x dy/dx = 1 where y > 0, else 0.01
// activationGrad takes what the forward pass kept for the kind: its output y, except for GELU,
// whose derivative needs the input x (ACTIVATION_TABLE's backwardReads).
// exp only ever sees a negative argument: e^-|v| lies in (0, 1], so nothing overflows. WGSL lets
// implementations assume overflow never happens, so the naive 1 / (1 + e^-v), or a builtin tanh
// computed through e^2v, is indeterminate for large |v| rather than the saturated 0, 1 or +-1.

const GELU = 4u;
const LEAKY_SLOPE = 0.01;
const SQRT1_2 = 0.70710678118654752;
const INV_SQRT_2PI = 0.39894228040143268;

// erf(v): WGSL has none. For |v| < 0.5 its Maclaurin series to v^11 (truncation below 2e-8), where
// the general form below loses bits to cancellation; else Abramowitz & Stegun 7.1.26,
// erf |v| = 1 - t (a1 + t (a2 + ... + t a5)) e^-v^2 with t = 1 / (1 + p |v|), 1.5e-7 in exact
// arithmetic, odd in v. Measured in f32 on SwiftShader against a float64 erf (src/reference/erf.ts)
// at every 2^-12 of [-6, 6] (test/gpu/activation.test.ts): at most 2.64e-7 off (A&S alone
// everywhere: 4.53e-7). exp only sees -v^2 <= 0.
fn erf(v: f32) -> f32 {
  let a = abs(v);
  if (a < 0.5) {
    let s = v * v;
    return v * 1.1283791670955126 * (1.0 + s * (-1.0 / 3.0 + s * (1.0 / 10.0 + s * (-1.0 / 42.0 + s * (1.0 / 216.0 + s * (-1.0 / 1320.0))))));
  }
  let t = 1.0 / (1.0 + 0.3275911 * a);
  let poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return sign(v) * (1.0 - poly * exp(-a * a));
}

fn normalCdf(v: f32) -> f32 {
  return 0.5 * (1.0 + erf(v * SQRT1_2));
}

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
    case GELU: { return v * normalCdf(v); }
    case 5u: { return select(LEAKY_SLOPE * v, v, v > 0.0); }
    default: { return v; }
  }
}

// `kept` is y, or x for GELU.
fn activationGrad(kept: f32, kind: u32) -> f32 {
  let y = kept;
  switch (kind) {
    case 1u: { return y * (1.0 - y); }
    case 2u: { return select(0.0, 1.0, y > 0.0); }
    case 3u: { return 1.0 - y * y; }
    case GELU: { return normalCdf(kept) + kept * INV_SQRT_2PI * exp(-0.5 * kept * kept); }
    case 5u: { return select(LEAKY_SLOPE, 1.0, y > 0.0); }
    default: { return 1.0; }
  }
}

// The same on 4 values (the vec4 kernels' rows).
fn activate4(v: vec4<f32>, kind: u32) -> vec4<f32> {
  return vec4<f32>(activate(v.x, kind), activate(v.y, kind), activate(v.z, kind), activate(v.w, kind));
}

fn activationGrad4(kept: vec4<f32>, kind: u32) -> vec4<f32> {
  return vec4<f32>(activationGrad(kept.x, kind), activationGrad(kept.y, kind), activationGrad(kept.z, kind), activationGrad(kept.w, kind));
}
