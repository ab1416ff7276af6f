// Int8 decoding on onnxruntime's MatMulNBits kernels.
//
// A quantized GPT-2 (`model_quantized.onnx`, `_int8`, `_uint8`) multiplies by
// its int8 weights through DynamicQuantizeMatMul: either that com.microsoft op
// (the project's own builds) or the chain onnxruntime's quantize_dynamic writes
// and onnxruntime fuses back into it at load (DynamicQuantizeLinear →
// MatMulInteger → Cast → Mul by the product of the two scales). Its kernel is
// a general int8 GEMM: at one token per row, the shape of every decode step,
// it runs at about half the speed of the weight bytes it has to read.
// MatMulNBits is the kernel onnxruntime writes for exactly that shape
// (quantized-weight LLM decoding). With 8 bits it holds the same weights: each
// column's int8 values shifted to uint8 with the zero point shifted likewise,
// and the column's scale repeated for every block of K, so (q − zero) × scale
// is unchanged. With accuracy_level 4 it quantizes the activations to int8
// per block of K as well (DynamicQuantizeMatMul does it per tensor, to uint8),
// so logits differ from the exported graph's by about as much as that graph's
// differ from fp32: generation records say which kernel ran.
//
// The re-laid weights ([N, blocks, block] instead of [K, N]) are written once
// to `.credence/` next to the .onnx, keyed by its size and mtime, and read by
// onnxruntime from there as external data; the rest of the graph still reads
// its bytes from the original file (onnx-rewrite.ts).
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import onnxProto from 'onnx-proto';
import { externalTensor, type GraphEdit, type OnnxFile } from './onnx-rewrite.ts';

const { onnx } = onnxProto;
const MS = 'com.microsoft';
const { FLOAT, INT8, UINT8 } = onnx.TensorProto.DataType;
/** Bumped when the cache file's layout changes. */
const CACHE_VERSION = 1;
const CACHE_DIR = '.credence';
const ALIGN = 64;

export const INT8_KERNEL = 'MatMulNBits (8-bit, accuracy level 4)';

/** MatMulNBits' zero point when none is given (8 bits); its kernel is much faster without explicit ones. */
const DEFAULT_ZERO = 128;

/** One int8 matrix product found in the graph, in the terms of its dequantization (q − zero) × scale. */
interface Int8MatMul {
  /** The float activation input and the float output. */
  input: string;
  output: string;
  weight: string;
  scale: string;
  zero: string | null;
  bias: string | null;
  /** Nodes the MatMulNBits node replaces; the first one's place in the node list is where it goes. */
  replaces: onnxProto.onnx.INodeProto[];
}

/** The nodes of `file` that consume each tensor. */
function consumersOf(nodes: onnxProto.onnx.INodeProto[]): Map<string, onnxProto.onnx.INodeProto[]> {
  const map = new Map<string, onnxProto.onnx.INodeProto[]>();
  for (const n of nodes) for (const i of n.input ?? []) if (i) (map.get(i) ?? map.set(i, []).get(i)!).push(n);
  return map;
}

function findInt8MatMuls(file: OnnxFile): Int8MatMul[] {
  const nodes = file.signature.nodes;
  const consumers = consumersOf(nodes);
  const producer = new Map<string, onnxProto.onnx.INodeProto>();
  for (const n of nodes) for (const o of n.output ?? []) producer.set(o, n);
  const isInit = (name: string | undefined) => !!name && file.initializerNames.has(name);
  const only = (name: string) => { const c = consumers.get(name) ?? []; return c.length === 1 ? c[0] : null; };
  const found: Int8MatMul[] = [];
  for (const n of nodes) {
    const ins = n.input ?? [];
    if (n.opType === 'DynamicQuantizeMatMul' && n.domain === MS && isInit(ins[1]) && isInit(ins[2])) {
      if (ins[3] && !isInit(ins[3])) continue;
      if (ins[4] && !isInit(ins[4])) continue;
      found.push({ input: ins[0], output: n.output![0], weight: ins[1], scale: ins[2], zero: ins[3] || null, bias: ins[4] || null, replaces: [n] });
      continue;
    }
    // quantize_dynamic's chain: y = Cast(MatMulInteger(q(x), W, zx, zW)) · (sx · sW).
    if (n.opType !== 'MatMulInteger' || (n.domain ?? '') !== '' || !isInit(ins[1]) || (ins[3] && !isInit(ins[3]))) continue;
    const dql = producer.get(ins[0]);
    if (!dql || dql.opType !== 'DynamicQuantizeLinear' || dql.output![0] !== ins[0] || dql.output![2] !== ins[2]) continue;
    const cast = only(n.output![0]);
    if (!cast || cast.opType !== 'Cast' || Number(cast.attribute?.find((a) => a.name === 'to')?.i) !== FLOAT) continue; // i is a Long when decoded
    const mul = only(cast.output![0]);
    if (!mul || mul.opType !== 'Mul') continue;
    const scales = producer.get(mul.input!.find((i) => i !== cast.output![0]) ?? '');
    if (!scales || scales.opType !== 'Mul' || !scales.input!.includes(dql.output![1])) continue;
    const weightScale = scales.input!.find((i) => i !== dql.output![1]);
    if (!isInit(weightScale)) continue;
    const replaces = [n, cast, mul];
    // The scale product serves only this product: it goes too.
    if ((consumers.get(scales.output![0]) ?? []).length === 1) replaces.push(scales);
    found.push({ input: dql.input![0], output: mul.output![0], weight: ins[1], scale: weightScale!, zero: ins[3] || null, bias: null, replaces });
  }
  return found;
}

/** Block of K: 256 (fastest at decode shapes) or, for narrow models, the largest power of two ≤ K, at least 16. */
function blockSizeFor(k: number): number {
  let b = 256;
  while (b > 16 && b > k) b /= 2;
  return b;
}

interface Planned {
  mm: Int8MatMul;
  k: number;
  n: number;
  block: number;
  blocks: number;
  /** Byte offsets in the cache file of the weights, scales and zero points. */
  at: { weight: number; scale: number; zero: number };
  /** Every zero point is MatMulNBits' default, so none are given. */
  defaultZero: boolean;
}

const aligned = (x: number) => Math.ceil(x / ALIGN) * ALIGN;

/** The int8 products that can be re-laid, with where their data goes, or why one cannot. */
function plan(file: OnnxFile, found: Int8MatMul[]): { planned: Planned[]; size: number } | { reason: string } {
  const planned: Planned[] = [];
  let pos = 0;
  for (const mm of found) {
    const w = file.tensor(mm.weight)!;
    if (w.dims.length !== 2 || (w.dataType !== INT8 && w.dataType !== UINT8)) return { reason: `${mm.weight} is not a 2-D int8/uint8 matrix` };
    const [k, n] = w.dims;
    const s = file.tensor(mm.scale)!;
    const count = s.dims.reduce((a, b) => a * b, 1);
    if (s.dataType !== FLOAT || (count !== 1 && count !== n)) return { reason: `${mm.scale} is not one float32 scale per tensor or per column` };
    let defaultZero = w.dataType === INT8 && !mm.zero;
    if (mm.zero) {
      const z = file.tensor(mm.zero)!;
      if (z.dataType !== w.dataType || z.dims.reduce((a, b) => a * b, 1) !== count) return { reason: `${mm.zero} does not match its weight's type and scales` };
      defaultZero = zeroPoints(file, mm.zero, w.dataType === INT8, 1).every((v) => v === DEFAULT_ZERO);
    }
    const block = blockSizeFor(k);
    const blocks = Math.ceil(k / block);
    const at = { weight: pos, scale: aligned(pos + n * blocks * block), zero: 0 };
    at.zero = aligned(at.scale + n * blocks * 4);
    pos = aligned(at.zero + n * blocks);
    planned.push({ mm, k, n, block, blocks, at, defaultZero });
  }
  return { planned, size: pos };
}

/** Zero points shifted to uint8 (int8 ones by 128), one per column (n) or as stored (n = 1 reads the stored ones). */
function zeroPoints(file: OnnxFile, name: string | null, signed: boolean, n: number): Uint8Array {
  const shift = signed ? 128 : 0;
  if (!name) return new Uint8Array(n).fill(shift);
  const z = file.tensor(name)!.data();
  const out = new Uint8Array(Math.max(n, z.length === 1 ? 1 : z.length));
  for (let c = 0; c < out.length; c++) {
    const b = z[z.length === 1 ? 0 : c];
    out[c] = (signed ? (b << 24) >> 24 : b) + shift;
  }
  return out;
}

function scalarsOf(file: OnnxFile, name: string, n: number): Float32Array {
  const b = file.tensor(name)!.data();
  const v = new Float32Array(b.slice().buffer);
  return v.length === 1 ? new Float32Array(n).fill(v[0]) : v;
}

/** Weights as uint8 [N, blocks, block] with zero points shifted to match, scales repeated per block. */
function relay(file: OnnxFile, p: Planned): { weight: Uint8Array; scale: Float32Array; zero: Uint8Array } {
  const { mm, k, n, block, blocks } = p;
  const t = file.tensor(mm.weight)!;
  const signed = t.dataType === INT8;
  const src = t.data();
  const zeros = zeroPoints(file, mm.zero, signed, n);
  const row = blocks * block;
  const weight = new Uint8Array(n * row);
  for (let c = 0; c < n; c++) weight.fill(zeros[c], c * row + k, (c + 1) * row); // padding past K dequantizes to 0
  // int8 → uint8 is a flip of the top bit; uint8 stays as it is.
  const flip = signed ? 0x80 : 0;
  for (let r = 0; r < k; r++) {
    const from = r * n;
    for (let c = 0; c < n; c++) weight[c * row + r] = src[from + c] ^ flip;
  }
  const perColumn = scalarsOf(file, mm.scale, n);
  const scale = new Float32Array(n * blocks);
  const zero = new Uint8Array(n * blocks);
  for (let c = 0; c < n; c++) {
    scale.fill(perColumn[c], c * blocks, (c + 1) * blocks);
    zero.fill(zeros[c], c * blocks, (c + 1) * blocks);
  }
  return { weight, scale, zero };
}

/** Writes the cache file (once; atomically), removing older caches of the same model file. */
function writeCache(file: OnnxFile, planned: Planned[], size: number, path: string): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  const stem = `${basename(file.path)}.int8-nbits.`;
  // Older caches of this file go; another process's temporary file (`.tmp-PID`) is left to it.
  for (const f of readdirSync(dir)) if (f.startsWith(stem) && f.endsWith('.bin') && join(dir, f) !== path) rmSync(join(dir, f), { force: true });
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w');
  try {
    for (const p of planned) {
      const { weight, scale, zero } = relay(file, p);
      writeSync(fd, weight, 0, weight.length, p.at.weight);
      writeSync(fd, new Uint8Array(scale.buffer), 0, scale.byteLength, p.at.scale);
      writeSync(fd, zero, 0, zero.length, p.at.zero);
    }
    if (size > 0) writeSync(fd, new Uint8Array(1), 0, 1, size - 1);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}

export interface NbitsRewrite {
  edit: Required<Pick<GraphEdit, 'nodes' | 'dropInitializers' | 'addInitializers'>>;
  /** Products rewritten. */
  count: number;
}

/**
 * The graph edit that runs every int8 matrix product of `file` on
 * MatMulNBits, or null when it has none, or why it is left as exported.
 * `nodes` is the node list to start from (another rewrite's, or the file's).
 */
export function int8ToNbits(file: OnnxFile, nodes = file.signature.nodes): NbitsRewrite | null | { reason: string } {
  const found = findInt8MatMuls(file);
  if (found.length === 0) return null;
  const p = plan(file, found);
  if ('reason' in p) return p;
  const st = statSync(file.path);
  const location = join(CACHE_DIR, `${basename(file.path)}.int8-nbits.v${CACHE_VERSION}-${st.size}-${Math.floor(st.mtimeMs)}.bin`);
  const path = join(dirname(file.path), location);
  if (!existsSync(path) || statSync(path).size !== p.size) {
    try {
      writeCache(file, p.planned, p.size, path);
    } catch (err) {
      return { reason: `could not write ${path} (${(err as Error).message})` };
    }
  }
  const replaced = new Map<onnxProto.onnx.INodeProto, onnxProto.onnx.INodeProto | null>();
  const drop = new Set<string>();
  const add: onnxProto.onnx.ITensorProto[] = [];
  const int = (name: string, i: number) => ({ name, type: onnx.AttributeProto.AttributeType.INT, i });
  for (const { mm, k, n, block, blocks, at, defaultZero } of p.planned) {
    const base = mm.output.replace(/[^A-Za-z0-9_.]/g, '_');
    const names = { weight: `${base}.nbits_weight`, scale: `${base}.nbits_scale`, zero: `${base}.nbits_zero` };
    add.push(
      externalTensor(names.weight, [n, blocks, block], UINT8, location, at.weight, n * blocks * block),
      externalTensor(names.scale, [n * blocks], FLOAT, location, at.scale, n * blocks * 4),
      ...(defaultZero ? [] : [externalTensor(names.zero, [n * blocks], UINT8, location, at.zero, n * blocks)]),
    );
    for (const name of [mm.weight, mm.scale, mm.zero]) if (name) drop.add(name);
    const node = onnx.NodeProto.create({
      name: `${base}.nbits`, opType: 'MatMulNBits', domain: MS,
      input: [mm.input, names.weight, names.scale, defaultZero ? '' : names.zero, ...(mm.bias ? ['', mm.bias] : [])],
      output: [mm.output],
      attribute: [int('K', k), int('N', n), int('bits', 8), int('block_size', block), int('accuracy_level', 4)],
    });
    mm.replaces.forEach((r, i) => replaced.set(r, i === 0 ? node : null));
  }
  const out = nodes.flatMap((n) => (replaced.has(n) ? (replaced.get(n) ? [replaced.get(n)!] : []) : [n]));
  // A DynamicQuantizeLinear whose every consumer was replaced has nothing left to feed.
  const used = new Set(out.flatMap((n) => n.input ?? []));
  const outputs = new Set(file.signature.outputs.map((o) => o.name));
  const live = out.filter((n) => n.opType !== 'DynamicQuantizeLinear' || (n.output ?? []).some((o) => used.has(o) || outputs.has(o)));
  // Initializers still read elsewhere (a weight shared by two products, say) stay.
  const stillRead = new Set(live.flatMap((n) => n.input ?? []));
  for (const name of [...drop]) if (stillRead.has(name)) drop.delete(name);
  return { edit: { nodes: live, dropInitializers: drop, addInitializers: add }, count: p.planned.length };
}
