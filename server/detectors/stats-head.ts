// The zero-shot "statistics head": a small onnxruntime graph from logits
// [N, V] and target ids [N] to per-row log-probability, rank, μ = Σ p log p and
// σ² = Σ p (log p − μ)², so the pass over every vocabulary entry runs in ORT's
// vectorised kernels instead of a JS loop. Built in memory with onnx-proto.
//
// The decoder's own logits tensor is fed in as is (no copy, the same floats the
// plain forward returns), so ranks are exact counts over the same values.
import ort from 'onnxruntime-node';
const DOUBLE = 11;
import { FLOAT, INT64, GraphBuilder, intAttr, valueInfo } from '../onnx/graph.ts';

/** ONNX bytes of the statistics head (opset 17: axes as inputs for ReduceSum, attributes for ReduceMax). */
export function statsHeadGraph(): Uint8Array {
  const g = new GraphBuilder();
  const axis1 = g.int64('axis1', [1], [1]);
  const minus1 = g.int64('minus1', [1], [-1]);
  const keep = [intAttr('keepdims', 1)];
  // log p = LogSoftmax: one MLAS kernel (max, Σ exp, subtract) per row.
  const logp = g.op('LogSoftmax', ['logits'], [intAttr('axis', 1)]);
  const tgt = g.op('Unsqueeze', ['targets', axis1]); // [N,1]
  const lt = g.op('GatherElements', ['logits', tgt], [intAttr('axis', 1)]);
  const lpt = g.op('GatherElements', [logp, tgt], [intAttr('axis', 1)]);
  const above = g.op('ReduceSum', [g.op('Cast', [g.op('Greater', ['logits', lt])], [intAttr('to', FLOAT)]), axis1], keep);
  g.op('Reshape', [lpt, minus1], [], undefined, 'logprob');
  g.op('Reshape', [above, minus1], [], undefined, 'above');
  const p = g.op('Exp', [logp]);
  // Sums over 50k entries in float32 drift by ~1e-6 relative: accumulate in float64.
  const sum = (x: string) => g.op('Cast', [g.op('ReduceSum', [g.op('Cast', [x], [intAttr('to', DOUBLE)]), axis1], keep)], [intAttr('to', FLOAT)]);
  const mu = sum(g.op('Mul', [p, logp])); // [N,1]
  const centred = g.op('Sub', [logp, mu]);
  const variance = sum(g.op('Mul', [p, g.op('Mul', [centred, centred])]));
  g.op('Reshape', [mu, minus1], [], undefined, 'mu');
  g.op('Reshape', [variance, minus1], [], undefined, 'variance');
  const outputs = ['logprob', 'above', 'mu', 'variance'];
  return g.encode({
    inputs: [valueInfo('logits', FLOAT, ['N', 'V']), valueInfo('targets', INT64, ['N'])],
    outputs: outputs.map((n) => valueInfo(n, FLOAT, ['N'])),
    producer: 'credence-stats-head',
  });
}

export async function createStatsHead(threads?: number): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(statsHeadGraph(), {
    graphOptimizationLevel: 'all',
    ...(threads ? { intraOpNumThreads: threads } : {}),
    executionMode: 'sequential',
  });
}

const perOwner = new WeakMap<object, Map<number, Promise<ort.InferenceSession>>>();

/**
 * The statistics head of one owner (a decoder) for a thread count, created on
 * first use and kept as long as the owner: a few kB of graph, no weights.
 */
export function statsHeadFor(owner: object, threads = 1): Promise<ort.InferenceSession> {
  let heads = perOwner.get(owner);
  if (!heads) perOwner.set(owner, (heads = new Map()));
  let head = heads.get(threads);
  if (!head) heads.set(threads, (head = createStatsHead(threads)));
  return head;
}

export interface HeadOutput {
  logprob: Float32Array;
  /** Entries with a strictly higher logit than the target (0-based rank). */
  above: Float32Array;
  mu: Float32Array;
  variance: Float32Array;
}

/** Runs a head on `targets.length` consecutive rows of logits (fed as they are, no copy). */
export async function runStatsHead(head: ort.InferenceSession, rows: Float32Array, vocab: number, targets: ArrayLike<number>): Promise<HeadOutput> {
  const n = targets.length;
  const ids = new BigInt64Array(n);
  for (let i = 0; i < n; i++) ids[i] = BigInt(targets[i]);
  const out = await head.run({ logits: new ort.Tensor('float32', rows, [n, vocab]), targets: new ort.Tensor('int64', ids, [n]) });
  const f = (name: string) => out[name].data as Float32Array;
  return { logprob: f('logprob'), above: f('above'), mu: f('mu'), variance: f('variance') };
}
