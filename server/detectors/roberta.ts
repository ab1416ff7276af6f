// The RoBERTa OpenAI detector (or any RobertaForSequenceClassification) from its
// Hugging Face ONNX layout, scored exactly as gpt-2-output-dataset's
// detector/server.py does: tokens truncated to 510, wrapped as <s> … </s>,
// softmax over the two logits, label order read from config.json id2label.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import os from 'node:os';
import ort from 'onnxruntime-node';
import { Tokenizer } from '@huggingface/tokenizers';
import { classifierModel, createSession } from './first-token-graph.ts';
import { fileSha256 } from './model-hash.ts';
import { startWorkers, type WorkerPool } from './session-workers.ts';
import { cleanText } from './text-input.ts';

export const ROBERTA_MAX_CONTENT_TOKENS = 510;

export interface RobertaScore {
  real_probability: number;
  fake_probability: number;
  /** Tokens in the text (no specials). */
  all_tokens: number;
  /** Tokens the model saw (≤ 510, no specials). */
  used_tokens: number;
}

export interface RobertaLoadOptions {
  /** ONNX file suffix ('' fp32, '_quantized', '_fp16', ...); default: the most precise present. */
  suffix?: string;
  /** Texts per forward pass. */
  batchSize?: number;
  /** Threads of each session (default: the cores divided among the workers). */
  intraOpNumThreads?: number;
  /**
   * Sessions that score batches side by side, each in its own worker thread on
   * its share of the cores (default 1: one session in this thread). On a few
   * cores two single-threaded sessions can beat one two-threaded session (no
   * per-op thread barrier); each costs one copy of the weights.
   */
  workers?: number;
}

export interface RobertaDetector {
  readonly dir: string;
  readonly modelFile: string;
  /** How many of the last layer's products run on the first two positions only (first-token-graph.ts), or why the graph runs as exported. */
  readonly firstToken: { rowMatMuls: number } | { reason: string };
  modelHash(): Promise<string>;
  /** Token ids the model will see for one text, <s> and </s> included. */
  encode(text: string): { ids: number[]; allTokens: number };
  score(texts: string[]): Promise<RobertaScore[]>;
  close(): Promise<void>;
}

interface RobertaConfigJson {
  model_type?: string;
  id2label?: Record<string, string>;
  bos_token_id?: number;
  eos_token_id?: number;
  pad_token_id?: number;
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message}`);
  }
}

/** Which logit index means Real and which means Fake, from id2label. */
export function labelIndices(config: RobertaConfigJson, configPath: string): { real: number; fake: number } {
  const id2label = config.id2label;
  if (!id2label || typeof id2label !== 'object') throw new Error(`${configPath}: id2label is missing`);
  let real = -1;
  let fake = -1;
  for (const [id, label] of Object.entries(id2label)) {
    const l = String(label).toLowerCase();
    if (l === 'real') real = Number(id);
    if (l === 'fake') fake = Number(id);
  }
  if (real < 0 || fake < 0 || real > 1 || fake > 1 || real === fake) {
    throw new Error(`${configPath}: id2label must name "Real" and "Fake" on ids 0 and 1 (got ${JSON.stringify(id2label)})`);
  }
  return { real, fake };
}

/** Suffixes tried, in order, when none is asked for: full precision first. */
const SUFFIX_PREFERENCE = ['', '_fp16', '_quantized', '_int8', '_uint8', '_q4', '_q4f16', '_bnb4'];

/** onnx/model{suffix}.onnx; without a suffix, the first present in SUFFIX_PREFERENCE (a pull may fetch only q8). */
export function findOnnxFile(dir: string, suffix?: string): string {
  for (const sfx of suffix === undefined ? SUFFIX_PREFERENCE : [suffix]) {
    for (const name of [`model${sfx}.onnx`, `decoder_model_merged${sfx}.onnx`]) {
      const p = join(dir, 'onnx', name);
      if (existsSync(p)) return p;
    }
  }
  const present = existsSync(join(dir, 'onnx')) ? readdirSync(join(dir, 'onnx')).join(', ') || 'empty' : 'no onnx/ folder';
  throw new Error(`${dir}: no onnx/model${suffix ?? ''}.onnx (found: ${present})`);
}

function softmax2(a: number, b: number): [number, number] {
  const m = Math.max(a, b);
  const ea = Math.exp(a - m);
  const eb = Math.exp(b - m);
  return [ea / (ea + eb), eb / (ea + eb)];
}

export async function loadRobertaDetector(dir: string, opts: RobertaLoadOptions = {}): Promise<RobertaDetector> {
  const configPath = join(dir, 'config.json');
  if (!existsSync(configPath)) throw new Error(`${dir}: not a model directory (no config.json)`);
  const config = readJson(configPath) as RobertaConfigJson;
  if (config.model_type !== 'roberta') {
    throw new Error(`${configPath}: model_type is "${config.model_type}", expected "roberta"`);
  }
  const labels = labelIndices(config, configPath);
  const tokPath = join(dir, 'tokenizer.json');
  if (!existsSync(tokPath)) throw new Error(`${dir}: no tokenizer.json`);
  const tokCfgPath = join(dir, 'tokenizer_config.json');
  const tokenizer = new Tokenizer(readJson(tokPath) as object, existsSync(tokCfgPath) ? (readJson(tokCfgPath) as object) : {});
  const bos = config.bos_token_id ?? 0;
  const eos = config.eos_token_id ?? 2;
  const pad = config.pad_token_id ?? 1;

  const modelFile = findOnnxFile(dir, opts.suffix);
  const model = classifierModel(modelFile);
  const workers = Math.max(1, Math.floor(opts.workers ?? 1));
  const threads = opts.intraOpNumThreads ?? (workers > 1 ? Math.max(1, Math.floor(os.availableParallelism() / workers)) : undefined);
  // One session in this thread, or (workers > 1) one per worker thread:
  // onnxruntime-node runs a session on the calling thread, so sessions only
  // run side by side from different threads.
  let session: ort.InferenceSession | null = null;
  let pool: WorkerPool | null = null;
  let inputNames: readonly string[] = [];
  let outputNames: readonly string[] = [];
  let inputTypes: Record<string, string> = {};
  const open = async (source: string | Uint8Array, options: ort.InferenceSession.SessionOptions) => {
    try {
      if (workers > 1) {
        pool = await startWorkers(workers, { kind: 'onnx', model: { source, options }, threads: threads ?? 1 });
        ({ inputNames, outputNames, inputTypes } = pool.info as { inputNames: string[]; outputNames: string[]; inputTypes: Record<string, string> });
      } else {
        session = await createSession(source, { ...options, graphOptimizationLevel: 'all', ...(threads ? { intraOpNumThreads: threads } : {}) });
        inputNames = session.inputNames;
        outputNames = session.outputNames;
        inputTypes = Object.fromEntries(session.inputMetadata.map((m) => [m.name, (m as { type?: string }).type ?? '']));
      }
    } catch (err) {
      await release();
      throw new Error(`${modelFile}: cannot load ONNX model: ${(err as Error).message}`);
    }
  };
  const release = async () => {
    await session?.release();
    await pool?.close();
    session = null;
    pool = null;
  };
  await open(model.source, model.options);
  for (const need of ['input_ids', 'attention_mask']) {
    if (!inputNames.includes(need)) {
      await release();
      throw new Error(`${modelFile}: model has no "${need}" input (inputs: ${inputNames.join(', ')})`);
    }
  }
  if (!outputNames.includes('logits')) {
    await release();
    throw new Error(`${modelFile}: model has no "logits" output`);
  }
  const idType = (name: string) => (inputTypes[name] === 'int32' ? 'int32' : 'int64');
  const hasTokenTypes = inputNames.includes('token_type_ids');
  const batchSize = Math.max(1, opts.batchSize ?? 8);

  const encode = (text: string) => {
    const ids = tokenizer.encode(cleanText(text), { add_special_tokens: false }).ids;
    return { ids: [bos, ...ids.slice(0, ROBERTA_MAX_CONTENT_TOKENS), eos], allTokens: ids.length };
  };

  /** A [batch, len] id tensor's data, typed as the model wants it. */
  const fill = (name: string, n: number, at: (i: number) => number): Int32Array | BigInt64Array => {
    if (idType(name) === 'int32') {
      const a = new Int32Array(n);
      for (let i = 0; i < n; i++) a[i] = at(i);
      return a;
    }
    const a = new BigInt64Array(n);
    for (let i = 0; i < n; i++) a[i] = BigInt(at(i));
    return a;
  };

  async function runBatch(batch: number[][]): Promise<Float32Array> {
    const len = Math.max(...batch.map((b) => b.length));
    const n = batch.length * len;
    const cell = (i: number) => batch[Math.floor(i / len)][i % len];
    const data: Record<string, Int32Array | BigInt64Array> = {
      input_ids: fill('input_ids', n, (i) => cell(i) ?? pad),
      attention_mask: fill('attention_mask', n, (i) => (cell(i) === undefined ? 0 : 1)),
    };
    if (hasTokenTypes) data.token_type_ids = fill('token_type_ids', n, () => 0);
    const dims = [batch.length, len];
    if (pool) {
      const feeds = Object.fromEntries(Object.entries(data).map(([k, d]) => [k, { type: idType(k), data: d, dims }]));
      const out = await pool.run<{ logits: { data: Float32Array } }>({ feeds, outputs: ['logits'] }, Object.values(data).map((d) => d.buffer as ArrayBuffer));
      return out.logits.data;
    }
    const feeds: Record<string, ort.Tensor> = {};
    for (const [k, d] of Object.entries(data)) feeds[k] = new ort.Tensor(idType(k), d, dims);
    const out = await session!.run(feeds, ['logits']);
    return out.logits.data as Float32Array;
  }

  // The rewritten graph (first-token-graph.ts) is the same function when its
  // shapes work out; a graph whose row-wise region holds a tensor that is not
  // one row per position would fail on its first run. One run on "<s></s>"
  // finds that at load, and the exported graph is used instead.
  let firstToken = model.firstToken;
  if (typeof model.source !== 'string') {
    try {
      await runBatch([[bos, eos]]);
    } catch (err) {
      await release();
      await open(modelFile, {});
      firstToken = { reason: `the rewritten graph failed a first run (${(err as Error).message})` };
    }
  }

  return {
    dir,
    modelFile,
    firstToken,
    modelHash: () => fileSha256(modelFile),
    encode,
    async score(texts: string[]): Promise<RobertaScore[]> {
      const encoded = texts.map((t) => encode(t));
      // Longest first so each batch pads little.
      const order = encoded.map((_, i) => i).sort((a, b) => encoded[b].ids.length - encoded[a].ids.length);
      const results: RobertaScore[] = new Array(texts.length);
      // Enough batches to keep every worker busy.
      const size = Math.max(1, Math.min(batchSize, Math.ceil(order.length / workers)));
      const batches: number[][] = [];
      for (let start = 0; start < order.length; start += size) batches.push(order.slice(start, start + size));
      let next = 0;
      const work = async () => {
        while (next < batches.length) {
          const idx = batches[next++];
          const logits = await runBatch(idx.map((i) => encoded[i].ids));
          idx.forEach((i, row) => {
            const probs = softmax2(logits[row * 2], logits[row * 2 + 1]);
            const e = encoded[i];
            results[i] = {
              real_probability: probs[labels.real],
              fake_probability: probs[labels.fake],
              all_tokens: e.allTokens,
              used_tokens: e.ids.length - 2,
            };
          });
        }
      };
      await Promise.all(Array.from({ length: workers }, work));
      return results;
    },
    close: release,
  };
}
