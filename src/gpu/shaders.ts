// Every WGSL source of the project, imported as text. Vite (app, Vitest) understands `?raw`;
// the Node CLIs get the same through src/node/raw-loader.mjs. The kernels that update parameters
// share optimizer.wgsl (the optimizers' formulas, no bindings), those that apply an activation
// activation_fn.wgsl, those that take a loss loss_fn.wgsl, and those that record a step
// step_record.wgsl, appended to their source here; the matmul's
// subgroup entry point is appended behind the directive that enables the feature.
import activation from '../../shaders/activation.wgsl?raw';
import activationFn from '../../shaders/activation_fn.wgsl?raw';
import bench from '../../shaders/bench.wgsl?raw';
import biasGrad from '../../shaders/bias_grad.wgsl?raw';
import conv2d from '../../shaders/conv2d.wgsl?raw';
import gather from '../../shaders/gather.wgsl?raw';
import logSoftmax from '../../shaders/log_softmax.wgsl?raw';
import lossFn from '../../shaders/loss_fn.wgsl?raw';
import matmul from '../../shaders/matmul.wgsl?raw';
import matmulSubgroups from '../../shaders/matmul_subgroups.wgsl?raw';
import maxpool2d from '../../shaders/maxpool2d.wgsl?raw';
import metrics from '../../shaders/metrics.wgsl?raw';
import optimizer from '../../shaders/optimizer.wgsl?raw';
import outputLayer from '../../shaders/output_layer.wgsl?raw';
import squaredError from '../../shaders/squared_error.wgsl?raw';
import stepRecord from '../../shaders/step_record.wgsl?raw';
import update from '../../shaders/update.wgsl?raw';

export const shaders = {
  activation: `${activation}\n${activationFn}`,
  bench,
  biasGrad: `${biasGrad}\n${optimizer}`,
  conv2d: `${conv2d}\n${optimizer}\n${activationFn}`,
  gather,
  logSoftmax: `${logSoftmax}\n${lossFn}`,
  matmul: `${matmul}\n${optimizer}\n${activationFn}`,
  /** Only for devices with the 'subgroups' feature: the directive must open the module. */
  matmulSubgroups: `enable subgroups;\n${matmul}\n${optimizer}\n${activationFn}\n${matmulSubgroups}`,
  maxpool2d: `${maxpool2d}\n${activationFn}`,
  metrics: `${metrics}\n${stepRecord}`,
  outputLayer: `${outputLayer}\n${optimizer}\n${activationFn}\n${lossFn}\n${stepRecord}`,
  squaredError: `${squaredError}\n${lossFn}`,
  update: `${update}\n${optimizer}`,
} as const;

/** A `const NAME = <integer>u;` of a shader: the workgroup sizes and tiles that the WGSL is written
 * around, read from it so the wrappers that size dispatch grids never restate them. */
export function wgslConst(source: string, name: string): number {
  const m = new RegExp(`\\bconst\\s+${name}\\s*(?::\\s*\\w+\\s*)?=\\s*(\\d+)u?\\s*;`).exec(source);
  if (!m) throw new Error(`shader constant ${name} not found`);
  return Number(m[1]);
}
