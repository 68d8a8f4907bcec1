// The notebook's toy network (part 1) trained by the MNIST MLP's own GPU step: the notebook's
// neurons become an Mlp (weight row j = neuron j's weights, bias = its last weight) and each row
// is a batch of one, so per-sample SGD is the 'squared' training step run once per row. The CPU
// twin is trainNetwork in src/reference/toy.ts, in float64; here everything is float32.
import type { GpuContext } from '../gpu/context.ts';
import { KernelChooser } from '../gpu/kernel-choice.ts';
import { createRunRecord, resetRecord } from '../gpu/kernels/metrics.ts';
import { runSteps } from '../gpu/runner.ts';
import { SgdParams } from '../gpu/kernels/sgd.ts';
import type { Mlp } from '../reference/mlp.ts';
import type { ReadonlyToyNetwork, ToyNetwork, ToyRow } from '../reference/toy.ts';
import { createGpuModel } from './gpu-model.ts';
import { trainStepDispatches } from './step.ts';

/** PyTorch's layout of the notebook's network, rounded to float32. Shapes are checked here
 * because a kernel would read a ragged network as garbage rather than fail. */
function toMlp(network: ReadonlyToyNetwork): Mlp {
  const sizes = [network[0][0].weights.length - 1, ...network.map((layer) => layer.length)];
  const layers = network.map((layer, i) => {
    layer.forEach((neuron, j) => {
      if (neuron.weights.length !== sizes[i] + 1) {
        throw new RangeError(`layer ${i} neuron ${j} has ${neuron.weights.length} weights, expected ${sizes[i] + 1}`);
      }
    });
    return {
      name: `fc${i + 1}`,
      in: sizes[i],
      out: sizes[i + 1],
      weight: Float32Array.from(layer.flatMap((neuron) => neuron.weights.slice(0, -1))),
      bias: Float32Array.from(layer, (neuron) => neuron.weights[sizes[i]]),
    };
  });
  return { sizes, layers };
}

/** Per-sample SGD on the GPU for `epochs` passes over the rows in order, as trainNetwork does on
 * the CPU: returns each epoch's summed squared error and the trained network, with the outputs
 * and deltas of the last row (float32 values widened to number), and the dispatches each row
 * costs (besides two buffer copies). `network` is not modified. */
export async function trainToyOnGpu(
  ctx: GpuContext,
  network: ReadonlyToyNetwork,
  dataset: readonly ToyRow[],
  lrate: number,
  epochs: number,
  onEpoch?: (epoch: number, error: number) => void,
): Promise<{ errors: number[]; network: ToyNetwork; dispatchesPerRow: number }> {
  const mlp = toMlp(network);
  const nIn = mlp.sizes[0];
  const nOut = mlp.sizes[mlp.sizes.length - 1];
  dataset.forEach((row, i) => {
    const label = row[nIn];
    // The kernels would compare against an out-of-range one-hot index instead of failing.
    if (row.length !== nIn + 1 || !Number.isInteger(label) || label < 0 || label >= nOut) {
      throw new RangeError(`row ${i} must be ${nIn} inputs and a label in [0, ${nOut}), got [${row.join(', ')}]`);
    }
  });

  const kernels = await KernelChooser.create(ctx);
  const model = createGpuModel(ctx, mlp, { maxBatch: 1, momentum: false, storedGradients: false });
  const steps = dataset.length;
  // The whole data set stays on the GPU; each step copies its row into the batch-of-one buffers.
  const rows = ctx.storage('toy rows', Float32Array.from(dataset.flatMap((row) => row.slice(0, nIn))));
  const labels = ctx.storage('toy labels', Uint32Array.from(dataset, (row) => row[nIn]));
  const record = createRunRecord(ctx, 'toy', steps);
  const step = await trainStepDispatches({ ctx, model, kernels, rows: 1, loss: 'squared', record, keepOutputs: true }, SgdParams.create(ctx, { lr: lrate }));

  const errors: number[] = [];
  for (let epoch = 0; epoch < epochs; epoch++) {
    resetRecord(ctx, record);
    const losses = await runSteps(ctx, {
      label: `toy epoch ${epoch}`,
      steps,
      dispatches: () => step,
      beforeStep: (enc, s) => {
        enc.copyBufferToBuffer(rows, s * nIn * 4, model.input, 0, nIn * 4);
        enc.copyBufferToBuffer(labels, s * 4, model.labels, 0, 4);
      },
    }, { buffer: record.buffer, offset: record.layout.losses * 4, bytes: steps * 4 });
    // Each slot is one row's Σ (out − y)²; added in row order like the notebook's sum_error.
    const error = new Float32Array(losses).reduce((sum, e) => sum + e, 0);
    errors.push(error);
    onEpoch?.(epoch, error);
  }

  const trained: ToyNetwork = [];
  for (const l of model.layers) {
    const weight = await ctx.readF32(l.weight, l.out * l.in);
    const bias = await ctx.readF32(l.bias, l.out);
    // act and dz of the batch of one: the last row's outputs and deltas.
    const output = await ctx.readF32(l.act, l.out);
    const delta = await ctx.readF32(l.gradZ, l.out);
    trained.push(Array.from({ length: l.out }, (_, j) => ({
      weights: [...weight.subarray(j * l.in, (j + 1) * l.in), bias[j]],
      output: output[j],
      delta: delta[j],
    })));
  }
  return { errors, network: trained, dispatchesPerRow: step.length };
}
