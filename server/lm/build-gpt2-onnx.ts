// Writes a GPT-2-architecture model with seeded random weights in the Hugging
// Face ONNX layout (tensor names, I/O names and shapes of Optimum's export), so
// every code path that runs on the downloaded models runs on this one too.
// The graph uses ORT's fused CPU kernels (MultiHeadAttention with past,
// SkipLayerNormalization, FastGelu) because decode speed is the point of the
// real shapes; the int8 variant uses DynamicQuantizeMatMul.
import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { createRng, deriveSeed } from '../../studies/random.ts';
import { BOOL, encodeModel, FLOAT, FLOAT16, floatAttr, graphAttr, INT32, INT64, INT8, intAttr, MS_DOMAIN as MS, onnx, valueInfo, type Graph, type Node, type Tensor, type ValueInfo } from '../onnx/graph.ts';
import type { Gpt2Shape } from './shapes.ts';
/** Page alignment lets ORT map external weights instead of copying them. */
const DATA_ALIGN = 4096;

/**
 * `fp16` is float16 at the graph's edges only (KV caches and logits, as in HF
 * fp16 exports) with fp32 weights and arithmetic inside: it exercises the
 * runtime's float16 paths on CPUs without fast fp16 kernels.
 */
/** Bumped whenever the graph or the weights a seed gives change, so cached tiny models are rebuilt. */
export const BUILDER_VERSION = 3;

export type Variant = 'fp32' | 'merged' | 'q8' | 'fp16';

export interface BuildGraphOptions {
  shape: Gpt2Shape;
  seed: number;
  outDir: string;
  /** Put weights in `*.onnx_data` files next to the graphs (required above 2 GB). */
  external: boolean;
  variants?: Variant[];
  onProgress?: (done: number, total: number) => void;
}

/** Appends tensors to an external data file, or keeps them inline. */
class TensorSink {
  private fd: number | null;
  private offset = 0;
  constructor(private readonly dir: string, private readonly fileName: string | null) {
    this.fd = fileName ? openSync(join(dir, fileName), 'w') : null;
  }
  add(name: string, dims: number[], dataType: number, bytes: Uint8Array): Tensor {
    if (this.fd === null || this.fileName === null) return { name, dims, dataType, rawData: bytes };
    const pad = (DATA_ALIGN - (this.offset % DATA_ALIGN)) % DATA_ALIGN;
    if (pad) { writeSync(this.fd, new Uint8Array(pad)); this.offset += pad; }
    const at = this.offset;
    let written = 0;
    while (written < bytes.length) written += writeSync(this.fd, bytes, written, bytes.length - written);
    this.offset += bytes.length;
    return {
      name, dims, dataType,
      dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
      externalData: [
        { key: 'location', value: this.fileName },
        { key: 'offset', value: String(at) },
        { key: 'length', value: String(bytes.length) },
      ],
    };
  }
  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

function gaussian(name: string, seed: number, n: number, std: number, mean = 0): Float32Array {
  const rng = createRng(deriveSeed(seed, name));
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    // Box–Muller: two normals per pair of uniforms.
    const u = 1 - rng.next();
    const v = rng.next();
    const r = Math.sqrt(-2 * Math.log(u));
    out[i] = mean + std * r * Math.cos(2 * Math.PI * v);
    if (i + 1 < n) out[i + 1] = mean + std * r * Math.sin(2 * Math.PI * v);
  }
  return out;
}

const bytesOf = (a: Float32Array | Int8Array | BigInt64Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/**
 * Weights take 7 bits of int8 (±63, onnxruntime's reduce_range): its u8s8 kernels on x86 CPUs without VNNI add
 * pairs of 8-bit products into 16 bits, which saturate with full-range weights (the tiny model's int8 logits were
 * 3.46 off fp32 on an AVX2 EPYC; 0.49 with 7 bits).
 */
const Q_MAX = 63;

/** Symmetric int8 (Q_MAX) with one scale per output column of a [K, N] matrix. */
function quantizeColumns(w: Float32Array, k: number, n: number): { q: Int8Array; scale: Float32Array } {
  const scale = new Float32Array(n);
  for (let r = 0; r < k; r++) {
    const row = r * n;
    for (let c = 0; c < n; c++) { const a = Math.abs(w[row + c]); if (a > scale[c]) scale[c] = a; }
  }
  for (let c = 0; c < n; c++) scale[c] = scale[c] > 0 ? scale[c] / Q_MAX : 1;
  const q = new Int8Array(k * n);
  for (let r = 0; r < k; r++) {
    const row = r * n;
    for (let c = 0; c < n; c++) q[row + c] = Math.max(-Q_MAX, Math.min(Q_MAX, Math.round(w[row + c] / scale[c])));
  }
  return { q, scale };
}

/** int8 of wte transposed ([D, V]) without materialising the fp32 transpose: scale per vocabulary row. */
function quantizeTransposed(wte: Float32Array, v: number, d: number): { q: Int8Array; scale: Float32Array } {
  const scale = new Float32Array(v);
  const q = new Int8Array(d * v);
  for (let t = 0; t < v; t++) {
    let m = 0;
    for (let j = 0; j < d; j++) { const a = Math.abs(wte[t * d + j]); if (a > m) m = a; }
    const s = m > 0 ? m / Q_MAX : 1;
    scale[t] = s;
    for (let j = 0; j < d; j++) q[j * v + t] = Math.max(-Q_MAX, Math.min(Q_MAX, Math.round(wte[t * d + j] / s)));
  }
  return { q, scale };
}


interface Weights { fp32: Tensor[]; q8: Tensor[] }

/** Names of the weights, HF style (transformer.h.{i}.attn.c_attn.weight, ...). */
const W = {
  wte: 'transformer.wte.weight',
  wpe: 'transformer.wpe.weight',
  lnfG: 'transformer.ln_f.weight',
  lnfB: 'transformer.ln_f.bias',
  h: (i: number, rest: string) => `transformer.h.${i}.${rest}`,
};

/** The decoder body. `p` prefixes every intermediate value (subgraphs of If must not reuse names). */
function body(s: Gpt2Shape, p: string, usePast: boolean, q8: boolean, outNames: { logits: string; key: (i: number) => string; value: (i: number) => string }, fp16Edges = false): Node[] {
  const nodes: Node[] = [];
  const v = (n: string) => `${p}${n}`;
  const cast = (from: string, to: string, type: number) => nodes.push({ opType: 'Cast', input: [from], output: [to], attribute: [intAttr('to', type)], name: to });
  const pastIn = (i: number, kv: 'key' | 'value') => {
    if (!usePast) return '';
    if (!fp16Edges) return `past_key_values.${i}.${kv}`;
    cast(`past_key_values.${i}.${kv}`, v(`past_${i}_${kv}_f32`), FLOAT);
    return v(`past_${i}_${kv}_f32`);
  };
  const presentOut = (i: number, kv: 'key' | 'value') => (fp16Edges ? v(`present_${i}_${kv}_f32`) : kv === 'key' ? outNames.key(i) : outNames.value(i));
  const matmul = (x: string, weight: string, out: string): Node =>
    q8
      ? { opType: 'DynamicQuantizeMatMul', domain: MS, input: [x, `${weight}.q8`, `${weight}.q8_scale`, `${weight}.q8_zero`], output: [out], name: out }
      : { opType: 'MatMul', input: [x, weight], output: [out], name: out };

  nodes.push({ opType: 'Gather', input: [W.wte, 'input_ids'], output: [v('tok_emb')], attribute: [intAttr('axis', 0)], name: v('wte') });
  nodes.push({ opType: 'Gather', input: [W.wpe, 'position_ids'], output: [v('pos_emb')], attribute: [intAttr('axis', 0)], name: v('wpe') });
  nodes.push({ opType: 'Add', input: [v('tok_emb'), v('pos_emb')], output: [v('h0')], name: v('embed') });
  nodes.push({ opType: 'Cast', input: ['attention_mask'], output: [v('mask32')], attribute: [intAttr('to', INT32)], name: v('mask32') });
  nodes.push({
    opType: 'LayerNormalization', input: [v('h0'), W.h(0, 'ln_1.weight'), W.h(0, 'ln_1.bias')], output: [v('ln1_0')],
    attribute: [intAttr('axis', -1), floatAttr('epsilon', 1e-5)], name: v('ln1_0'),
  });
  let resid = v('h0');
  let x = v('ln1_0');
  for (let i = 0; i < s.nLayer; i++) {
    const l = (n: string) => v(`l${i}_${n}`);
    nodes.push(matmul(x, W.h(i, 'attn.c_attn.weight'), l('qkv_mm')));
    nodes.push({ opType: 'Add', input: [l('qkv_mm'), W.h(i, 'attn.c_attn.bias')], output: [l('qkv')], name: l('qkv') });
    nodes.push({ opType: 'Split', input: [l('qkv'), 'split_qkv'], output: [l('q'), l('k'), l('v')], attribute: [intAttr('axis', 2)], name: l('split') });
    nodes.push({
      opType: 'MultiHeadAttention', domain: MS,
      input: [l('q'), l('k'), l('v'), '', v('mask32'), '', pastIn(i, 'key'), pastIn(i, 'value')],
      output: [l('attn'), presentOut(i, 'key'), presentOut(i, 'value')],
      attribute: [intAttr('num_heads', s.nHead), intAttr('unidirectional', 1)], name: l('mha'),
    });
    if (fp16Edges) {
      cast(presentOut(i, 'key'), outNames.key(i), FLOAT16);
      cast(presentOut(i, 'value'), outNames.value(i), FLOAT16);
    }
    nodes.push(matmul(l('attn'), W.h(i, 'attn.c_proj.weight'), l('attn_proj')));
    // resid + attn_proj + bias, then ln_2: one fused kernel.
    nodes.push({
      opType: 'SkipLayerNormalization', domain: MS,
      input: [l('attn_proj'), resid, W.h(i, 'ln_2.weight'), W.h(i, 'ln_2.bias'), W.h(i, 'attn.c_proj.bias')],
      output: [l('ln2'), '', '', l('resid_mid')], attribute: [floatAttr('epsilon', 1e-5)], name: l('skipln2'),
    });
    nodes.push(matmul(l('ln2'), W.h(i, 'mlp.c_fc.weight'), l('fc')));
    nodes.push({ opType: 'FastGelu', domain: MS, input: [l('fc'), W.h(i, 'mlp.c_fc.bias')], output: [l('gelu')], name: l('gelu') });
    nodes.push(matmul(l('gelu'), W.h(i, 'mlp.c_proj.weight'), l('mlp_proj')));
    const last = i === s.nLayer - 1;
    const nextOut = last ? v('ln_f') : v(`ln1_${i + 1}`);
    nodes.push({
      opType: 'SkipLayerNormalization', domain: MS,
      input: [l('mlp_proj'), l('resid_mid'), last ? W.lnfG : W.h(i + 1, 'ln_1.weight'), last ? W.lnfB : W.h(i + 1, 'ln_1.bias'), W.h(i, 'mlp.c_proj.bias')],
      output: [nextOut, '', '', l('resid_out')], attribute: [floatAttr('epsilon', 1e-5)], name: l('skipln_out'),
    });
    resid = l('resid_out');
    x = nextOut;
  }
  // Tied lm_head: logits = ln_f(h) · wteᵀ.
  const logits = fp16Edges ? v('logits_f32') : outNames.logits;
  nodes.push(q8
    ? { opType: 'DynamicQuantizeMatMul', domain: MS, input: [x, 'lm_head.q8', 'lm_head.q8_scale', 'lm_head.q8_zero'], output: [logits], name: v('lm_head') }
    : { opType: 'FusedMatMul', domain: MS, input: [x, W.wte], output: [logits], attribute: [intAttr('transB', 1), floatAttr('alpha', 1)], name: v('lm_head') });
  if (fp16Edges) cast(logits, outNames.logits, FLOAT16);
  return nodes;
}

function makeWeights(s: Gpt2Shape, seed: number, fp32Sink: TensorSink, q8Sink: TensorSink | null, onTensor: () => void): Weights {
  const d = s.nEmbd;
  const fp32: Tensor[] = [];
  const q8: Tensor[] = [];
  const both = (name: string, dims: number[], data: Float32Array) => {
    fp32.push(fp32Sink.add(name, dims, FLOAT, bytesOf(data)));
    if (q8Sink) q8.push(q8Sink.add(name, dims, FLOAT, bytesOf(data)));
  };
  const matrix = (name: string, k: number, n: number, std: number) => {
    const w = gaussian(name, seed, k * n, std);
    fp32.push(fp32Sink.add(name, [k, n], FLOAT, bytesOf(w)));
    if (q8Sink) {
      const { q, scale } = quantizeColumns(w, k, n);
      q8.push(q8Sink.add(`${name}.q8`, [k, n], INT8, bytesOf(q)));
      q8.push(q8Sink.add(`${name}.q8_scale`, [n], FLOAT, bytesOf(scale)));
      q8.push(q8Sink.add(`${name}.q8_zero`, [n], INT8, new Uint8Array(n)));
    }
  };
  // Scales: token embeddings large enough that logits ≈ N(0, 3²) after ln_f
  // (so ranks and log-probs are far from uniform); block weights keep the
  // residual stream in the same range, so context changes the prediction.
  const wte = gaussian(W.wte, seed, s.vocabSize * d, 3 / Math.sqrt(d));
  both(W.wte, [s.vocabSize, d], wte);
  if (q8Sink) {
    const { q, scale } = quantizeTransposed(wte, s.vocabSize, d);
    q8.push(q8Sink.add('lm_head.q8', [d, s.vocabSize], INT8, bytesOf(q)));
    q8.push(q8Sink.add('lm_head.q8_scale', [s.vocabSize], FLOAT, bytesOf(scale)));
    q8.push(q8Sink.add('lm_head.q8_zero', [s.vocabSize], INT8, new Uint8Array(s.vocabSize)));
  }
  onTensor();
  both(W.wpe, [s.nPositions, d], gaussian(W.wpe, seed, s.nPositions * d, 1 / Math.sqrt(d)));
  for (let i = 0; i < s.nLayer; i++) {
    both(W.h(i, 'ln_1.weight'), [d], gaussian(W.h(i, 'ln_1.weight'), seed, d, 0.1, 1));
    both(W.h(i, 'ln_1.bias'), [d], gaussian(W.h(i, 'ln_1.bias'), seed, d, 0.02));
    matrix(W.h(i, 'attn.c_attn.weight'), d, 3 * d, 1 / Math.sqrt(d));
    both(W.h(i, 'attn.c_attn.bias'), [3 * d], gaussian(W.h(i, 'attn.c_attn.bias'), seed, 3 * d, 0.02));
    matrix(W.h(i, 'attn.c_proj.weight'), d, d, 2 / Math.sqrt(d));
    both(W.h(i, 'attn.c_proj.bias'), [d], gaussian(W.h(i, 'attn.c_proj.bias'), seed, d, 0.02));
    both(W.h(i, 'ln_2.weight'), [d], gaussian(W.h(i, 'ln_2.weight'), seed, d, 0.1, 1));
    both(W.h(i, 'ln_2.bias'), [d], gaussian(W.h(i, 'ln_2.bias'), seed, d, 0.02));
    matrix(W.h(i, 'mlp.c_fc.weight'), d, 4 * d, 1 / Math.sqrt(d));
    both(W.h(i, 'mlp.c_fc.bias'), [4 * d], gaussian(W.h(i, 'mlp.c_fc.bias'), seed, 4 * d, 0.02));
    matrix(W.h(i, 'mlp.c_proj.weight'), 4 * d, d, 1 / Math.sqrt(d));
    both(W.h(i, 'mlp.c_proj.bias'), [d], gaussian(W.h(i, 'mlp.c_proj.bias'), seed, d, 0.02));
    onTensor();
  }
  both(W.lnfG, [d], new Float32Array(d).fill(1));
  both(W.lnfB, [d], new Float32Array(d));
  const splitInline: Tensor = { name: 'split_qkv', dims: [3], dataType: INT64, rawData: bytesOf(new BigInt64Array([BigInt(d), BigInt(d), BigInt(d)])) };
  fp32.push(splitInline);
  if (q8Sink) q8.push(splitInline);
  return { fp32, q8 };
}

function ioInfo(s: Gpt2Shape, edgeType = FLOAT): { inputs: ValueInfo[]; outputs: ValueInfo[] } {
  const h = s.nEmbd / s.nHead;
  const inputs: ValueInfo[] = [
    valueInfo('input_ids', INT64, ['batch_size', 'sequence_length']),
    valueInfo('attention_mask', INT64, ['batch_size', 'past_sequence_length + sequence_length']),
    valueInfo('position_ids', INT64, ['batch_size', 'sequence_length']),
  ];
  const outputs: ValueInfo[] = [valueInfo('logits', edgeType, ['batch_size', 'sequence_length', s.vocabSize])];
  for (let i = 0; i < s.nLayer; i++) {
    for (const kv of ['key', 'value']) {
      inputs.push(valueInfo(`past_key_values.${i}.${kv}`, edgeType, ['batch_size', s.nHead, 'past_sequence_length', h]));
      outputs.push(valueInfo(`present.${i}.${kv}`, edgeType, ['batch_size', s.nHead, 'past_sequence_length + sequence_length', h]));
    }
  }
  return { inputs, outputs };
}

const OUT = { logits: 'logits', key: (i: number) => `present.${i}.key`, value: (i: number) => `present.${i}.value` };

const modelProto = (graph: Graph): Uint8Array => encodeModel(graph, 'credence build-tiny');

function plainGraph(s: Gpt2Shape, weights: Tensor[], q8: boolean, fp16Edges = false): Graph {
  const { inputs, outputs } = ioInfo(s, fp16Edges ? FLOAT16 : FLOAT);
  return { name: 'gpt2', node: body(s, '', true, q8, OUT, fp16Edges), initializer: weights, input: inputs, output: outputs };
}

/** Optimum's merged decoder: one file, an If on `use_cache_branch` choosing the with-past or without-past body. */
function mergedGraph(s: Gpt2Shape, weights: Tensor[]): Graph {
  const { inputs, outputs } = ioInfo(s);
  const branch = (name: string, usePast: boolean): Graph => {
    const prefix = `${name}/`;
    const names = { logits: `${prefix}logits`, key: (i: number) => `${prefix}present.${i}.key`, value: (i: number) => `${prefix}present.${i}.value` };
    const outs = outputs.map((o) => ({ ...o, name: `${prefix}${o.name}` }));
    return { name, node: body(s, prefix, usePast, false, names), output: outs };
  };
  const ifNode: Node = {
    opType: 'If', input: ['use_cache_branch'], output: outputs.map((o) => o.name as string), name: 'optimum::if',
    attribute: [
      graphAttr('then_branch', branch('with_past', true)),
      graphAttr('else_branch', branch('without_past', false)),
    ],
  };
  return {
    name: 'gpt2_merged', node: [ifNode], initializer: weights,
    input: [...inputs, valueInfo('use_cache_branch', BOOL, [1])], output: outputs,
  };
}

/** Writes the onnx/ files of a model; returns the file names written. */
export function writeGpt2Onnx(opts: BuildGraphOptions): string[] {
  const { shape: s, seed, outDir, external } = opts;
  const variants = opts.variants ?? ['fp32', 'merged', 'q8'];
  if (s.nEmbd % s.nHead !== 0 || (s.nEmbd / s.nHead) % 8 !== 0) throw new Error(`shape ${s.name}: head size must be a multiple of 8`);
  const onnxDir = join(outDir, 'onnx');
  mkdirSync(onnxDir, { recursive: true });
  const wantQ8 = variants.includes('q8');
  const fp32Sink = new TensorSink(onnxDir, external ? 'model.onnx_data' : null);
  const q8Sink = wantQ8 ? new TensorSink(onnxDir, external ? 'model_quantized.onnx_data' : null) : null;
  let done = 0;
  const total = s.nLayer + 1;
  const weights = makeWeights(s, seed, fp32Sink, q8Sink, () => opts.onProgress?.(++done, total));
  fp32Sink.close();
  q8Sink?.close();
  const written: string[] = [];
  if (variants.includes('fp32')) {
    writeFileSync(join(onnxDir, 'model.onnx'), modelProto(plainGraph(s, weights.fp32, false)));
    written.push('onnx/model.onnx');
    if (external) written.push('onnx/model.onnx_data');
  }
  if (variants.includes('merged')) {
    // The merged graph points at the same model.onnx_data when external.
    writeFileSync(join(onnxDir, 'decoder_model_merged.onnx'), modelProto(mergedGraph(s, weights.fp32)));
    written.push('onnx/decoder_model_merged.onnx');
  }
  if (variants.includes('fp16')) {
    // Shares model.onnx_data when external.
    writeFileSync(join(onnxDir, 'model_fp16.onnx'), modelProto(plainGraph(s, weights.fp32, false, true)));
    written.push('onnx/model_fp16.onnx');
  }
  if (wantQ8) {
    writeFileSync(join(onnxDir, 'model_quantized.onnx'), modelProto(plainGraph(s, weights.q8, true)));
    written.push('onnx/model_quantized.onnx');
    if (external) written.push('onnx/model_quantized.onnx_data');
  }
  return written;
}
