// Rewriting a model's graph without loading or copying its weights. A
// Hugging Face GPT-2 `model.onnx` keeps ~500 MB of initializers inside the
// file; decoding it to change a dozen outputs or nodes would hold it in memory
// twice more. Instead the file is walked field by field with small reads:
// nodes, inputs and outputs are decoded (they are small), and each initializer
// with its bytes inside the file becomes an external-data reference to those
// same bytes (location = the .onnx file itself, at their offset). The result is
// a graph of a few hundred kB that onnxruntime loads with its weights read from
// the original file. Nodes can be replaced or added, and small initializers
// added and read.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

// Field numbers from onnx.proto.
const MODEL_OPSET_IMPORT = 8;
const MODEL_GRAPH = 7;
const GRAPH_NODE = 1;
const GRAPH_INITIALIZER = 5;
const GRAPH_INPUT = 11;
const GRAPH_OUTPUT = 12;
const TENSOR_RAW_DATA = 9;
const TENSOR_EXTERNAL_DATA = 13;
const TENSOR_DATA_LOCATION = 14;
const EXTERNAL = 1;
/** Initializers smaller than this stay inside the new graph. */
const INLINE_LIMIT = 4096;

/** Random access to the model file. */
class Source {
  private readonly fd: number;
  readonly length: number;
  constructor(readonly path: string) {
    this.fd = openSync(path, 'r');
    this.length = fstatSync(this.fd).size;
  }
  read(pos: number, len: number): Uint8Array {
    const buf = new Uint8Array(Math.max(0, Math.min(len, this.length - pos)));
    let got = 0;
    while (got < buf.length) {
      const n = readSync(this.fd, buf, got, buf.length - got, pos + got);
      if (n === 0) break;
      got += n;
    }
    return buf.subarray(0, got);
  }
  close(): void {
    closeSync(this.fd);
  }
}

interface Field {
  field: number;
  wire: number;
  /** The whole field: tag, length and payload. */
  start: number;
  end: number;
  /** The payload of a length-delimited field. */
  dataStart: number;
}

function readVarint(buf: Uint8Array, pos: number, where: string): [number, number] {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= buf.length) throw new Error(`${where}: not a valid ONNX file, truncated or corrupt (varint runs past the end)`);
    const b = buf[pos++];
    value += (b & 0x7f) * scale;
    if (b < 0x80) return [value, pos];
    scale *= 128;
  }
  throw new Error(`${where}: not a valid ONNX file (malformed varint)`);
}

/** The fields of a message between `from` and `to`, reading only their headers. */
function fields(src: Source, from: number, to: number): Field[] {
  const out: Field[] = [];
  let pos = from;
  while (pos < to) {
    const head = src.read(pos, 20); // tag and length varints: at most 20 bytes
    const start = pos;
    const [tag, a] = readVarint(head, 0, src.path);
    const field = Math.floor(tag / 8);
    const wire = tag & 7;
    let dataStart = start + a;
    if (wire === 0) pos = start + readVarint(head, a, src.path)[1];
    else if (wire === 1) pos = dataStart + 8;
    else if (wire === 5) pos = dataStart + 4;
    else if (wire === 2) {
      const [len, b] = readVarint(head, a, src.path);
      dataStart = start + b;
      pos = dataStart + len;
    } else throw new Error(`${src.path}: not a valid ONNX file (protobuf wire type ${wire} in field ${field})`);
    if (pos > to) throw new Error(`${src.path}: not a valid ONNX file, truncated or corrupt (field ${field} runs past the end)`);
    out.push({ field, wire, start, end: pos, dataStart });
  }
  return out;
}

function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n % 128) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

/** Where the payload of a length-delimited field (tag, length, payload) starts. */
function lengthPrefix(field: Uint8Array): number {
  const [, a] = readVarint(field, 0, 'field');
  return readVarint(field, a, 'field')[1];
}

/** A length-delimited field. */
function lengthField(field: number, payload: Uint8Array): Uint8Array {
  const head = [...varint(field * 8 + 2), ...varint(payload.length)];
  const out = new Uint8Array(head.length + payload.length);
  out.set(head);
  out.set(payload, head.length);
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

export interface GraphSignature {
  nodes: onnxProto.onnx.NodeProto[];
  inputs: onnxProto.onnx.ValueInfoProto[];
  outputs: onnxProto.onnx.ValueInfoProto[];
}

/** What to change: each part left out stays as it is. */
export interface GraphEdit {
  outputs?: onnxProto.onnx.IValueInfoProto[];
  /** The whole node list, replacing the graph's own. */
  nodes?: onnxProto.onnx.INodeProto[];
  /** Nodes to append. */
  addNodes?: onnxProto.onnx.INodeProto[];
  /** Small initializers to add, with their data inside. */
  addInitializers?: onnxProto.onnx.ITensorProto[];
  /** Graph inputs to append. */
  addInputs?: onnxProto.onnx.IValueInfoProto[];
}

export interface OnnxFile {
  path: string;
  /** The top-level graph's nodes, inputs and outputs (subgraphs of If/Loop nodes are inside their nodes). */
  signature: GraphSignature;
  /** The opset version the model imports for a domain ('' = the standard one), or undefined. */
  opset(domain: string): number | undefined;
  /**
   * An initializer's name, type and dims, with its data only if it is small
   * (≤ 4 kB, such as the constants of shape and index arithmetic); large ones
   * are references to their bytes in the file.
   */
  initializer(name: string): onnxProto.onnx.TensorProto | undefined;
  /** A model with the same graph but these changes, its large initializers read from this file. */
  rewrite(edit: GraphEdit): Uint8Array;
}

/**
 * The session option a rewritten graph needs: loaded from bytes, it finds its
 * external data files (its weights) next to the original .onnx.
 */
export function externalDataFolder(onnxPath: string): { model_external_initializers_file_folder_path: string } {
  return { model_external_initializers_file_folder_path: dirname(onnxPath) };
}

/** Opens an .onnx file for reading its signature and writing rewritten copies. */
export function readOnnxFile(path: string): OnnxFile {
  const src = new Source(path);
  try {
    const top = fields(src, 0, src.length);
    const graph = top.find((f) => f.field === MODEL_GRAPH);
    if (!graph) throw new Error(`${path}: not a valid ONNX file (no graph)`);
    const graphFields = fields(src, graph.dataStart, graph.end);
    const signature: GraphSignature = { nodes: [], inputs: [], outputs: [] };
    const kept: Uint8Array[] = [];
    const nodeBytes: Uint8Array[] = [];
    const initializers: Uint8Array[] = [];
    for (const f of graphFields) {
      if (f.field === GRAPH_INITIALIZER) {
        initializers.push(initializerField(src, f));
        continue;
      }
      const whole = src.read(f.start, f.end - f.start);
      const body = whole.subarray(f.dataStart - f.start);
      if (f.field === GRAPH_NODE) {
        signature.nodes.push(onnx.NodeProto.decode(body));
        nodeBytes.push(whole);
      } else if (f.field === GRAPH_OUTPUT) signature.outputs.push(onnx.ValueInfoProto.decode(body));
      else {
        if (f.field === GRAPH_INPUT) signature.inputs.push(onnx.ValueInfoProto.decode(body));
        kept.push(whole);
      }
    }
    const before = top.filter((f) => f.field !== MODEL_GRAPH).map((f) => src.read(f.start, f.end - f.start));
    const tensors = new Map(initializers.map((bytes) => {
      const t = onnx.TensorProto.decode(bytes.subarray(lengthPrefix(bytes)));
      return [t.name, t] as const;
    }));
    const opsets = new Map(top.filter((f) => f.field === MODEL_OPSET_IMPORT).map((f) => {
      const o = onnx.OperatorSetIdProto.decode(src.read(f.dataStart, f.end - f.dataStart));
      return [o.domain ?? '', Number(o.version)] as const;
    }));
    return {
      path,
      signature,
      opset: (domain) => opsets.get(domain === 'ai.onnx' ? '' : domain),
      initializer: (name) => tensors.get(name),
      rewrite(edit) {
        const node = (n: onnxProto.onnx.INodeProto) => lengthField(GRAPH_NODE, onnx.NodeProto.encode(n).finish());
        const nodes = [...(edit.nodes ? edit.nodes.map(node) : nodeBytes), ...(edit.addNodes ?? []).map(node)];
        const added = (edit.addInitializers ?? []).map((t) => lengthField(GRAPH_INITIALIZER, onnx.TensorProto.encode(t).finish()));
        const valueInfo = (field: number) => (v: onnxProto.onnx.IValueInfoProto) => lengthField(field, onnx.ValueInfoProto.encode(v).finish());
        const inputs = (edit.addInputs ?? []).map(valueInfo(GRAPH_INPUT));
        const outputs = (edit.outputs ?? signature.outputs).map(valueInfo(GRAPH_OUTPUT));
        return concat([...before, lengthField(MODEL_GRAPH, concat([...kept, ...inputs, ...nodes, ...initializers, ...added, ...outputs]))]);
      },
    };
  } finally {
    src.close();
  }
}

/**
 * An initializer field for the new graph: small ones as they are; one whose
 * bytes sit in this file (raw_data) as a reference to them, so they are
 * neither copied nor held twice.
 */
function initializerField(src: Source, f: Field): Uint8Array {
  if (f.end - f.start <= INLINE_LIMIT) return src.read(f.start, f.end - f.start);
  const parts = fields(src, f.dataStart, f.end);
  const raw = parts.find((p) => p.field === TENSOR_RAW_DATA && p.wire === 2);
  const loc = parts.find((p) => p.field === TENSOR_DATA_LOCATION);
  if (!raw || (loc && src.read(loc.dataStart, loc.end - loc.dataStart)[0] === EXTERNAL)) {
    return src.read(f.start, f.end - f.start); // already external, or typed data fields: keep it whole
  }
  const entry = (key: string, value: string) =>
    lengthField(TENSOR_EXTERNAL_DATA, onnx.StringStringEntryProto.encode({ key, value }).finish());
  const body = concat([
    ...parts.filter((p) => p !== raw && p.field !== TENSOR_EXTERNAL_DATA && p.field !== TENSOR_DATA_LOCATION)
      .map((p) => src.read(p.start, p.end - p.start)),
    entry('location', basename(src.path)),
    entry('offset', String(raw.dataStart)),
    entry('length', String(raw.end - raw.dataStart)),
    new Uint8Array([...varint(TENSOR_DATA_LOCATION * 8), EXTERNAL]),
  ]);
  return lengthField(GRAPH_INITIALIZER, body);
}
