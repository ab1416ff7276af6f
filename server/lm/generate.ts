// Batched generation over a Decoder: left-padded prompts, KV cache, per-sample
// seeded sampling, log-prob and rank of every sampled token, and the provenance
// that makes each sample reproducible. A sample's text depends only on its
// prompt, the run seed and its index, never on which batch it ran in.
import { SOFTWARE } from '../cli/version.ts';
import { createRng, deriveSeed, type Rng } from '../../studies/random.ts';
import type { Decoder, KvCache } from './decoder.ts';
import { candidatesRead, checkSampling, chooseFromTop, chooseToken, endsSentence, tokenScore, topTokenScore, type SamplingParams } from './sampling.ts';

export interface GenerationItem {
  /** Stable index of the sample within its run: its random stream is derived from (run seed, index). */
  index: number;
  prompt: string;
}

export type FinishReason = 'eos' | 'length' | 'sentence' | 'context';

export interface GeneratedSample {
  index: number;
  /** The seed of this sample's own random stream. */
  seed: number;
  prompt: string;
  promptTokens: number[];
  /** Sampled tokens, without a final end-of-text. */
  tokens: number[];
  /**
   * ln p(token) and 0-based rank (tokens with a strictly higher logit) under the
   * model's unmodified next-token distribution at temperature 1, i.e. before
   * temperature, top-k, top-p and min-token end-of-text suppression.
   */
  logprobs: number[];
  ranks: number[];
  continuation: string;
  finishReason: FinishReason;
}

export interface GenerateOptions {
  seed: number;
  sampling: SamplingParams;
  batchSize?: number;
  /** After every decoding step: tokens produced in this step. */
  onTokens?: (count: number) => void;
}

/** The seed of sample `index` in a run seeded `runSeed`. */
export function sampleSeed(runSeed: number, index: number): number {
  return deriveSeed(runSeed >>> 0, `sample:${index}`);
}

interface Row {
  item: GenerationItem;
  rng: Rng;
  promptTokens: number[];
  tokens: number[];
  logprobs: number[];
  ranks: number[];
  finish: FinishReason | null;
}

function promptTokensOf(decoder: Decoder, prompt: string): number[] {
  const ids = decoder.tokenizer.encode(prompt);
  // Unconditional samples start from end-of-text, as GPT-2's own sampler does.
  return ids.length > 0 ? ids : [decoder.eosTokenId];
}

/** Copies each row's last position out of [B, S, V] logits into [B, V]. */
function lastPositions(logits: Float32Array, batch: number, seqLen: number, V: number): Float32Array {
  const out = new Float32Array(batch * V);
  for (let b = 0; b < batch; b++) out.set(logits.subarray((b * seqLen + seqLen - 1) * V, (b * seqLen + seqLen) * V), b * V);
  return out;
}

async function runBatch(decoder: Decoder, items: GenerationItem[], opts: GenerateOptions): Promise<GeneratedSample[]> {
  const p = opts.sampling;
  const V = decoder.vocabSize;
  const eos = decoder.eosTokenId;
  const rows: Row[] = items.map((item) => ({
    item,
    rng: createRng(sampleSeed(opts.seed, item.index)),
    promptTokens: promptTokensOf(decoder, item.prompt),
    tokens: [], logprobs: [], ranks: [], finish: null,
  }));
  const maxPrompt = Math.max(...rows.map((r) => r.promptTokens.length));
  for (const r of rows) {
    if (r.promptTokens.length >= decoder.config.nPositions) {
      throw new Error(`sample ${r.item.index}: prompt has ${r.promptTokens.length} tokens, the model's context is ${decoder.config.nPositions}`);
    }
  }
  const B = rows.length;
  const ids = new BigInt64Array(B * maxPrompt).fill(BigInt(eos));
  const mask = new BigInt64Array(B * maxPrompt);
  rows.forEach((r, b) => {
    const off = maxPrompt - r.promptTokens.length;
    r.promptTokens.forEach((t, j) => { ids[b * maxPrompt + off + j] = BigInt(t); mask[b * maxPrompt + off + j] = 1n; });
  });
  // Greedy and top-k read only a row's largest entries: the graph returns them
  // (one more than needed, in case the banned end-of-text is among them), and
  // the logits stay inside onnxruntime. Other sampling reads the whole row.
  const need = decoder.topK ? candidatesRead(p, V) : 0;
  const top = need > 0 ? Math.min(need + 1, V) : undefined;
  // The last sampled token is never fed back: the cache holds at most maxPrompt + maxNewTokens − 1 columns.
  let res = await decoder.step(ids, B, maxPrompt, mask, null, { reserve: maxPrompt + p.maxNewTokens - 1, top });
  let active = rows.map((_, i) => i); // rows[] indices still in the batch, in batch order
  let cache: KvCache = res.present;
  let seqLen = maxPrompt;
  for (;;) {
    const stillActive: number[] = [];
    const next: number[] = [];
    const lse = res.lse;
    const banned = (ri: number) => rows[ri].tokens.length < p.minNewTokens ? eos : -1;
    let chosen: number[];
    let scored: { logprob: number; rank: number }[];
    if (res.top) {
      const tops = res.top;
      chosen = active.map((ri, b) => chooseFromTop(tops[b], p, rows[ri].rng, banned(ri)));
      scored = chosen.map((tok, b) => topTokenScore(tops[b], tok, lse[b]));
    } else {
      // Each row's last position: the whole [B, 1, V] tensor after the prompt step.
      const last = seqLen === 1 ? res.logits! : lastPositions(res.logits!, active.length, seqLen, V);
      const row = (b: number) => last.subarray(b * V, (b + 1) * V);
      chosen = active.map((ri, b) => chooseToken(row(b), p, rows[ri].rng, banned(ri)));
      // ln p and rank of each chosen token: from the row's log-sum-exp, which the decoder's graph
      // computes (last-row-outputs.ts), and one comparison pass.
      scored = chosen.map((tok, b) => tokenScore(row(b), tok, lse[b]));
    }
    active.forEach((ri, b) => {
      const r = rows[ri];
      const tok = chosen[b];
      if (tok === eos && p.stopAtEos) { r.finish = 'eos'; return; }
      r.tokens.push(tok);
      r.logprobs.push(scored[b].logprob);
      r.ranks.push(scored[b].rank);
      if (r.tokens.length >= p.maxNewTokens) r.finish = 'length';
      else if (p.stopAtSentenceEnd && r.tokens.length >= p.minNewTokens && endsSentence(decoder.tokenizer.decode([tok]))) r.finish = 'sentence';
      else if (r.promptTokens.length + r.tokens.length >= decoder.config.nPositions) r.finish = 'context';
      else { stillActive.push(b); next.push(tok); }
    });
    opts.onTokens?.(active.length);
    if (stillActive.length === 0) break;
    if (stillActive.length < active.length) cache = decoder.selectRows(cache, stillActive);
    active = stillActive.map((b) => active[b]);
    const stepIds = BigInt64Array.from(next, (t) => BigInt(t));
    res = await decoder.step(stepIds, active.length, 1, new BigInt64Array(active.length).fill(1n), cache, { top });
    cache = res.present;
    seqLen = 1;
  }
  return rows.map((r) => ({
    index: r.item.index,
    seed: sampleSeed(opts.seed, r.item.index),
    prompt: r.item.prompt,
    promptTokens: r.promptTokens,
    tokens: r.tokens,
    logprobs: r.logprobs,
    ranks: r.ranks,
    // Decoded as one byte stream: a character spanning tokens is whole (decodePieces joins to the same text).
    continuation: decoder.tokenizer.decodePieces(r.tokens).join(''),
    finishReason: r.finish ?? 'length',
  }));
}

/** Generates the items in batches, yielding samples in item order as each batch completes. */
export async function* generateSamples(decoder: Decoder, items: GenerationItem[], opts: GenerateOptions): AsyncGenerator<GeneratedSample> {
  checkSampling(opts.sampling);
  const bs = Math.max(1, opts.batchSize ?? 8);
  for (let i = 0; i < items.length; i += bs) {
    for (const s of await runBatch(decoder, items.slice(i, i + bs), opts)) yield s;
  }
}

export async function generate(decoder: Decoder, items: GenerationItem[], opts: GenerateOptions): Promise<GeneratedSample[]> {
  const out: GeneratedSample[] = [];
  for await (const s of generateSamples(decoder, items, opts)) out.push(s);
  return out;
}

export interface Provenance {
  model: string;
  model_file: string;
  sha256: string;
  dtype: string;
  sampling: {
    max_new_tokens: number;
    min_new_tokens: number;
    temperature: number;
    top_k: number;
    top_p: number;
    stop_at_eos: boolean;
    stop_at_sentence_end: boolean;
  };
  seed: number;
  sample_seed: number;
  sample_index: number;
  logprob_basis: 'unmodified distribution, temperature 1';
  rank_basis: '0-based, tokens with a strictly higher logit';
  software: string;
}

export function provenanceOf(decoder: Decoder, opts: GenerateOptions, sample: GeneratedSample): Provenance {
  const p = opts.sampling;
  const m = decoder.model;
  return {
    model: m.name,
    model_file: m.onnxPath.slice(m.dir.length + 1),
    sha256: m.sha256,
    dtype: m.dtype,
    sampling: {
      max_new_tokens: p.maxNewTokens,
      min_new_tokens: p.minNewTokens,
      temperature: p.temperature,
      top_k: p.topK,
      top_p: p.topP,
      stop_at_eos: p.stopAtEos,
      stop_at_sentence_end: p.stopAtSentenceEnd,
    },
    seed: opts.seed,
    sample_seed: sample.seed,
    sample_index: sample.index,
    logprob_basis: 'unmodified distribution, temperature 1',
    rank_basis: '0-based, tokens with a strictly higher logit',
    software: SOFTWARE,
  };
}
