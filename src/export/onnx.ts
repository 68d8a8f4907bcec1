// A trained network as an ONNX model (opset 17, IR version 8): the graph computes what the
// trainer's forward pass computes, layer by layer, from standard operators only (Gemm, Conv,
// MaxPool, Flatten, the activations, LogSoftmax), so ONNX Runtime and any other ONNX consumer run
// it. Opset 17 is the newest that Debian's onnx 1.12 checker knows; GELU (an operator only since
// opset 20) is written out as x * 0.5 * (1 + Erf(x / sqrt 2)), the exact form the trainer computes.
// The protobuf is written with @bufbuild/protobuf from ONNX's own schema (./onnx-proto/).
import { create, toBinary } from '@bufbuild/protobuf';
import type { Activation } from '../model/activations.ts';
import { describeNetwork, type Conv2dSpec, type Maxpool2dSpec, type NetworkSpec, type ResolvedLayer } from '../model/spec.ts';
import { resolveWeights, type Mlp } from '../reference/mlp.ts';
import { modelMetadata } from '../train/safetensors.ts';
import {
  AttributeProto_AttributeType, AttributeProtoSchema, GraphProtoSchema, ModelProtoSchema, NodeProtoSchema, TensorProto_DataType,
  TensorProtoSchema, ValueInfoProtoSchema, Version, type AttributeProto, type NodeProto, type TensorProto, type ValueInfoProto,
} from './onnx-proto/onnx_pb.ts';

/** The operator set the graph uses (the default domain's). */
export const ONNX_OPSET = 17;
/** Written as the model's producer; test/unit/onnx-export.test.ts keeps the version equal to
 * package.json's. */
export const ONNX_PRODUCER = { name: 'webgpu-mnist-trainer', version: '0.1.0' } as const;

/** The graph's input, (N, ...one sample's shape). */
export const ONNX_INPUT = 'input';
/** The output layer's values before its activation, (N, classes). */
export const ONNX_LOGITS = 'logits';
/** What the loss reads, (N, classes): log-softmax of the logits ('nll') or their sigmoid ('squared'). */
export const ONNX_SCORES = { nll: 'log_probs', squared: 'probabilities' } as const;

export interface OnnxExportOptions {
  /** Class i's name (a CSV run's labels), written to the metadata as a JSON list; at most one per
   * output (a network may have more outputs than its data has classes). */
  classNames?: readonly string[] | null;
}

/** What the input holds, for its doc string: as the trainer feeds a network. */
const INPUT_DOC = 'float32 samples as the trainer feeds them: image bytes divided by 255 (values in [0, 1]), a CSV\'s feature values as they are';

/** The ONNX model of `weights` computing as `spec` says. The weights are checked against the
 * spec's layers first: a RangeError names the first tensor that differs. */
export function exportOnnx(weights: Mlp, spec: NetworkSpec, options: OnnxExportOptions = {}): Uint8Array {
  const layers = resolveWeights(weights, spec);
  const classes = layers[layers.length - 1].outShape[0];
  const classNames = options.classNames ?? null;
  if (classNames && classNames.length > classes) {
    throw new RangeError(`${classNames.length} class names given for a network of ${classes} outputs: give at most one name per output`);
  }
  const g = new GraphBuilder();
  let x = ONNX_INPUT;
  let perSample = weights.inputShape.length;
  layers.forEach((layer, l) => {
    const last = l === layers.length - 1;
    const params = weights.layers[l].params;
    params.forEach((p) => g.initializer(p.name, p.shape, p.data));
    // A dense layer reads an image as its flat rows (the notebook's x.view(-1, 784)).
    if (layer.spec.type === 'dense' && perSample > 1) x = g.node('Flatten', [x], `${layer.name}.flatten`, [int('axis', 1)]);
    // The output layer's pre-activation is the logits, whatever its activation.
    const out = `${layer.name}.out`;
    const pre = last ? ONNX_LOGITS : layer.activation === 'none' ? out : `${layer.name}.pre`;
    x = LAYER_NODES[layer.spec.type](g, layer, x, params.map((p) => p.name), pre);
    if (layer.activation !== 'none') x = ACTIVATION_NODES[layer.activation](g, x, last ? ONNX_SCORES[spec.loss] : out, layer.name);
    perSample = layer.outShape.length;
  });
  if (spec.loss === 'nll') g.node('LogSoftmax', [ONNX_LOGITS], ONNX_SCORES.nll, [int('axis', 1)]);

  const model = create(ModelProtoSchema, {
    irVersion: BigInt(Version.IR_VERSION),
    opsetImport: [{ domain: '', version: BigInt(ONNX_OPSET) }],
    producerName: ONNX_PRODUCER.name,
    producerVersion: ONNX_PRODUCER.version,
    docString: `${describeNetwork(layers)}, trained by ${ONNX_PRODUCER.name}`,
    metadataProps: Object.entries(modelMetadata(weights, spec, classNames)).map(([key, value]) => ({ key, value })),
    graph: create(GraphProtoSchema, {
      name: describeNetwork(layers),
      node: g.nodes,
      initializer: g.initializers,
      input: [tensorValue(ONNX_INPUT, weights.inputShape, INPUT_DOC)],
      output: [
        tensorValue(ONNX_LOGITS, [classes], 'the output layer before its activation'),
        tensorValue(ONNX_SCORES[spec.loss], [classes], spec.loss === 'nll' ? 'log-softmax of the logits' : 'sigmoid of the logits, each in [0, 1]'),
      ],
    }),
  });
  return toBinary(ModelProtoSchema, model);
}

/** A float tensor of (N, ...perSample), N the dynamic batch. */
function tensorValue(name: string, perSample: readonly number[], docString: string): ValueInfoProto {
  const dim = [{ value: { case: 'dimParam' as const, value: 'N' } }, ...perSample.map((d) => ({ value: { case: 'dimValue' as const, value: BigInt(d) } }))];
  return create(ValueInfoProtoSchema, { name, docString, type: { value: { case: 'tensorType', value: { elemType: TensorProto_DataType.FLOAT, shape: { dim } } } } });
}

const int = (name: string, i: number): AttributeProto => create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.INT, i: BigInt(i) });
const ints = (name: string, values: number[]): AttributeProto =>
  create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.INTS, ints: values.map(BigInt) });
const float = (name: string, f: number): AttributeProto => create(AttributeProtoSchema, { name, type: AttributeProto_AttributeType.FLOAT, f });

/** Nodes in order and the initializers (weights and constants) they read. */
class GraphBuilder {
  readonly nodes: NodeProto[] = [];
  readonly initializers: TensorProto[] = [];

  /** A node writing `output`, named after it; returns the output's name. */
  node(opType: string, input: string[], output: string, attribute: AttributeProto[] = []): string {
    this.nodes.push(create(NodeProtoSchema, { opType, input, output: [output], name: output, attribute }));
    return output;
  }

  /** A float32 tensor stored as its little-endian bytes (raw_data); returns its name. */
  initializer(name: string, shape: readonly number[], data: Float32Array): string {
    // Float32Array is platform-endian; every WebGPU platform is little-endian (as the safetensors writer).
    const rawData = new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
    this.initializers.push(create(TensorProtoSchema, { name, dims: shape.map(BigInt), dataType: TensorProto_DataType.FLOAT, rawData }));
    return name;
  }
}

type LayerNodes = (g: GraphBuilder, layer: ResolvedLayer, x: string, params: string[], out: string) => string;

/** Each layer type as nodes, from its input x to `out`, without its activation. */
const LAYER_NODES: Record<ResolvedLayer['spec']['type'], LayerNodes> = {
  // y = x W^T + b, W (out, in) as PyTorch keeps it.
  dense: (g, _layer, x, [w, b], out) => g.node('Gemm', [x, w, b], out, [int('transB', 1)]),
  conv2d: (g, layer, x, [w, b], out) => {
    const { kernel, stride, padding } = layer.spec as Conv2dSpec;
    return g.node('Conv', [x, w, b], out, [ints('kernel_shape', [kernel, kernel]), ints('strides', [stride, stride]), ints('pads', [padding, padding, padding, padding])]);
  },
  // Windows of stride = kernel, no padding, the remainder dropped (ONNX's default floor).
  maxpool2d: (g, layer, x, _params, out) => {
    const { kernel } = layer.spec as Maxpool2dSpec;
    return g.node('MaxPool', [x], out, [ints('kernel_shape', [kernel, kernel]), ints('strides', [kernel, kernel])]);
  },
  flatten: (g, _layer, x, _params, out) => g.node('Flatten', [x], out, [int('axis', 1)]),
};

type ActivationNodes = (g: GraphBuilder, x: string, out: string, layer: string) => string;

/** Each activation as nodes from x to `out`; `layer` names the intermediate values. */
const ACTIVATION_NODES: Record<Exclude<Activation, 'none'>, ActivationNodes> = {
  sigmoid: (g, x, out) => g.node('Sigmoid', [x], out),
  relu: (g, x, out) => g.node('Relu', [x], out),
  tanh: (g, x, out) => g.node('Tanh', [x], out),
  // PyTorch's negative_slope 0.01, which a float attribute rounds to f32 as the trainer does.
  leaky_relu: (g, x, out) => g.node('LeakyRelu', [x], out, [float('alpha', 0.01)]),
  // x Phi(x), Phi(x) = (1 + erf(x / sqrt 2)) / 2, in the order the trainer evaluates it.
  gelu: (g, x, out, layer) => {
    const c = (name: string, v: number) => g.initializer(`${layer}.gelu.${name}`, [], Float32Array.of(v));
    const scaled = g.node('Mul', [x, c('sqrt1_2', Math.SQRT1_2)], `${layer}.gelu.scaled`);
    const erf = g.node('Erf', [scaled], `${layer}.gelu.erf`);
    const cdf = g.node('Mul', [g.node('Add', [erf, c('one', 1)], `${layer}.gelu.sum`), c('half', 0.5)], `${layer}.gelu.cdf`);
    return g.node('Mul', [x, cdf], out);
  },
};
