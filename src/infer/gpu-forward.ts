// The network's forward pass on the GPU, and nothing else: every layer's forward dispatch
// (src/model/layers/*: matmul with its bias + activation epilogue, conv2d with the same, maxpool2d;
// flatten is a view) over buffers allocated once for `maxRows` samples, the weights uploaded once.
import type { GpuContext } from '../gpu/context.ts';
import { encodeDispatches, type Dispatch } from '../gpu/dispatch.ts';
import { defaultConv2dVariant, type Conv2dDirection } from '../gpu/kernels/conv2d.ts';
import type { Conv2dShape } from '../reference/conv.ts';
import type { MatmulVariant } from '../gpu/kernels/matmul.ts';
import { layerForward } from '../model/layers/index.ts';
import type { ForwardLayer } from '../model/layers/layer.ts';
import type { LayerParams } from '../model/network.ts';
import { elementCount } from '../model/spec.ts';

export class GpuForward {
  private readonly input: GPUBuffer;
  private readonly layers: ForwardLayer[];
  /** The dispatches for a batch of `rows` samples: made once per row count (a full batch and the
   * last, ragged one), since each holds its uniforms and bind groups. */
  private readonly byRows = new Map<number, Promise<Dispatch[]>>();

  constructor(
    private readonly ctx: GpuContext,
    network: readonly LayerParams[],
    readonly maxRows: number,
    private readonly matmul: MatmulVariant,
  ) {
    this.input = ctx.storage('input', maxRows * elementCount(network[0].layer.inShape) * 4);
    this.layers = network.filter(({ layer }) => !layerForward(layer.spec.type).view).map(({ layer, params }) => ({
      layer,
      params: params.map((p, i) => ctx.storage(layer.params[i].name, p)),
      act: ctx.storage(`${layer.name} output`, maxRows * elementCount(layer.outShape) * 4),
      pre: null,
    }));
  }

  /** The last layer's outputs (rows, classes) for x (rows, ...inShape), rows <= maxRows. */
  async run(x: Float32Array, rows: number): Promise<Float32Array> {
    const { ctx } = this;
    ctx.write(this.input, x);
    let dispatches = this.byRows.get(rows);
    if (!dispatches) this.byRows.set(rows, (dispatches = this.dispatches(rows)));
    const encoder = ctx.device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    encodeDispatches(pass, await dispatches);
    pass.end();
    ctx.device.queue.submit([encoder.finish()]);
    const last = this.layers[this.layers.length - 1];
    return ctx.readF32(last.act, rows * elementCount(last.layer.outShape));
  }

  private async dispatches(rows: number): Promise<Dispatch[]> {
    // No trials here: the inference entry carries no CPU twins to check candidates against.
    const plan = { ctx: this.ctx, rows, kernels: { matmul: async () => this.matmul, conv2d: async (direction: Conv2dDirection, shape: Conv2dShape) => defaultConv2dVariant(direction, shape) } };
    const out: Dispatch[] = [];
    let x = this.input;
    for (const g of this.layers) {
      out.push(...(await layerForward(g.layer.spec.type).forwardGpu(plan, g, x)));
      x = g.act;
    }
    return out;
  }
}
