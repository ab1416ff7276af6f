// What generation needs from each sequence's last logits row, as more graph
// outputs, so the 50k-entry row never has to come back to JS:
// - its log-sum-exp, so a sampled token's log-probability is logit − lse
//   (cheaper than a second onnxruntime session; see docs/architecture.md);
// - its K largest entries and their indices (K fed per run as TOP_K_INPUT),
//   which is all that greedy and top-k sampling read, and, since the sampled
//   token is among them, all its rank needs (scanning the rows in JS and
//   copying them out was slower; see docs/architecture.md).
// Scoring never asks for these, and the whole [B, S, V] block would cost
// memory and time, so only the last position is taken.
import { FLOAT, FLOAT16, INT64, intAttr, intsAttr, valueInfo, type Attribute, type Node, type Tensor, type ValueInfo } from '../onnx/graph.ts';
import type { OnnxFile } from '../onnx/rewrite.ts';


export const LSE_OUTPUT = 'credence.logits_lse';
/** int64 [1]: how many entries TOP_VALUES and TOP_INDICES hold per row. */
export const TOP_K_INPUT = 'credence.top_k';
/** float32 [B, K]: each last row's K largest logits, descending (ties: lower index first). */
export const TOP_VALUES = 'credence.top_values';
/** int64 [B, K]: their token ids. */
export const TOP_INDICES = 'credence.top_indices';

export interface LastRowOutputs {
  nodes: Node[];
  initializers: Tensor[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
  /** Whether TOP_* are among the outputs: TopK's order for ties is defined from opset 11. */
  topK: boolean;
}

/** The nodes, initializers, inputs and outputs that add LSE_OUTPUT and (opset ≥ 11, unless `top` is false) TOP_* after `logits`. */
export function lastRowOutputs(file: OnnxFile, top = true): LastRowOutputs {
  const logits = file.signature.outputs.find((o) => o.name === 'logits');
  const opset = file.opset('') ?? 0;
  const nodes: Node[] = [];
  const initializers: Tensor[] = [];
  const name = (n: string) => `${LSE_OUTPUT}.${n}`;
  const node = (opType: string, input: string[], out: string | string[], attribute: Attribute[] = []) => {
    const output = typeof out === 'string' ? [out] : out;
    nodes.push({ opType, input, output, attribute, name: output[0] });
    return output[0];
  };
  // The last axis, as an attribute or (from the opset where the op moved it) an input:
  // ReduceSum and Squeeze moved at opset 13, ReduceMax at 18.
  const lastAxis = (since: number): { inputs: string[]; attrs: Attribute[] } => {
    if (opset < since) return { inputs: [], attrs: [intsAttr('axes', [-1])] };
    if (!initializers.some((t) => t.name === name('axes'))) initializers.push({ name: name('axes'), dims: [1], dataType: INT64, int64Data: [-1] });
    return { inputs: [name('axes')], attrs: [] };
  };
  const keep = intAttr('keepdims', 1);
  initializers.push({ name: name('last'), dims: [], dataType: INT64, int64Data: [-1] });
  let x = node('Gather', ['logits', name('last')], name('rows'), [intAttr('axis', 1)]); // [B, V]
  if (logits?.type?.tensorType?.elemType === FLOAT16) x = node('Cast', [x], name('float'), [intAttr('to', FLOAT)]);
  // max + log Σ exp(x − max), as separate vectorised kernels: onnxruntime's
  // ReduceLogSumExp measured 5–8× slower on a 50k row, and less exact.
  const rmax = lastAxis(18);
  const max = node('ReduceMax', [x, ...rmax.inputs], name('max'), [keep, ...rmax.attrs]);
  const exp = node('Exp', [node('Sub', [x, max], name('shifted'))], name('exp'));
  const rsum = lastAxis(13);
  const sum = node('ReduceSum', [exp, ...rsum.inputs], name('sum'), [keep, ...rsum.attrs]);
  const lse = node('Add', [node('Log', [sum], name('log')), max], name('keep'));
  const sq = lastAxis(13);
  node('Squeeze', [lse, ...sq.inputs], LSE_OUTPUT, sq.attrs);
  const outputs = [valueInfo(LSE_OUTPUT, FLOAT)];
  const inputs: ValueInfo[] = [];
  const topK = top && opset >= 11;
  if (topK) {
    // The values are the row's own floats (after the float16 cast, as JS would convert them).
    node('TopK', [x, TOP_K_INPUT], [TOP_VALUES, TOP_INDICES], [intAttr('axis', -1), intAttr('largest', 1), intAttr('sorted', 1)]);
    inputs.push(valueInfo(TOP_K_INPUT, INT64, [1]));
    outputs.push(valueInfo(TOP_VALUES, FLOAT), valueInfo(TOP_INDICES, INT64));
  }
  return { nodes, initializers, inputs, outputs, topK };
}
