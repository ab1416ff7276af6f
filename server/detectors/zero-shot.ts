// Zero-shot scores of a text under any GPT-2 model directory: GLTR's rank
// buckets, mean log-probability / rank / log-rank / entropy, LRR and
// Fast-DetectGPT's analytic sampling discrepancy, all from one batched forward
// pass per text (server/lm Decoder), no KV cache.
//
// The per-token statistics need every vocabulary entry of every row (512 × 50257
// logits for a 512-token text). They run on a small second onnxruntime session,
// the statistics head (stats-head.ts), fed the decoder's logits a few rows at a
// time: ~4× faster than the one-exp JS loop (positionStats, kept as the
// reference), and the ranks are exact counts over the very same floats.
// createZeroShotWorkers puts a decoder + head in each of several worker threads:
// onnxruntime-node's run blocks its calling thread, so this is how sessions run
// side by side.
//
// Conventions (stated once, used everywhere):
// - `<|endoftext|>` is prepended as BOS, as GLTR does, so every token of the
//   text — the first included — is predicted and scored.
// - rank is 1-based (the model's top prediction has rank 1); ties count in the
//   token's favour (rank = 1 + number of strictly more probable tokens).
// - GLTR buckets use GLTR's own 0-based rank: top10 = 0-based rank < 10
//   (rank ≤ 10), top100 = < 100, top1000 = < 1000, rest = the others.
// - entropy is over the full vocabulary, in nats.
// - LRR = −mean_logprob / mean_log_rank (DetectLLM); null when every token has rank 1.
// - fast_detectgpt = (Σ log p − Σ μ) / sqrt(Σ σ²), μ_t = Σ_v p log p,
//   σ²_t = Σ_v p (log p)² − μ_t², scoring and sampling model the same.
// - Past n_positions tokens a sliding window moves by `stride`; tokens after the
//   first window are scored with at least n_positions − stride tokens of context.
import os from 'node:os';
import ort from 'onnxruntime-node';
import type { Decoder } from '../lm/decoder.ts';
import type { Dtype } from '../models/model-dir.ts';
import { loadGpt2Dir } from '../lm/gpt2-dir.ts';
import { startWorkers } from './session-workers.ts';
import { runStatsHead, statsHeadFor } from './stats-head.ts';
import { cleanText } from './text-input.ts';

export interface ZeroShotOptions {
  /** Score at most this many tokens of the text (default 4096); the rest is ignored and reported in all_tokens. */
  maxTokens?: number;
  /** Window advance past n_positions (default n_positions / 2). */
  stride?: number;
  /** Keep per-token {token, rank, logprob} for a GLTR overlay. */
  keepTokens?: boolean;
  /** Bound on tokens per forward call (windows are batched up to this; logits are tokens × vocab floats). */
  maxBatchTokens?: number;
}

export interface TokenScore {
  /** The token's text. */
  token: string;
  /** 1-based rank under the model. */
  rank: number;
  logprob: number;
}

export interface ZeroShotScore {
  all_tokens: number;
  used_tokens: number;
  mean_logprob: number;
  mean_rank: number;
  mean_log_rank: number;
  mean_entropy: number;
  gltr_top10: number;
  gltr_top100: number;
  gltr_top1000: number;
  gltr_rest: number;
  lrr: number | null;
  fast_detectgpt: number;
  tokens?: TokenScore[];
}

/** Per-position statistics of one predicted token, from one row of logits. */
export interface PositionStats {
  logprob: number;
  rank: number;
  /** Σ_v p log p (= −entropy) */
  mu: number;
  /** Σ_v p (log p)² − μ² */
  variance: number;
}

/** The same statistics in plain JS for one row (a reference for the statistics head; one exp per entry). */
export function positionStats(logits: Float32Array, offset: number, vocab: number, target: number): PositionStats {
  let max = -Infinity;
  for (let v = 0; v < vocab; v++) if (logits[offset + v] > max) max = logits[offset + v];
  const lt = logits[offset + target];
  // One exp per entry: with d = l − max and e = exp(d), log p = d − ln Σe, so
  // μ = Σ p log p and σ² follow from Σe, Σe·d and Σe·d².
  let above = 0;
  let sum = 0;
  let sd = 0;
  let sdd = 0;
  for (let v = 0; v < vocab; v++) {
    const l = logits[offset + v];
    if (l > lt) above++;
    const d = l - max;
    const e = Math.exp(d);
    sum += e;
    sd += e * d;
    sdd += e * d * d;
  }
  const logZ = Math.log(sum);
  const meanD = sd / sum;
  const mu = meanD - logZ;
  // The variance of log p is the variance of d (a shift does not change it).
  return { logprob: lt - max - logZ, rank: above + 1, mu, variance: Math.max(0, sdd / sum - meanD * meanD) };
}

/** Windows over a BOS-prefixed sequence: [start, end) and the first position whose prediction it contributes. */
export function slidingWindows(length: number, window: number, stride: number): { start: number; end: number; from: number }[] {
  const out: { start: number; end: number; from: number }[] = [];
  let scoredUpTo = 1; // index 0 is BOS: positions 1..length-1 are predicted
  let start = 0;
  while (scoredUpTo < length) {
    const end = Math.min(start + window, length);
    out.push({ start, end, from: scoredUpTo });
    scoredUpTo = end;
    if (end === length) break;
    start += stride;
  }
  return out;
}

export interface ZeroShotScorer {
  readonly modelName: string;
  readonly modelHash: string;
  score(text: string, opts?: ZeroShotOptions): Promise<ZeroShotScore>;
  /** Several texts, spread over the decoders given (one text at a time on each). */
  scoreMany(texts: string[], opts?: ZeroShotOptions): Promise<ZeroShotScore[]>;
}

/**
 * With several decoders of the same directory (e.g. two single-threaded
 * sessions on a 2-core machine), scoreMany keeps them all busy.
 */
export interface ZeroShotScorerOptions {
  /** Threads of each statistics head (default 1). */
  statsThreads?: number;
}

export function createZeroShotScorer(decoders: Decoder | Decoder[], scorerOpts: ZeroShotScorerOptions = {}): ZeroShotScorer {
  const all = Array.isArray(decoders) ? decoders : [decoders];
  if (all.length === 0) throw new Error('zero-shot: no decoder given');
  const hashes = new Set(all.map((d) => d.model.sha256));
  if (hashes.size > 1) throw new Error('zero-shot: the decoders given load different models');
  const first = all[0];
  // One statistics head per decoder, on that decoder's share of the cores,
  // created on first use (a few kB of graph, no weights).
  // One thread by default: a 4-row chunk is too small to split well, and a
  // second spinning thread pool beside the decoder's only competes with it
  // (measured: same or better than 2 threads, ~90 ms per 512-token text).
  const threads = scorerOpts.statsThreads ?? 1;
  const headOf = (d: Decoder) => statsHeadFor(d, threads);
  return {
    modelName: first.model.name,
    modelHash: first.model.sha256,
    score: async (text, opts) => scoreWith(first, await headOf(first), text, opts),
    async scoreMany(texts: string[], opts?: ZeroShotOptions): Promise<ZeroShotScore[]> {
      const out: ZeroShotScore[] = new Array(texts.length);
      let next = 0;
      await Promise.all(
        all.map(async (d) => {
          const head = await headOf(d);
          while (next < texts.length) {
            const i = next++;
            out[i] = await scoreWith(d, head, texts[i], opts);
          }
        }),
      );
      return out;
    },
  };
}

export interface ZeroShotWorkersOptions {
  /** Worker threads, each with its own single-threaded (by default) session: default the number of cores. */
  workers?: number;
  /** Threads per worker (default: the cores divided among the workers). */
  threads?: number;
  dtype?: Dtype;
  modelFileName?: string;
}

export interface ZeroShotWorkers extends ZeroShotScorer {
  close(): Promise<void>;
}

/**
 * The scorer on worker threads, each loading its own decoder and statistics
 * head. onnxruntime-node runs a session on the calling thread, so this is the
 * way to have several sessions truly side by side (each costs a copy of the
 * weights). `score` runs on one worker; `scoreMany` keeps all of them busy.
 */
export async function createZeroShotWorkers(dir: string, opts: ZeroShotWorkersOptions = {}): Promise<ZeroShotWorkers> {
  const model = await loadGpt2Dir(dir, { dtype: opts.dtype, modelFileName: opts.modelFileName });
  const workers = Math.max(1, Math.floor(opts.workers ?? os.availableParallelism()));
  const threads = opts.threads ?? Math.max(1, Math.floor(os.availableParallelism() / workers));
  const pool = await startWorkers(workers, { kind: 'zero-shot', dir, threads, dtype: opts.dtype, modelFileName: opts.modelFileName });
  const score = async (text: string, o: ZeroShotOptions = {}) => {
    cleanText(text); // refuse bad input here, with its own error class
    return pool.run<ZeroShotScore>({ text, opts: o });
  };
  return {
    modelName: model.name,
    modelHash: model.sha256,
    score,
    scoreMany: (texts, o) => Promise.all(texts.map((t) => score(t, o))),
    close: () => pool.close(),
  };
}

/**
 * Rows of logits fed to the statistics head per run: a few MB, so that its
 * passes (log-softmax, exp, products, sums, comparison) stay in cache.
 */
const HEAD_ROWS = 4;

/** Statistics of `count` consecutive logit rows starting at `firstRow`, predicting `targets`, into stats[at …]. */
async function headStats(
  head: ort.InferenceSession,
  logits: Float32Array,
  vocab: number,
  firstRow: number,
  targets: number[],
  stats: PositionStats[],
  at: number,
): Promise<void> {
  for (let r = 0; r < targets.length; r += HEAD_ROWS) {
    const n = Math.min(HEAD_ROWS, targets.length - r);
    const rows = logits.subarray((firstRow + r) * vocab, (firstRow + r + n) * vocab);
    const out = await runStatsHead(head, rows, vocab, targets.slice(r, r + n));
    for (let i = 0; i < n; i++) stats[at + r + i] = { logprob: out.logprob[i], rank: out.above[i] + 1, mu: out.mu[i], variance: Math.max(0, out.variance[i]) };
  }
}

async function scoreWith(decoder: Decoder, head: ort.InferenceSession, text: string, opts: ZeroShotOptions = {}): Promise<ZeroShotScore> {
  const bos = decoder.tokenizer.eosTokenId ?? decoder.eosTokenId;
  const vocab = decoder.vocabSize;
  const nPositions = decoder.config.nPositions;
  const ids = decoder.tokenizer.encode(cleanText(text));
  const maxTokens = opts.maxTokens ?? 4096;
  const used = ids.slice(0, maxTokens);
  const seq = [bos, ...used];
  const stride = Math.max(1, Math.min(opts.stride ?? Math.floor(nPositions / 2), nPositions - 1));
  const windows = slidingWindows(seq.length, nPositions, stride);
  const stats: PositionStats[] = new Array(seq.length);
  const maxBatchTokens = Math.max(nPositions, opts.maxBatchTokens ?? 2048);
  // Windows batched into as few forward calls as the memory bound allows.
  for (let w = 0; w < windows.length; ) {
    const group = [windows[w++]];
    let tokens = group[0].end - group[0].start;
    while (w < windows.length && tokens + (windows[w].end - windows[w].start) <= maxBatchTokens) {
      tokens += windows[w].end - windows[w].start;
      group.push(windows[w++]);
    }
    const out = await decoder.forward(group.map((g) => seq.slice(g.start, g.end)), { cache: false });
    const [, width, v] = out.dims;
    if (v !== vocab) throw new Error(`zero-shot: logits have ${v} entries per token, vocab_size is ${vocab}`);
    for (let row = 0; row < group.length; row++) {
      const g = group[row];
      // Logits at window index (pos − start − 1) predict seq[pos]: rows for
      // g.from … g.end − 1 are consecutive.
      await headStats(head, out.logits, vocab, row * width + (g.from - g.start - 1), seq.slice(g.from, g.end), stats, g.from);
    }
  }
  return summarise(stats.slice(1), used, opts.keepTokens ? (id) => decoder.tokenizer.decode([id]) : null, ids.length);
}

export function summarise(
  stats: PositionStats[],
  ids: number[],
  tokenText: ((id: number) => string) | null,
  allTokens: number,
): ZeroShotScore {
  const n = stats.length;
  let lp = 0, rank = 0, logRank = 0, mu = 0, variance = 0;
  const buckets = [0, 0, 0, 0];
  for (const s of stats) {
    lp += s.logprob;
    rank += s.rank;
    logRank += Math.log(s.rank);
    mu += s.mu;
    variance += s.variance;
    const r0 = s.rank - 1; // GLTR's 0-based rank
    buckets[r0 < 10 ? 0 : r0 < 100 ? 1 : r0 < 1000 ? 2 : 3]++;
  }
  const meanLogRank = logRank / n;
  const result: ZeroShotScore = {
    all_tokens: allTokens,
    used_tokens: n,
    mean_logprob: lp / n,
    mean_rank: rank / n,
    mean_log_rank: meanLogRank,
    mean_entropy: -mu / n,
    gltr_top10: buckets[0] / n,
    gltr_top100: buckets[1] / n,
    gltr_top1000: buckets[2] / n,
    gltr_rest: buckets[3] / n,
    lrr: meanLogRank > 0 ? -(lp / n) / meanLogRank : null,
    fast_detectgpt: variance > 0 ? (lp - mu) / Math.sqrt(variance) : 0,
  };
  if (tokenText) result.tokens = stats.map((s, i) => ({ token: tokenText(ids[i]), rank: s.rank, logprob: s.logprob }));
  return result;
}
