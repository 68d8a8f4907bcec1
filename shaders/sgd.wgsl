// In-place SGD with PyTorch's semantics (torch.optim.SGD, dampening 0), one invocation per
// group of parameter elements (grid-stride: invocation i handles i, i + T, i + 2T, ... for T
// invocations in all, so neighbouring invocations touch neighbouring elements):
//   g' = g + weightDecay * p
//   v  = momentum * v + g'                       (only when momentum != 0; v starts at zero,
//                                                 which equals PyTorch's first-step v = g')
//   p -= lr * (nesterov ? g' + momentum * v : v)  (g' itself without momentum)
// The hyper-parameters live in one uniform shared by every tensor, rewritten between submits for
// learning-rate schedules. Workgroup 256, grid ceil(n / (256 * 16)): about 16 elements per
// invocation, which amortises the per-invocation cost that dominates on CPU adapters.
// Bindings: 0 dims (uniform n), 1 hyper (uniform lr, momentum, weightDecay, nesterov), 2 param,
// 3 grad, 4 velocity (untouched while momentum is 0).

struct Dims { n: u32, pad0: u32, pad1: u32, pad2: u32 }
struct Hyper { lr: f32, momentum: f32, weightDecay: f32, nesterov: u32 }

@group(0) @binding(0) var<uniform> dims: Dims;
@group(0) @binding(1) var<uniform> hyper: Hyper;
@group(0) @binding(2) var<storage, read_write> param: array<f32>;
@group(0) @binding(3) var<storage, read> grad: array<f32>;
@group(0) @binding(4) var<storage, read_write> velocity: array<f32>;

@compute @workgroup_size(256)
fn sgd_update(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let h = hyper;
  let stride = groups.x * 256u;
  for (var i = gid.x; i < dims.n; i += stride) {
    let p = param[i];
    let g = grad[i] + h.weightDecay * p;
    var update = g;
    if (h.momentum != 0.0) {
      let v = h.momentum * velocity[i] + g;
      velocity[i] = v;
      update = select(v, g + h.momentum * v, h.nesterov != 0u);
    }
    param[i] = p - h.lr * update;
  }
}
