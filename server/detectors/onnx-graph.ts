// Small helpers for writing ONNX graphs with onnx-proto, so the detector
// builder reads as the architecture it builds rather than protobuf plumbing.
import pkg from 'onnx-proto';

const { onnx } = pkg;
export { onnx };

export const FLOAT = onnx.TensorProto.DataType.FLOAT;
export const INT64 = onnx.TensorProto.DataType.INT64;
export const INT32 = onnx.TensorProto.DataType.INT32;

export type Dim = number | string;

export interface NodeSpec {
  opType: string;
  input: string[];
  output: string[];
  domain?: string;
  attribute?: Record<string, unknown>[];
}

export function valueInfo(name: string, elemType: number, dims: Dim[]): Record<string, unknown> {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
      },
    },
  };
}

export function floatTensor(name: string, dims: number[], data: Float32Array): object {
  return onnx.TensorProto.create({
    name,
    dims,
    dataType: FLOAT,
    rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  });
}

export function int64Tensor(name: string, dims: number[], data: number[]): object {
  return onnx.TensorProto.create({ name, dims, dataType: INT64, int64Data: data });
}

export const intAttr = (name: string, i: number) => ({ name, type: 2, i });
export const floatAttr = (name: string, f: number) => ({ name, type: 1, f });
export const intsAttr = (name: string, ints: number[]) => ({ name, type: 7, ints });

/** Collects nodes and initializers with unique names. */
export class GraphBuilder {
  nodes: NodeSpec[] = [];
  initializers: object[] = [];
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
    inputs: Record<string, unknown>[];
    outputs: Record<string, unknown>[];
    producer: string;
  }): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: opts.producer,
      opsetImport: [
        { domain: '', version: 17 },
        { domain: 'com.microsoft', version: 1 },
      ],
      graph: {
        name: 'main',
        node: this.nodes,
        initializer: this.initializers,
        input: opts.inputs,
        output: opts.outputs,
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}
