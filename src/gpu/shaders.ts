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

// Each kernel family's module is an export of its own, joined by a call annotated pure, so a bundle
// that imports only some of them (the inference entry: matmul, conv2d, maxpool2d) carries only
// their WGSL (esbuild keeps an unused template literal, whose parts could have side effects).
const wgsl = (...parts: string[]): string => parts.join('\n');
export const activationSource = /* @__PURE__ */ wgsl(activation, activationFn);
export const biasGradSource = /* @__PURE__ */ wgsl(biasGrad, optimizer);
export const conv2dSource = /* @__PURE__ */ wgsl(conv2d, optimizer, activationFn);
export const logSoftmaxSource = /* @__PURE__ */ wgsl(logSoftmax, lossFn);
export const matmulSource = /* @__PURE__ */ wgsl(matmul, optimizer, activationFn);
/** Only for devices with the 'subgroups' feature: the directive must open the module. */
export const matmulSubgroupsSource = /* @__PURE__ */ wgsl('enable subgroups;', matmulSource, matmulSubgroups);
export const maxpool2dSource = /* @__PURE__ */ wgsl(maxpool2d, activationFn);
export const metricsSource = /* @__PURE__ */ wgsl(metrics, stepRecord);
export const outputLayerSource = /* @__PURE__ */ wgsl(outputLayer, optimizer, activationFn, lossFn, stepRecord);
export const squaredErrorSource = /* @__PURE__ */ wgsl(squaredError, lossFn);
export const updateSource = /* @__PURE__ */ wgsl(update, optimizer);

export const shaders = {
  activation: activationSource,
  bench,
  biasGrad: biasGradSource,
  conv2d: conv2dSource,
  gather,
  logSoftmax: logSoftmaxSource,
  matmul: matmulSource,
  matmulSubgroups: matmulSubgroupsSource,
  maxpool2d: maxpool2dSource,
  metrics: metricsSource,
  outputLayer: outputLayerSource,
  squaredError: squaredErrorSource,
  update: updateSource,
} as const;

/** A `const NAME = <integer>u;` of a shader: the workgroup sizes and tiles that the WGSL is written
 * around, read from it so the wrappers that size dispatch grids never restate them. */
export function wgslConst(source: string, name: string): number {
  const m = new RegExp(`\\bconst\\s+${name}\\s*(?::\\s*\\w+\\s*)?=\\s*(\\d+)u?\\s*;`).exec(source);
  if (!m) throw new Error(`shader constant ${name} not found`);
  return Number(m[1]);
}
