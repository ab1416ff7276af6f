// A sequence classifier reads one position: RoBERTa's head takes the final
// hidden state of `<s>` (x[:, 0, :]) and nothing else. Yet the exported graph
// computes the last layer's output projection, feed-forward and layer norms
// for all 512 positions, ~6% of the model's arithmetic, and throws 511 rows
// away. This rewrite moves "take the first positions" up through every node
// that works on each position on its own (matrix products with a weight,
// biases, activations, layer norms over the last axis, and the query side of
// a non-causal attention), so those nodes run on those rows only. It stops,
// and takes the rows there instead, at anything else. The result is the same
// function: the same rows flow through the same kernels.
//
// Two rows are kept (positions 0 and 1; a RoBERTa input always has `<s>` and
// `</s>`), not one: onnxruntime multiplies a single row by another kernel that
// sums in another order, and a text's score would then depend, by ~3e-8, on
// whether it was scored alone or in a batch.
import ort from 'onnxruntime-node';
import { INT32, INT64, intAttr, MS_DOMAIN as MS, type Node, type Tensor } from '../onnx/graph.ts';
import { externalDataFolder, readOnnxFile, type OnnxFile } from '../onnx/rewrite.ts';

/** Ops whose every output row depends only on the same row of their row-shaped inputs. */
const ROW_WISE = new Set([
  'MatMul', 'Add', 'Sub', 'Mul', 'Div', 'Pow', 'Sqrt', 'Erf', 'Tanh', 'Relu', 'Sigmoid', 'Cast', 'Identity',
  'LayerNormalization', 'SkipLayerNormalization', 'SimplifiedLayerNormalization', 'Gelu', 'FastGelu', 'BiasGelu', 'ReduceMean',
]);

const attr = (n: Node, name: string) => n.attribute?.find((a) => a.name === name);
const intOf = (n: Node, name: string, dflt: number) => { const a = attr(n, name); return a ? Number(a.i) : dflt; };

export interface FirstTokenGraph {
  nodes: Node[];
  initializers: Tensor[];
  /** Matrix products now run on two rows per sequence instead of all. */
  rowMatMuls: number;
}

/** The rewritten node list, or why the graph is left as it is. */
export function firstTokenGraph(file: OnnxFile): FirstTokenGraph | { reason: string } {
  const nodes = file.signature.nodes;
  const producer = new Map<string, Node>();
  for (const n of nodes) for (const o of n.output ?? []) if (o) producer.set(o, n);
  const constants = new Map<string, Tensor>();
  for (const n of nodes) if (n.opType === 'Constant' && attr(n, 'value')?.t) constants.set(n.output![0], attr(n, 'value')!.t!);
  const constant = (name: string) => file.initializer(name) ?? constants.get(name);
  const scalarOf = (name: string): number | undefined => {
    const t = constant(name);
    if (!t || (t.dims ?? []).reduce((a, b) => a * Number(b), 1) !== 1) return undefined;
    if (t.int64Data?.length) return Number(t.int64Data[0]);
    if (t.int32Data?.length) return Number(t.int32Data[0]);
    const raw = t.rawData;
    if (!raw?.length) return undefined;
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    return t.dataType === INT64 ? Number(view.getBigInt64(0, true)) : t.dataType === INT32 ? view.getInt32(0, true) : undefined;
  };
  // The head's x[:, 0, :]: a Gather of index 0 on axis 1.
  const outputs = new Set(file.signature.outputs.map((o) => o.name));
  const head = nodes.find((n) => n.opType === 'Gather' && intOf(n, 'axis', 0) === 1 && scalarOf(n.input![1]) === 0 && (constant(n.input![1])?.dims ?? []).length === 0);
  if (!head) return { reason: 'no Gather of position 0 on axis 1' };

  const isConstant = (name: string) => !name || constant(name) !== undefined;
  /** Whether `n` maps rows to rows, given which of its inputs carry rows. */
  const rowWise = (n: Node): boolean => {
    const op = n.opType ?? '';
    const domain = n.domain ?? '';
    if (op === 'MultiHeadAttention' && domain === MS) {
      // Query rows are independent when attention is not causal and no per-query bias is given.
      const ins = n.input ?? [];
      return intOf(n, 'unidirectional', 0) === 0 && !!ins[1] && !!ins[2] && !ins[5] && !ins[6] && (n.output ?? []).filter(Boolean).length === 1;
    }
    if (!ROW_WISE.has(op) || (domain !== '' && domain !== MS)) return false;
    if (op === 'MatMul') return !isConstant(n.input![0]) && isConstant(n.input![1]) && (constant(n.input![1])?.dims ?? []).length === 2;
    if (op === 'LayerNormalization' || op === 'SimplifiedLayerNormalization') return intOf(n, 'axis', -1) === -1;
    if (op === 'ReduceMean') {
      const axes = attr(n, 'axes')?.ints ?? [];
      return intOf(n, 'keepdims', 1) === 1 && axes.length === 1 && Number(axes[0]) === -1 && (n.input ?? []).length === 1;
    }
    // Elementwise ops: constants must broadcast along the last axis only (rank ≤ 1).
    return (n.input ?? []).every((i) => !isConstant(i) || (constant(i)?.dims ?? []).length <= 1);
  };

  // Which inputs of a node carry rows (attention: only its queries; keys, values and masks stay whole).
  const rowInputs = (n: Node): number[] => (n.input ?? []).map((i, k) => (isConstant(i) || (n.opType === 'MultiHeadAttention' && k > 0) ? -1 : k)).filter((k) => k >= 0);
  const consumers = new Map<string, { node: Node; k: number }[]>();
  for (const n of nodes) (n.input ?? []).forEach((i, k) => { if (i) (consumers.get(i) ?? consumers.set(i, []).get(i)!).push({ node: n, k }); });
  // Walking back from the head (the list is in topological order, so every
  // consumer is decided before its producer): a node moves to the first rows
  // when it works row by row and everything it feeds reads it as rows of a
  // node that moves too (or is the head). A tensor also needed whole (the keys
  // and values of the last attention, say) is computed whole anyway: the rows
  // are taken from it rather than recomputed.
  const moves = new Set<Node>();
  const at = nodes.indexOf(head);
  for (let i = at - 1; i >= 0; i--) {
    const n = nodes[i];
    if (!rowWise(n)) continue;
    const outs = (n.output ?? []).filter(Boolean);
    const readers = outs.flatMap((o) => consumers.get(o) ?? []);
    if (readers.length === 0 || outs.some((o) => outputs.has(o))) continue;
    if (readers.every(({ node, k }) => (node === head && k === 0) || (moves.has(node) && rowInputs(node).includes(k)))) moves.add(n);
  }
  if (![...moves].some((n) => n.opType === 'MatMul')) return { reason: 'nothing between the last mixing op and the head works row by row' };

  const index = 'credence.first_token.positions';
  const initializers: Tensor[] = [{ name: index, dims: [2], dataType: INT64, int64Data: [0, 1] }];
  const rows = (t: string) => `${t}.first_token`;
  const gathered = new Set<string>();
  let pending: Node[] = [];
  /** `t` at positions 0 and 1 only ([B, 2, …]): a moved node's own output, or a Gather (made once) from the whole tensor. */
  const firstOf = (t: string): string => {
    const p = producer.get(t);
    if (p && moves.has(p)) return rows(t);
    if (!gathered.has(t)) {
      gathered.add(t);
      pending.push({ opType: 'Gather', name: rows(t), input: [t, index], output: [rows(t)], attribute: [intAttr('axis', 1)] });
    }
    return rows(t);
  };
  const list: Node[] = [];
  for (const n of nodes) {
    if (n === head) {
      const source = firstOf(n.input![0]);
      list.push(...pending, { ...n, input: [source, n.input![1]] });
      pending = [];
      continue;
    }
    if (!moves.has(n)) { list.push(n); continue; }
    const rowIn = new Set(rowInputs(n));
    const input = (n.input ?? []).map((i, k) => (rowIn.has(k) ? firstOf(i) : i));
    list.push(...pending, { ...n, name: rows(n.name || n.output![0]), input, output: (n.output ?? []).map((o) => (o ? rows(o) : '')) });
    pending = [];
  }
  const rowMatMuls = [...moves].filter((n) => n.opType === 'MatMul').length;
  return { nodes: list, initializers, rowMatMuls };
}

/**
 * What a classifier session loads: the rewritten graph (its weights still read
 * from the model's files) when the rewrite applies, else the file itself.
 */
export function classifierModel(modelFile: string): { source: string | Uint8Array; options: ort.InferenceSession.SessionOptions; firstToken: { rowMatMuls: number } | { reason: string } } {
  let file: OnnxFile;
  try {
    file = readOnnxFile(modelFile);
  } catch (err) {
    // A file this reader cannot walk goes to onnxruntime as it is, which says what is wrong with it.
    return { source: modelFile, options: {}, firstToken: { reason: (err as Error).message } };
  }
  const g = firstTokenGraph(file);
  if ('reason' in g) return { source: modelFile, options: {}, firstToken: g };
  return {
    source: file.rewrite({ nodes: g.nodes, addInitializers: g.initializers }),
    options: { extra: { session: externalDataFolder(modelFile) } },
    firstToken: { rowMatMuls: g.rowMatMuls },
  };
}

/** A session from a model file or graph bytes (onnxruntime's create is overloaded on the two). */
export function createSession(source: string | Uint8Array, options: ort.InferenceSession.SessionOptions): Promise<ort.InferenceSession> {
  return typeof source === 'string' ? ort.InferenceSession.create(source, options) : ort.InferenceSession.create(source, options);
}
