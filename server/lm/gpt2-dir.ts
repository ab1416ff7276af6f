// A GPT-2 model directory: the shared layout (server/models/model-dir.ts) read
// as a GPT-2 decoder: config.json's hyper-parameters, the tokenizer (checked
// against vocab_size), generation_config.json, and the model hash that
// provenance records.
import { modelHash, openModelDir, readOptionalJson, readTokenizerFiles, type ModelDir, type OpenModelDirOptions } from '../models/model-dir.ts';
import { createTokenizer, type LmTokenizer } from './tokenizer.ts';

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

export interface Gpt2Dir extends ModelDir {
  config: Gpt2Config;
  generationConfig: Record<string, unknown>;
  tokenizer: LmTokenizer;
  /** modelHash(): sha256 of the .onnx file followed by its external data files in sorted order; '' with skipHash. */
  sha256: string;
}

export interface LoadGpt2DirOptions extends Omit<OpenModelDirOptions, 'modelType'> {
  /** Skip hashing (for quick listings and worker threads whose parent hashed). */
  skipHash?: boolean;
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

export async function loadGpt2Dir(dirArg: string, opts: LoadGpt2DirOptions = {}): Promise<Gpt2Dir> {
  const m = openModelDir(dirArg, { dtype: opts.dtype, modelFileName: opts.modelFileName, modelType: 'gpt2' });
  const config = parseGpt2Config(m.rawConfig, m.configPath);
  const tok = readTokenizerFiles(m);
  const tokenizer = createTokenizer(tok.json, tok.config, tok.path);
  if (tokenizer.vocabSize !== config.vocabSize) {
    throw new Error(`${tok.path}: vocabulary has ${tokenizer.vocabSize} tokens but ${m.configPath} says vocab_size ${config.vocabSize}`);
  }
  return {
    ...m,
    config,
    generationConfig: readOptionalJson(m, 'generation_config.json'),
    tokenizer,
    sha256: opts.skipHash ? '' : await modelHash(m),
  };
}
