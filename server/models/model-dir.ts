// The one model-directory module: the Hugging Face ONNX layout every model
// here comes in (GPT-2 decoders and RoBERTa detectors alike), checked before
// any session is created. It knows where config.json and the tokenizer live,
// which onnx/ file a dtype means, which external data files that graph needs
// (and that they are whole), and the model's hash. What a config *means* is
// the caller's: server/lm/gpt2-dir.ts for GPT-2, server/detectors/roberta.ts
// for the classifier. Pulling (pull.ts) and listing (list.ts) live beside it
// and use the same layout. Every problem is reported with the file it concerns.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import onnxProto from 'onnx-proto';
import { sha256Files } from '../file-hash.ts';

const { onnx } = onnxProto;

/** onnx/<name><suffix>.onnx for each dtype; the order is the preference when none is asked for (full precision first). */
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

/** The graph file (under onnx/) of base name `name` (`model`, `decoder_model_merged`) at `dtype`. */
export const graphFile = (name: string, dtype: Dtype): string => `${name}${DTYPE_SUFFIX[dtype]}.onnx`;

/** The dtypes whose graph is among `graphs` (file names under onnx/). */
export function dtypesOf(graphs: string[]): Dtype[] {
  return DTYPES.filter((d) => MODEL_FILE_NAMES.some((n) => graphs.includes(graphFile(n, d))));
}

/** The files of one model directory, located and checked. */
export interface ModelDir {
  /** The directory given (absolute). */
  dir: string;
  /** Where config.json and tokenizer.json were found (dir, or dir/onnx in the openai-community layout). */
  configDir: string;
  configPath: string;
  /** Short name for provenance: the directory's base name. */
  name: string;
  /** config.json as read. */
  rawConfig: Record<string, unknown>;
  modelType: string;
  onnxPath: string;
  /** `model` or `decoder_model_merged`. */
  modelFileName: string;
  dtype: Dtype;
  /** External data files the graph references (absolute paths), sorted. */
  dataFiles: string[];
  /** Bytes of .onnx plus its external data. */
  bytes: number;
}

export interface OpenModelDirOptions {
  dtype?: Dtype;
  /** Force `model` or `decoder_model_merged` (or any other base name under onnx/). */
  modelFileName?: string;
  /** The config.json model_type the caller can run (e.g. "gpt2", "roberta"). */
  modelType?: string;
}

export function readJson(path: string): Record<string, unknown> {
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

/** config.json's folder: the directory itself, or onnx/ (openai-community keeps config and tokenizer next to the graphs); null when neither has one. */
export function configDirOf(dir: string): string | null {
  const onnxDir = join(dir, 'onnx');
  return existsSync(join(dir, 'config.json')) ? dir : existsSync(join(onnxDir, 'config.json')) ? onnxDir : null;
}

/** config.json's model_type, or "unknown" when it has none or cannot be read (for listings). */
export function modelTypeOf(dir: string): string {
  const configDir = configDirOf(dir);
  if (!configDir) return 'unknown';
  try {
    const t = readJson(join(configDir, 'config.json')).model_type;
    return typeof t === 'string' ? t : 'unknown';
  } catch {
    return 'unknown';
  }
}

/** tokenizer.json (required) and tokenizer_config.json (optional) of a model directory. */
export function readTokenizerFiles(m: Pick<ModelDir, 'configDir'>): { path: string; json: Record<string, unknown>; config: Record<string, unknown> } {
  const path = join(m.configDir, 'tokenizer.json');
  if (!existsSync(path)) throw new Error(`${path}: missing (the model directory has no tokenizer)`);
  const cfgPath = join(m.configDir, 'tokenizer_config.json');
  return { path, json: readJson(path), config: existsSync(cfgPath) ? readJson(cfgPath) : {} };
}

/** An optional JSON file next to config.json (generation_config.json …), {} when absent. */
export function readOptionalJson(m: Pick<ModelDir, 'configDir'>, file: string): Record<string, unknown> {
  const path = join(m.configDir, file);
  return existsSync(path) ? readJson(path) : {};
}

/** Which onnx/<name><suffix>.onnx to run. */
function pickOnnx(onnxDir: string, dtype: Dtype | undefined, modelFileName: string | undefined): { path: string; name: string; dtype: Dtype } {
  const names = modelFileName ? [modelFileName] : [...MODEL_FILE_NAMES];
  const dtypes = dtype ? [dtype] : DTYPES;
  for (const d of dtypes) {
    for (const n of names) {
      const p = join(onnxDir, graphFile(n, d));
      if (existsSync(p)) return { path: p, name: n, dtype: d };
    }
  }
  const tried = dtypes.flatMap((d) => names.map((n) => graphFile(n, d)));
  const present = existsSync(onnxDir) ? readdirSync(onnxDir).filter((f) => f.endsWith('.onnx')).join(', ') || 'none' : 'none';
  throw new Error(`${onnxDir}: no model graph found (looked for ${tried.join(', ')}; present: ${present})`);
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

/** Locates and checks a model directory's files: config, graph for the dtype, external data. */
export function openModelDir(dirArg: string, opts: OpenModelDirOptions = {}): ModelDir {
  const dir = resolve(dirArg);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new Error(`${dir}: model directory not found`);
  if (opts.dtype && !(opts.dtype in DTYPE_SUFFIX)) throw new Error(`unknown dtype "${opts.dtype}" (expected one of ${DTYPES.join(', ')})`);
  const configDir = configDirOf(dir);
  if (!configDir) throw new Error(`${join(dir, 'config.json')}: missing (a model directory needs config.json, tokenizer.json and onnx/*.onnx)`);
  const configPath = join(configDir, 'config.json');
  const rawConfig = readJson(configPath);
  const modelType = String(rawConfig.model_type ?? '');
  if (opts.modelType !== undefined && modelType !== opts.modelType) {
    throw new Error(`${configPath}: model_type is "${modelType}", expected "${opts.modelType}"`);
  }
  const onnxDir = join(dir, 'onnx');
  if (!existsSync(onnxDir)) throw new Error(`${onnxDir}: missing (no ONNX graphs in the model directory)`);
  const picked = pickOnnx(onnxDir, opts.dtype, opts.modelFileName);
  const dataFiles = checkOnnxFile(picked.path);
  const bytes = [picked.path, ...dataFiles].reduce((s, f) => s + statSync(f).size, 0);
  return {
    dir, configDir, configPath, name: basename(dir), rawConfig, modelType,
    onnxPath: picked.path, modelFileName: picked.name, dtype: picked.dtype, dataFiles, bytes,
  };
}

/** The model's hash: sha256 of the .onnx file followed by its external data files in sorted order (computed once per process). */
export function modelHash(m: Pick<ModelDir, 'onnxPath' | 'dataFiles'>): Promise<string> {
  return sha256Files([m.onnxPath, ...m.dataFiles]);
}
