// Reads a GPT-2 model directory in the Hugging Face ONNX layout and checks that
// it is complete and consistent before any session is created: config,
// tokenizer, which .onnx to run for the requested dtype, and its external data.
// Every problem is reported with the file it concerns.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import onnxProto from 'onnx-proto';
import { createTokenizer, type LmTokenizer } from './tokenizer.ts';

const { onnx } = onnxProto;

export const DTYPE_SUFFIX = {
  fp32: '',
  fp16: '_fp16',
  q8: '_quantized',
  int8: '_int8',
  uint8: '_uint8',
  q4: '_q4',
  q4f16: '_q4f16',
  bnb4: '_bnb4',
} as const;
export type Dtype = keyof typeof DTYPE_SUFFIX;
export const DTYPES = Object.keys(DTYPE_SUFFIX) as Dtype[];

/** transformers.js v3+ loads `model`, v2 loaded `decoder_model_merged`. */
export const MODEL_FILE_NAMES = ['model', 'decoder_model_merged'] as const;

export interface Gpt2Config {
  raw: Record<string, unknown>;
  modelType: string;
  nLayer: number;
  nHead: number;
  nEmbd: number;
  headDim: number;
  nPositions: number;
  vocabSize: number;
  eosTokenId: number;
  bosTokenId: number;
}

export interface ModelDir {
  /** The directory given. */
  dir: string;
  /** Where config.json and tokenizer.json were found (dir, or dir/onnx in the openai-community layout). */
  configDir: string;
  /** Short name for provenance: the directory's base name. */
  name: string;
  config: Gpt2Config;
  generationConfig: Record<string, unknown>;
  tokenizer: LmTokenizer;
  onnxPath: string;
  /** `model` or `decoder_model_merged`. */
  modelFileName: string;
  dtype: Dtype;
  /** External data files the graph references (absolute paths), sorted. */
  dataFiles: string[];
  /** Bytes of .onnx plus its external data. */
  bytes: number;
  /** sha256 of the .onnx file followed by its external data files in sorted order. */
  sha256: string;
}

export interface LoadModelDirOptions {
  dtype?: Dtype;
  /** Force `model` or `decoder_model_merged` (or any other base name under onnx/). */
  modelFileName?: string;
  /** Skip hashing (for quick listings). */
  skipHash?: boolean;
}

function readJson(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new Error(`${path}: cannot read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  try {
    const v = JSON.parse(text) as unknown;
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error('not a JSON object');
    return v as Record<string, unknown>;
  } catch (err) {
    throw new Error(`${path}: invalid JSON (${(err as Error).message})`);
  }
}

function intField(raw: Record<string, unknown>, path: string, ...names: string[]): number {
  for (const n of names) {
    const v = raw[n];
    if (typeof v === 'number' && Number.isInteger(v) && v > 0) return v;
  }
  throw new Error(`${path}: field "${names[0]}" is missing or not a positive integer`);
}

export function parseGpt2Config(raw: Record<string, unknown>, path: string): Gpt2Config {
  const modelType = String(raw.model_type ?? '');
  if (modelType !== 'gpt2') throw new Error(`${path}: model_type is "${modelType}", expected "gpt2"`);
  const nEmbd = intField(raw, path, 'n_embd', 'hidden_size');
  const nHead = intField(raw, path, 'n_head', 'num_attention_heads');
  if (nEmbd % nHead !== 0) throw new Error(`${path}: n_embd ${nEmbd} is not a multiple of n_head ${nHead}`);
  const eos = typeof raw.eos_token_id === 'number' ? raw.eos_token_id : 50256;
  return {
    raw,
    modelType,
    nLayer: intField(raw, path, 'n_layer', 'num_hidden_layers'),
    nHead,
    nEmbd,
    headDim: nEmbd / nHead,
    nPositions: intField(raw, path, 'n_positions', 'n_ctx', 'max_position_embeddings'),
    vocabSize: intField(raw, path, 'vocab_size'),
    eosTokenId: eos,
    bosTokenId: typeof raw.bos_token_id === 'number' ? raw.bos_token_id : eos,
  };
}

/** Which onnx/<name><suffix>.onnx to run. */
function pickOnnx(onnxDir: string, dtype: Dtype | undefined, modelFileName: string | undefined): { path: string; name: string; dtype: Dtype } {
  const names = modelFileName ? [modelFileName] : [...MODEL_FILE_NAMES];
  const dtypes = dtype ? [dtype] : DTYPES;
  for (const d of dtypes) {
    for (const n of names) {
      const p = join(onnxDir, `${n}${DTYPE_SUFFIX[d]}.onnx`);
      if (existsSync(p)) return { path: p, name: n, dtype: d };
    }
  }
  const tried = dtypes.flatMap((d) => names.map((n) => `${n}${DTYPE_SUFFIX[d]}.onnx`));
  throw new Error(`${onnxDir}: no decoder graph found (looked for ${tried.join(', ')})`);
}

/** External data locations referenced anywhere in the graph (including If branches), with the bytes each must hold. */
export function externalDataNeeds(bytes: Uint8Array, path: string): Map<string, number> {
  let model: onnxProto.onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (err) {
    throw new Error(`${path}: not a valid ONNX file, truncated or corrupt (${(err as Error).message})`);
  }
  if (!model.graph) throw new Error(`${path}: not a valid ONNX file (no graph)`);
  const needs = new Map<string, number>();
  const visit = (g: onnxProto.onnx.IGraphProto) => {
    // Constant nodes can keep their values outside too (openai-community gpt2-large).
    const constants = (g.node ?? []).flatMap((n) => (n.attribute ?? []).flatMap((a) => [...(a.t ? [a.t] : []), ...(a.tensors ?? [])]));
    for (const t of [...(g.initializer ?? []), ...constants]) {
      if (t.dataLocation !== onnx.TensorProto.DataLocation.EXTERNAL) continue;
      const kv = Object.fromEntries((t.externalData ?? []).map((e) => [e.key, e.value]));
      const loc = kv.location;
      if (!loc) throw new Error(`${path}: tensor ${t.name} has external data without a location`);
      const end = Number(kv.offset ?? 0) + Number(kv.length ?? 0);
      needs.set(loc, Math.max(needs.get(loc) ?? 0, end));
    }
    for (const n of g.node ?? []) for (const a of n.attribute ?? []) {
      if (a.g) visit(a.g);
      for (const sg of a.graphs ?? []) visit(sg);
    }
  };
  visit(model.graph);
  return needs;
}

/** Graphs with external weights are small; graphs with inline weights are not worth parsing here. */
const PARSE_LIMIT = 256 * 1024 * 1024;

function checkOnnxFile(onnxPath: string): string[] {
  const size = statSync(onnxPath).size;
  if (size === 0) throw new Error(`${onnxPath}: empty file`);
  if (size > PARSE_LIMIT) return [];
  const needs = externalDataNeeds(readFileSync(onnxPath), onnxPath);
  const dir = resolve(onnxPath, '..');
  const files: string[] = [];
  for (const [loc, end] of needs) {
    const p = resolve(dir, loc);
    if (!existsSync(p)) throw new Error(`${onnxPath}: external data file ${loc} is missing (expected at ${p})`);
    const have = statSync(p).size;
    if (end > 0 && have < end) throw new Error(`${p}: external data is truncated (${have} bytes, the graph needs ${end})`);
    files.push(p);
  }
  return files.sort();
}

const hashCache = new Map<string, string>();

/** sha256 over the .onnx and then its data files; cached per (paths, sizes, mtimes) in this process. */
export function hashModelFiles(files: string[]): string {
  const key = files.map((f) => { const s = statSync(f); return `${f}:${s.size}:${s.mtimeMs}`; }).join('|');
  const hit = hashCache.get(key);
  if (hit) return hit;
  const h = createHash('sha256');
  const buf = Buffer.allocUnsafe(8 * 1024 * 1024);
  for (const f of files) {
    const fd = openSync(f, 'r');
    try {
      for (;;) {
        const n = readSync(fd, buf, 0, buf.length, null);
        if (n === 0) break;
        h.update(buf.subarray(0, n));
      }
    } finally {
      closeSync(fd);
    }
  }
  const hex = h.digest('hex');
  hashCache.set(key, hex);
  return hex;
}

export async function loadModelDir(dirArg: string, opts: LoadModelDirOptions = {}): Promise<ModelDir> {
  const dir = resolve(dirArg);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`${dir}: model directory not found`);
  if (opts.dtype && !(opts.dtype in DTYPE_SUFFIX)) throw new Error(`unknown dtype "${opts.dtype}" (expected one of ${DTYPES.join(', ')})`);
  const onnxDir = join(dir, 'onnx');
  // openai-community keeps config and tokenizer next to the graphs, inside onnx/.
  const configDir = existsSync(join(dir, 'config.json')) ? dir : existsSync(join(onnxDir, 'config.json')) ? onnxDir : null;
  if (!configDir) throw new Error(`${join(dir, 'config.json')}: missing (a model directory needs config.json, tokenizer.json and onnx/*.onnx)`);
  const configPath = join(configDir, 'config.json');
  const config = parseGpt2Config(readJson(configPath), configPath);
  const tokPath = join(configDir, 'tokenizer.json');
  if (!existsSync(tokPath)) throw new Error(`${tokPath}: missing (the model directory has no tokenizer)`);
  const tokConfigPath = join(configDir, 'tokenizer_config.json');
  const tokConfig = existsSync(tokConfigPath) ? readJson(tokConfigPath) : {};
  const tokenizer = createTokenizer(readJson(tokPath), tokConfig, tokPath);
  if (tokenizer.vocabSize !== config.vocabSize) {
    throw new Error(`${tokPath}: vocabulary has ${tokenizer.vocabSize} tokens but ${configPath} says vocab_size ${config.vocabSize}`);
  }
  const genPath = join(configDir, 'generation_config.json');
  const generationConfig = existsSync(genPath) ? readJson(genPath) : {};
  if (!existsSync(onnxDir)) throw new Error(`${onnxDir}: missing (no ONNX graphs in the model directory)`);
  const picked = pickOnnx(onnxDir, opts.dtype, opts.modelFileName);
  const dataFiles = checkOnnxFile(picked.path);
  const files = [picked.path, ...dataFiles];
  const bytes = files.reduce((s, f) => s + statSync(f).size, 0);
  return {
    dir,
    configDir,
    name: basename(dir),
    config,
    generationConfig,
    tokenizer,
    onnxPath: picked.path,
    modelFileName: picked.name,
    dtype: picked.dtype,
    dataFiles,
    bytes,
    sha256: opts.skipHash ? '' : hashModelFiles(files),
  };
}
