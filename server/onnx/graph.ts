// The one set of helpers for writing ONNX graphs with onnx-proto (value infos,
// attributes, tensors, a node collector, model encoding), so the builders
// (the tiny GPT-2 and RoBERTa models, the statistics head) and the graph
// rewrites (rewrite.ts and its users) read as what they build rather than
// protobuf plumbing.
import pkg from 'onnx-proto';

const { onnx } = pkg;
export { onnx };
export type Node = pkg.onnx.INodeProto;
export type Tensor = pkg.onnx.ITensorProto;
export type ValueInfo = pkg.onnx.IValueInfoProto;
export type Graph = pkg.onnx.IGraphProto;
export type Attribute = pkg.onnx.IAttributeProto;

export const { FLOAT, FLOAT16, INT8, INT32, INT64, BOOL } = onnx.TensorProto.DataType;
/** The custom-operator domain of onnxruntime's fused CPU kernels. */
export const MS_DOMAIN = 'com.microsoft';

export type Dim = number | string;

export interface NodeSpec {
  opType: string;
  input: string[];
  output: string[];
  domain?: string;
  attribute?: Record<string, unknown>[];
}

/** A tensor input or output; without `dims` its shape is left unstated. */
export function valueInfo(name: string, elemType: number, dims?: Dim[]): ValueInfo {
  const shape = dims ? { shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) } } : {};
  return { name, type: { tensorType: { elemType, ...shape } } };
}

export function floatTensor(name: string, dims: number[], data: Float32Array): Tensor {
  return onnx.TensorProto.create({
    name,
    dims,
    dataType: FLOAT,
    rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  });
}

export function int64Tensor(name: string, dims: number[], data: number[]): Tensor {
  return onnx.TensorProto.create({ name, dims, dataType: INT64, int64Data: data });
}

const ATTR = onnx.AttributeProto.AttributeType;
export const intAttr = (name: string, i: number) => ({ name, type: ATTR.INT, i });
export const floatAttr = (name: string, f: number) => ({ name, type: ATTR.FLOAT, f });
export const intsAttr = (name: string, ints: number[]) => ({ name, type: ATTR.INTS, ints });
export const graphAttr = (name: string, g: Graph) => ({ name, type: ATTR.GRAPH, g });

/** A model of one graph at opset 17 (plus onnxruntime's com.microsoft ops), encoded. */
export function encodeModel(graph: Graph, producer: string): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: producer,
    opsetImport: [
      { domain: '', version: 17 },
      { domain: MS_DOMAIN, version: 1 },
    ],
    graph,
  });
  return onnx.ModelProto.encode(model).finish();
}

/** Collects nodes and initializers with unique names. */
export class GraphBuilder {
  nodes: NodeSpec[] = [];
  initializers: Tensor[] = [];
  private counter = 0;

  fresh(prefix: string): string {
    return `${prefix}_${this.counter++}`;
  }

  op(opType: string, input: string[], attrs: Record<string, unknown>[] = [], domain?: string, outName?: string): string {
    const out = outName ?? this.fresh(opType.toLowerCase());
    this.nodes.push({ opType, input, output: [out], attribute: attrs, ...(domain ? { domain } : {}) });
    return out;
  }

  weight(name: string, dims: number[], data: Float32Array): string {
    this.initializers.push(floatTensor(name, dims, data));
    return name;
  }

  int64(name: string, dims: number[], data: number[]): string {
    this.initializers.push(int64Tensor(name, dims, data));
    return name;
  }

  encode(opts: {
    inputs: ValueInfo[];
    outputs: ValueInfo[];
    producer: string;
  }): Uint8Array {
    return encodeModel({ name: 'main', node: this.nodes, initializer: this.initializers, input: opts.inputs, output: opts.outputs }, opts.producer);
  }
}
