// The notebook's toy network (part 1) trained by the MNIST MLP's own GPU step: the notebook's
// neurons become an Mlp (weight row j = neuron j's weights, bias = its last weight) and each row
// is a batch of one, so per-sample SGD is the 'squared' training step run once per row. The CPU
// twin is trainNetwork in src/reference/toy.ts, in float64; here everything is float32.
// ToyGpuTrainer steps it a row or an epoch at a time (the dashboard's Part 1 tab);
// trainToyOnGpu runs whole epochs with it (`npm run toy -- --device gpu`).
import type { GpuContext } from '../gpu/context.ts';
import type { Dispatch } from '../gpu/dispatch.ts';
import { KernelChooser } from '../gpu/kernel-choice.ts';
import { createRunRecord, resetRecord, type RunRecord } from '../gpu/kernels/metrics.ts';
import { OptimizerParams } from '../gpu/kernels/optimizer.ts';
import { plainSgd } from '../model/optimizers.ts';
import { submitSteps } from '../gpu/runner.ts';
import { assembleMlp, notebookSpec, resolveMlp, type Mlp } from '../reference/mlp.ts';
import type { ReadonlyToyNetwork, ToyNetwork, ToyRow } from '../reference/toy.ts';
import { createGpuModel, type GpuModel } from './gpu-model.ts';
import { trainStepDispatches } from './step.ts';

/** PyTorch's layout of the notebook's network, rounded to float32. Shapes are checked here
 * because a kernel would read a ragged network as garbage rather than fail. */
function toMlp(network: ReadonlyToyNetwork): Mlp {
  const sizes = [network[0][0].weights.length - 1, ...network.map((layer) => layer.length)];
  return assembleMlp(resolveMlp(sizes), (_, i) => {
    const layer = network[i];
    layer.forEach((neuron, j) => {
      if (neuron.weights.length !== sizes[i] + 1) {
        throw new RangeError(`layer ${i} neuron ${j} has ${neuron.weights.length} weights, expected ${sizes[i] + 1}`);
      }
    });
    return [Float32Array.from(layer.flatMap((neuron) => neuron.weights.slice(0, -1))), Float32Array.from(layer, (neuron) => neuron.weights[sizes[i]])];
  });
}

/** Where a ToyGpuTrainer stands: the epoch it is in and how many of its rows are done. */
export interface ToyPosition {
  epoch: number;
  row: number;
}

/** The toy network on the GPU, stepped one row or one epoch at a time, rows in order as the
 * notebook's train_network takes them. Every buffer is allocated by create and freed by destroy. */
export class ToyGpuTrainer {
  private epoch = 0;
  private row = 0;

  private constructor(
    private readonly ctx: GpuContext,
    private readonly model: GpuModel,
    private readonly step: Dispatch[],
    private readonly record: RunRecord,
    private readonly rows: GPUBuffer,
    private readonly labels: GPUBuffer,
    private readonly nIn: number,
    private readonly rowCount: number,
    private readonly release: () => void,
  ) {}

  /** Uploads the network (rounded to float32) and the rows; `network` is not modified. */
  static async create(
    ctx: GpuContext,
    network: ReadonlyToyNetwork,
    dataset: readonly ToyRow[],
    lrate: number,
    kernels?: KernelChooser,
  ): Promise<ToyGpuTrainer> {
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
    const choice = kernels ?? (await KernelChooser.create(ctx));
    const release = ctx.trackNewBuffers();
    const model = createGpuModel(ctx, mlp, { maxBatch: 1, stateFloats: 0, storedGradients: false, spec: { ...notebookSpec(mlp.sizes), loss: 'squared' } });
    // The whole data set stays on the GPU; each step copies its row into the batch-of-one buffers.
    const rows = ctx.storage('toy rows', Float32Array.from(dataset.flatMap((row) => row.slice(0, nIn))));
    const labels = ctx.storage('toy labels', Uint32Array.from(dataset, (row) => row[nIn]));
    const record = createRunRecord(ctx, 'toy', dataset.length);
    // keepOutputs: the outputs and deltas of the last row are what the notebook prints.
    const step = await trainStepDispatches({ ctx, model, kernels: choice, rows: 1, record, keepOutputs: true },
      OptimizerParams.create(ctx, plainSgd(lrate)));
    return new ToyGpuTrainer(ctx, model, step, record, rows, labels, nIn, dataset.length, release);
  }

  /** Dispatches one row's step costs (besides two buffer copies). */
  get dispatchesPerRow(): number {
    return this.step.length;
  }

  get position(): ToyPosition {
    return { epoch: this.epoch, row: this.row };
  }

  /** Steps rows [row, end) of the current epoch in one submit. */
  private submitRows(end: number): void {
    // The step counter indexes each row's slot in the record: it restarts with each epoch.
    if (this.row === 0) resetRecord(this.ctx, this.record);
    const first = this.row;
    submitSteps(this.ctx, {
      label: `toy epoch ${this.epoch} rows ${first}-${end - 1}`,
      steps: end - first,
      dispatches: () => this.step,
      beforeStep: (enc, i) => {
        enc.copyBufferToBuffer(this.rows, (first + i) * this.nIn * 4, this.model.input, 0, this.nIn * 4);
        enc.copyBufferToBuffer(this.labels, (first + i) * 4, this.model.labels, 0, 4);
      },
    });
    this.row = end;
  }

  /** Rows' errors from the record: each slot is one row's sum of (out - y)^2. */
  private errors(firstRow: number, count: number): Promise<Float32Array> {
    return this.ctx.readF32(this.record.buffer, count, this.record.layout.losses + firstRow);
  }

  /** The epoch's error once its last row is done: each slot is one row's Σ (out − y)², added in
   * row order like the notebook's sum_error. Moves on to the next epoch. */
  private async closeEpoch(): Promise<number> {
    const error = (await this.errors(0, this.rowCount)).reduce((sum, e) => sum + e, 0);
    this.epoch++;
    this.row = 0;
    return error;
  }

  /** One row's step: its squared error, then the network after the update with this row's
   * outputs and deltas; `epochError` when it was the epoch's last row. */
  async stepRow(): Promise<{ at: ToyPosition; error: number; network: ToyNetwork; epochError: number | null }> {
    const at = this.position;
    this.submitRows(at.row + 1);
    const [error] = await this.errors(at.row, 1);
    const network = await this.readNetwork();
    const epochError = this.row === this.rowCount ? await this.closeEpoch() : null;
    return { at, error, network, epochError };
  }

  /** The rest of the current epoch (all of it when no row of it is done); its error. */
  async finishEpoch(): Promise<{ epoch: number; error: number }> {
    const epoch = this.epoch;
    this.submitRows(this.rowCount);
    return { epoch, error: await this.closeEpoch() };
  }

  /** The weights, and the outputs and deltas of the last row stepped (float32 widened). */
  async readNetwork(): Promise<ToyNetwork> {
    const network: ToyNetwork = [];
    for (const l of this.model.layers) {
      const [out, nIn] = l.layer.params[0].shape;
      const weight = await this.ctx.readF32(l.params[0], out * nIn);
      const bias = await this.ctx.readF32(l.params[1], out);
      // act and dz of the batch of one.
      const output = await this.ctx.readF32(l.act, out);
      const delta = await this.ctx.readF32(l.gradZ, out);
      network.push(Array.from({ length: out }, (_, j) => ({
        weights: [...weight.subarray(j * nIn, (j + 1) * nIn), bias[j]],
        output: output[j],
        delta: delta[j],
      })));
    }
    return network;
  }

  /** Frees this trainer's buffers; the context stays usable. */
  destroy(): void {
    this.release();
  }
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
  const trainer = await ToyGpuTrainer.create(ctx, network, dataset, lrate);
  try {
    const errors: number[] = [];
    for (let epoch = 0; epoch < epochs; epoch++) {
      const { error } = await trainer.finishEpoch();
      errors.push(error);
      onEpoch?.(epoch, error);
    }
    return { errors, network: await trainer.readNetwork(), dispatchesPerRow: trainer.dispatchesPerRow };
  } finally {
    trainer.destroy();
  }
}
