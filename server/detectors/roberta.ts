// The RoBERTa OpenAI detector (or any RobertaForSequenceClassification) from its
// Hugging Face ONNX layout, scored exactly as gpt-2-output-dataset's
// detector/server.py does: tokens truncated to 510, wrapped as <s> … </s>,
// softmax over the two logits, label order read from config.json id2label.
import os from 'node:os';
import ort from 'onnxruntime-node';
import { Tokenizer } from '@huggingface/tokenizers';
import { classifierModel, createSession } from './first-token-graph.ts';
import { modelHash, openModelDir, readTokenizerFiles, type Dtype } from '../models/model-dir.ts';
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
  /** Which onnx/ file (fp32, q8, fp16…); default: the most precise present. */
  dtype?: Dtype;
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

function softmax2(a: number, b: number): [number, number] {
  const m = Math.max(a, b);
  const ea = Math.exp(a - m);
  const eb = Math.exp(b - m);
  return [ea / (ea + eb), eb / (ea + eb)];
}

/** What a detector directory holds, read and checked: graph file, labels, tokenizer, special ids. */
interface RobertaDir {
  modelFile: string;
  dataFiles: string[];
  labels: { real: number; fake: number };
  tokenizer: Tokenizer;
  bos: number;
  eos: number;
  pad: number;
}

function readRobertaDir(dir: string, dtype: Dtype | undefined): RobertaDir {
  const m = openModelDir(dir, { modelType: 'roberta', ...(dtype ? { dtype } : {}) });
  const config = m.rawConfig as RobertaConfigJson;
  const labels = labelIndices(config, m.configPath);
  const tok = readTokenizerFiles(m);
  return {
    modelFile: m.onnxPath,
    dataFiles: m.dataFiles,
    labels,
    tokenizer: new Tokenizer(tok.json, tok.config),
    bos: config.bos_token_id ?? 0,
    eos: config.eos_token_id ?? 2,
    pad: config.pad_token_id ?? 1,
  };
}

/** Id tensors as plain data: what a session in this thread or in a worker is fed. */
type Feeds = Record<string, { type: 'int32' | 'int64'; data: Int32Array | BigInt64Array; dims: number[] }>;

/** One session in this thread, or one per worker thread, behind one call. */
interface Runner {
  inputNames: readonly string[];
  inputTypes: Record<string, string>;
  /** The [batch, 2] logits. */
  run(feeds: Feeds): Promise<Float32Array>;
  close(): Promise<void>;
}

/**
 * onnxruntime-node runs a session on the calling thread, so sessions only run
 * side by side from different threads: workers > 1 puts one in each.
 */
async function openRunner(modelFile: string, source: string | Uint8Array, options: ort.InferenceSession.SessionOptions, workers: number, threads: number | undefined): Promise<Runner> {
  let outputNames: readonly string[];
  let runner: Runner;
  try {
    if (workers > 1) {
      const pool = await startWorkers(workers, { kind: 'onnx', model: { source, options }, threads: threads ?? 1 });
      const info = pool.info as { inputNames: string[]; outputNames: string[]; inputTypes: Record<string, string> };
      outputNames = info.outputNames;
      runner = {
        inputNames: info.inputNames,
        inputTypes: info.inputTypes,
        run: async (feeds) => (await pool.run<{ logits: { data: Float32Array } }>({ feeds, outputs: ['logits'] })).logits.data,
        close: () => pool.close(),
      };
    } else {
      const session = await createSession(source, { ...options, graphOptimizationLevel: 'all', ...(threads ? { intraOpNumThreads: threads } : {}) });
      outputNames = session.outputNames;
      runner = {
        inputNames: session.inputNames,
        inputTypes: Object.fromEntries(session.inputMetadata.map((m) => [m.name, (m as { type?: string }).type ?? ''])),
        async run(feeds) {
          const tensors: Record<string, ort.Tensor> = {};
          for (const [k, f] of Object.entries(feeds)) tensors[k] = new ort.Tensor(f.type, f.data, f.dims);
          return (await session.run(tensors, ['logits'])).logits.data as Float32Array;
        },
        close: () => session.release(),
      };
    }
  } catch (err) {
    throw new Error(`${modelFile}: cannot load ONNX model: ${(err as Error).message}`);
  }
  const missing = ['input_ids', 'attention_mask'].find((n) => !runner.inputNames.includes(n));
  const problem = missing
    ? `model has no "${missing}" input (inputs: ${runner.inputNames.join(', ')})`
    : !outputNames.includes('logits') ? 'model has no "logits" output' : null;
  if (problem) {
    await runner.close();
    throw new Error(`${modelFile}: ${problem}`);
  }
  return runner;
}

/** A padded [batch, len] batch of token rows as the runner's feeds, each id tensor typed as the model wants it. */
function batchFeeds(runner: Runner, batch: number[][], pad: number): Feeds {
  const len = Math.max(...batch.map((b) => b.length));
  const n = batch.length * len;
  const dims = [batch.length, len];
  const cell = (i: number) => batch[Math.floor(i / len)][i % len];
  const fill = (name: string, at: (i: number) => number): Feeds[string] => {
    if (runner.inputTypes[name] === 'int32') {
      const a = new Int32Array(n);
      for (let i = 0; i < n; i++) a[i] = at(i);
      return { type: 'int32', data: a, dims };
    }
    const a = new BigInt64Array(n);
    for (let i = 0; i < n; i++) a[i] = BigInt(at(i));
    return { type: 'int64', data: a, dims };
  };
  const feeds: Feeds = {
    input_ids: fill('input_ids', (i) => cell(i) ?? pad),
    attention_mask: fill('attention_mask', (i) => (cell(i) === undefined ? 0 : 1)),
  };
  if (runner.inputNames.includes('token_type_ids')) feeds.token_type_ids = fill('token_type_ids', () => 0);
  return feeds;
}

/**
 * The session(s) on the rewritten graph (first-token-graph.ts) when it loads
 * and runs, else on the exported graph. The rewrite is the same function when
 * its shapes work out; a graph whose row-wise region holds a tensor that is
 * not one row per position would fail on its first run, so one run on
 * "<s></s>" finds that at load.
 */
async function openChecked(d: RobertaDir, workers: number, threads: number | undefined): Promise<{ runner: Runner; firstToken: RobertaDetector['firstToken'] }> {
  const model = classifierModel(d.modelFile);
  const runner = await openRunner(d.modelFile, model.source, model.options, workers, threads);
  if (typeof model.source === 'string') return { runner, firstToken: model.firstToken };
  try {
    await runner.run(batchFeeds(runner, [[d.bos, d.eos]], d.pad));
    return { runner, firstToken: model.firstToken };
  } catch (err) {
    await runner.close();
    const exported = await openRunner(d.modelFile, d.modelFile, {}, workers, threads);
    return { runner: exported, firstToken: { reason: `the rewritten graph failed a first run (${(err as Error).message})` } };
  }
}

/** Batches of text indices, longest first so each pads little, and enough of them to keep every worker busy. */
function batchesOf(lengths: number[], batchSize: number, workers: number): number[][] {
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[b] - lengths[a]);
  const size = Math.max(1, Math.min(batchSize, Math.ceil(order.length / workers)));
  const batches: number[][] = [];
  for (let start = 0; start < order.length; start += size) batches.push(order.slice(start, start + size));
  return batches;
}

export async function loadRobertaDetector(dir: string, opts: RobertaLoadOptions = {}): Promise<RobertaDetector> {
  const d = readRobertaDir(dir, opts.dtype);
  const workers = Math.max(1, Math.floor(opts.workers ?? 1));
  const threads = opts.intraOpNumThreads ?? (workers > 1 ? Math.max(1, Math.floor(os.availableParallelism() / workers)) : undefined);
  const batchSize = Math.max(1, opts.batchSize ?? 8);
  const { runner, firstToken } = await openChecked(d, workers, threads);

  const encode = (text: string) => {
    const ids = d.tokenizer.encode(cleanText(text), { add_special_tokens: false }).ids;
    return { ids: [d.bos, ...ids.slice(0, ROBERTA_MAX_CONTENT_TOKENS), d.eos], allTokens: ids.length };
  };

  return {
    dir,
    modelFile: d.modelFile,
    firstToken,
    modelHash: () => modelHash({ onnxPath: d.modelFile, dataFiles: d.dataFiles }),
    encode,
    async score(texts: string[]): Promise<RobertaScore[]> {
      const encoded = texts.map((t) => encode(t));
      const batches = batchesOf(encoded.map((e) => e.ids.length), batchSize, workers);
      const results: RobertaScore[] = new Array(texts.length);
      let next = 0;
      const work = async () => {
        while (next < batches.length) {
          const idx = batches[next++];
          const logits = await runner.run(batchFeeds(runner, idx.map((i) => encoded[i].ids), d.pad));
          idx.forEach((i, row) => {
            const probs = softmax2(logits[row * 2], logits[row * 2 + 1]);
            results[i] = {
              real_probability: probs[d.labels.real],
              fake_probability: probs[d.labels.fake],
              all_tokens: encoded[i].allTokens,
              used_tokens: encoded[i].ids.length - 2,
            };
          });
        }
      };
      await Promise.all(Array.from({ length: workers }, work));
      return results;
    },
    close: () => runner.close(),
  };
}
