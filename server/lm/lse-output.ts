// The log-sum-exp of each sequence's last logits row as one more graph output
// (the row generation samples from; scoring never asks for it, and the whole
// [B, S, V] block would cost memory and time), so the log-probability
// of a sampled token is logit − lse and its rank one comparison loop, with no
// second pass over the row (in JS, or in a second onnxruntime session as the
// statistics head did: ~0.25 ms a step at batch 1, ~1 ms at 16; this costs
// ~0.04 ms and ~0.2 ms).
import onnxProto from 'onnx-proto';
import type { OnnxFile } from './onnx-rewrite.ts';

const { onnx } = onnxProto;
const { FLOAT, FLOAT16, INT64 } = onnx.TensorProto.DataType;

export const LSE_OUTPUT = 'credence.logits_lse';

/** The nodes, initializers and output that add LSE_OUTPUT ([batch], float32: the last position's) after `logits`. */
export function lseOutput(file: OnnxFile): { nodes: onnxProto.onnx.INodeProto[]; initializers: onnxProto.onnx.ITensorProto[]; output: onnxProto.onnx.IValueInfoProto } {
  const logits = file.signature.outputs.find((o) => o.name === 'logits');
  const opset = file.opset('') ?? 0;
  const nodes: onnxProto.onnx.INodeProto[] = [];
  const initializers: onnxProto.onnx.ITensorProto[] = [];
  const INT = onnx.AttributeProto.AttributeType.INT;
  const name = (n: string) => `${LSE_OUTPUT}.${n}`;
  const node = (opType: string, input: string[], out: string, attribute: onnxProto.onnx.IAttributeProto[] = []) => {
    nodes.push({ opType, input, output: [out], attribute, name: out });
    return out;
  };
  // The last axis, as an attribute or (from the opset where the op moved it) an input:
  // ReduceSum and Squeeze moved at opset 13, ReduceMax at 18.
  const lastAxis = (since: number): { inputs: string[]; attrs: onnxProto.onnx.IAttributeProto[] } => {
    if (opset < since) return { inputs: [], attrs: [{ name: 'axes', type: onnx.AttributeProto.AttributeType.INTS, ints: [-1] }] };
    if (!initializers.some((t) => t.name === name('axes'))) initializers.push({ name: name('axes'), dims: [1], dataType: INT64, int64Data: [-1] });
    return { inputs: [name('axes')], attrs: [] };
  };
  const keep = { name: 'keepdims', type: INT, i: 1 };
  initializers.push({ name: name('last'), dims: [], dataType: INT64, int64Data: [-1] });
  let x = node('Gather', ['logits', name('last')], name('rows'), [{ name: 'axis', type: INT, i: 1 }]); // [B, V]
  if (logits?.type?.tensorType?.elemType === FLOAT16) x = node('Cast', [x], name('float'), [{ name: 'to', type: INT, i: FLOAT }]);
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
  const output = { name: LSE_OUTPUT, type: { tensorType: { elemType: FLOAT } } };
  return { nodes, initializers, output };
}
