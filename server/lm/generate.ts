// Batched generation over a Decoder: left-padded prompts, KV cache, per-sample
// seeded sampling, log-prob and rank of every sampled token, and the provenance
// that makes each sample reproducible. A sample's text depends only on its
// prompt, the run seed and its index, never on which batch it ran in.
import { SOFTWARE } from '../cli/version.ts';
import { createRng, deriveSeed, type Rng } from '../../studies/random.ts';
import type { Decoder, KvCache, StepResult } from './decoder.ts';
import { candidatesRead, checkSampling, chooseFromTop, chooseToken, endsSentence, tokenScore, topTokenScore, type SamplingParams } from './sampling.ts';

export interface GenerationItem {
  /** Stable index of the sample within its run: its random stream is derived from (run seed, index). */
  index: number;
  prompt: string;
  /** This sample's own cap on new tokens (at most the run's sampling.maxNewTokens). */
  maxNewTokens?: number;
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
  /**
   * When a row's sample ends, the next pending sample takes its place in the
   * same forward pass (default true). Off: fixed batches, each running until
   * its longest sample ends.
   */
  refill?: boolean;
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
  /** This sample's cap on new tokens. */
  maxNew: number;
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

function newRow(decoder: Decoder, item: GenerationItem, opts: GenerateOptions): Row {
  const promptTokens = promptTokensOf(decoder, item.prompt);
  if (promptTokens.length >= decoder.config.nPositions) {
    throw new Error(`sample ${item.index}: prompt has ${promptTokens.length} tokens, the model's context is ${decoder.config.nPositions}`);
  }
  const cap = opts.sampling.maxNewTokens;
  const maxNew = item.maxNewTokens === undefined ? cap : Math.min(cap, item.maxNewTokens);
  if (!Number.isInteger(maxNew) || maxNew < 1) throw new Error(`sample ${item.index}: maxNewTokens must be a positive integer (got ${item.maxNewTokens})`);
  return { item, rng: createRng(sampleSeed(opts.seed, item.index)), promptTokens, maxNew, tokens: [], logprobs: [], ranks: [], finish: null };
}

function sampleOf(decoder: Decoder, opts: GenerateOptions, r: Row): GeneratedSample {
  return {
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
  };
}

/** Copies each row's last position out of [B, S, V] logits into [B, V]. */
function lastPositions(logits: Float32Array, batch: number, seqLen: number, V: number): Float32Array {
  const out = new Float32Array(batch * V);
  for (let b = 0; b < batch; b++) out.set(logits.subarray((b * seqLen + seqLen - 1) * V, (b * seqLen + seqLen) * V), b * V);
  return out;
}

/** Draws each row's next token from a step's result (its own stream), with its log-prob and rank. */
function drawTokens(decoder: Decoder, p: SamplingParams, rows: Row[], res: StepResult, seqLen: number): { chosen: number[]; scored: { logprob: number; rank: number }[] } {
  const eos = decoder.eosTokenId;
  const banned = (r: Row) => (r.tokens.length < p.minNewTokens ? eos : -1);
  if (res.top) {
    const tops = res.top;
    const chosen = rows.map((r, b) => chooseFromTop(tops[b], p, r.rng, banned(r)));
    return { chosen, scored: chosen.map((tok, b) => topTokenScore(tops[b], tok, res.lse[b])) };
  }
  const V = decoder.vocabSize;
  const last = seqLen === 1 ? res.logits! : lastPositions(res.logits!, rows.length, seqLen, V);
  const row = (b: number) => last.subarray(b * V, (b + 1) * V);
  const chosen = rows.map((r, b) => chooseToken(row(b), p, r.rng, banned(r)));
  // ln p and rank of each chosen token: from the row's log-sum-exp, which the decoder's graph
  // computes (last-row-outputs.ts), and one comparison pass.
  return { chosen, scored: chosen.map((tok, b) => tokenScore(row(b), tok, res.lse[b])) };
}

/** Appends a drawn token to its row, or ends the row; true while the row goes on. */
function advance(decoder: Decoder, p: SamplingParams, r: Row, tok: number, scored: { logprob: number; rank: number }): boolean {
  if (tok === decoder.eosTokenId && p.stopAtEos) { r.finish = 'eos'; return false; }
  r.tokens.push(tok);
  r.logprobs.push(scored.logprob);
  r.ranks.push(scored.rank);
  if (r.tokens.length >= r.maxNew) r.finish = 'length';
  else if (p.stopAtSentenceEnd && r.tokens.length >= p.minNewTokens && endsSentence(decoder.tokenizer.decode([tok]))) r.finish = 'sentence';
  else if (r.promptTokens.length + r.tokens.length >= decoder.config.nPositions) r.finish = 'context';
  else return true;
  return false;
}

/**
 * One step's input: rows that continue feed their last token, rows that start
 * feed their whole prompt; all left-padded to the longest, padding masked out.
 */
function stepInput(rows: Row[], starting: Set<Row>, next: Map<Row, number>, pad: number): { ids: BigInt64Array; mask: BigInt64Array; seqLen: number } {
  const fed = rows.map((r) => (starting.has(r) ? r.promptTokens : [next.get(r)!]));
  const seqLen = Math.max(...fed.map((f) => f.length));
  const ids = new BigInt64Array(rows.length * seqLen).fill(BigInt(pad));
  const mask = new BigInt64Array(rows.length * seqLen);
  fed.forEach((f, b) => {
    const off = seqLen - f.length;
    f.forEach((t, j) => { ids[b * seqLen + off + j] = BigInt(t); mask[b * seqLen + off + j] = 1n; });
  });
  return { ids, mask, seqLen };
}

/**
 * Generates `items` on a batch of at most `batchSize` rows and yields each
 * sample as it ends. With refilling, a row whose sample ended takes the next
 * pending item: a one-token prompt (an unconditional sample) is fed in the
 * batch's next step, the row's old columns masked out; longer prompts are
 * prefilled together in a pass of their own (padding them into every row's
 * step would cost the whole batch their length) and placed into their rows
 * (Decoder.placeRows). Without refilling, a new batch starts only when every
 * row has ended. Either way a sample's tokens depend only on its prompt,
 * settings and random stream, which are its own.
 */
async function* runRows(decoder: Decoder, items: GenerationItem[], opts: GenerateOptions): AsyncGenerator<GeneratedSample> {
  const p = opts.sampling;
  const refill = opts.refill !== false;
  const B = Math.max(1, Math.min(opts.batchSize ?? 8, items.length));
  // Greedy and top-k read only a row's largest entries: the graph returns them
  // (one more than needed, in case the banned end-of-text is among them), and
  // the logits stay inside onnxruntime. Other sampling reads the whole row.
  const need = decoder.topK ? candidatesRead(p, decoder.vocabSize) : 0;
  const top = need > 0 ? Math.min(need + 1, decoder.vocabSize) : undefined;
  // The cache holds at most a row's prompt and new tokens but the last; with refilling,
  // twice that, so that masked columns are squeezed out (makeRoom) seldom.
  const reserveOf = (rows: Row[]) => (refill ? 2 : 1) * (Math.max(...rows.map((r) => r.promptTokens.length)) + Math.max(...rows.map((r) => r.maxNew)) - 1);
  const next = new Map<Row, number>();
  /** Draws every row's token from a step's result; true for each row that goes on. */
  const draw = (rows: Row[], res: StepResult, seqLen: number): boolean[] => {
    const { chosen, scored } = drawTokens(decoder, p, rows, res, seqLen);
    opts.onTokens?.(rows.length);
    return rows.map((r, b) => {
      const going = advance(decoder, p, r, chosen[b], scored[b]);
      if (going) next.set(r, chosen[b]);
      else next.delete(r);
      return going;
    });
  };
  let pending = 0;
  // The batch's rows, in cache row order; null where a sample ended.
  let slots: (Row | null)[] = [];
  let cache: KvCache | null = null;
  for (;;) {
    if (slots.length === 0) {
      // An empty batch starts afresh: every prompt prefilled in one step.
      const rows: Row[] = [];
      while (rows.length < B && pending < items.length) rows.push(newRow(decoder, items[pending++], opts));
      if (rows.length === 0) return;
      const input = stepInput(rows, new Set(rows), next, decoder.eosTokenId);
      const res = await decoder.step(input.ids, rows.length, input.seqLen, input.mask, null, { reserve: reserveOf(rows), top });
      cache = res.present;
      const going = draw(rows, res, input.seqLen);
      for (const r of rows) if (r.finish) yield sampleOf(decoder, opts, r);
      slots = rows.map((r, b) => (going[b] ? r : null));
    } else {
      const rows = slots as Row[];
      const res = await decoder.step(BigInt64Array.from(rows, (r) => BigInt(next.get(r) ?? decoder.eosTokenId)), rows.length, 1, new BigInt64Array(rows.length).fill(1n), cache, { reserve: reserveOf(rows), top });
      cache = res.present;
      const going = draw(rows, res, 1);
      for (const r of rows) if (r.finish) yield sampleOf(decoder, opts, r);
      slots = rows.map((r, b) => (going[b] ? r : null));
    }
    if (refill) {
      // Ended rows take pending items where they are, until none is pending.
      while (slots.includes(null) && pending < items.length) {
        const free = slots.flatMap((r, b) => (r ? [] : [b]));
        const taking = free.slice(0, items.length - pending).map((b) => ({ b, r: newRow(decoder, items[pending++], opts) }));
        // A one-token prompt is fed in the batch's next step, on its row with the old columns masked out.
        const short = taking.filter((t) => t.r.promptTokens.length === 1);
        if (short.length > 0) {
          cache = decoder.forgetRows(cache!, short.map((t) => t.b));
          for (const t of short) { slots[t.b] = t.r; next.set(t.r, t.r.promptTokens[0]); }
        }
        const long = taking.filter((t) => t.r.promptTokens.length > 1);
        if (long.length === 0) continue;
        const joining = long.map((t) => t.r);
        const at = long.map((t) => t.b);
        // Longer prompts: prefilled on their own, in one pass, then placed into their rows.
        const input = stepInput(joining, new Set(joining), next, decoder.eosTokenId);
        const res = await decoder.step(input.ids, joining.length, input.seqLen, input.mask, null, { reserve: input.seqLen, top });
        const going = draw(joining, res, input.seqLen);
        for (const r of joining) if (r.finish) yield sampleOf(decoder, opts, r);
        const stay = at.filter((_, i) => going[i]);
        if (stay.length > 0) {
          const placed = stay.length === joining.length ? res.present : decoder.selectRows(res.present, going.flatMap((g, i) => (g ? [i] : [])));
          cache = decoder.placeRows(cache!, stay, placed);
          stay.forEach((b) => { slots[b] = joining[at.indexOf(b)]; });
        }
      }
    }
    if (slots.every((r) => r === null)) {
      slots = [];
      cache = null;
      continue;
    }
    if (slots.includes(null)) {
      // Rows nobody takes leave the batch.
      const keep = slots.flatMap((r, b) => (r ? [b] : []));
      cache = decoder.selectRows(cache!, keep);
      slots = keep.map((b) => slots[b]);
    }
    if (refill) cache = decoder.makeRoom(cache!, 1);
  }
}

/**
 * Generates the items, yielding samples in item order. With refilling, items
 * are generated in windows of REFILL_WINDOW batches, each window starting
 * from an empty cache: which samples share a forward pass then depends only
 * on the window, so a run resumed at a window boundary repeats an
 * uninterrupted one bit for bit (log-probs included).
 */
export async function* generateSamples(decoder: Decoder, items: GenerationItem[], opts: GenerateOptions): AsyncGenerator<GeneratedSample> {
  checkSampling(opts.sampling);
  const span = generationSpan(opts);
  for (let i = 0; i < items.length; i += span) {
    const window = items.slice(i, i + span);
    // In item order: a sample waits until those before it in the window have ended.
    const done = new Map<number, GeneratedSample>();
    let at = 0;
    for await (const s of runRows(decoder, window, opts)) {
      done.set(s.index, s);
      while (at < window.length && done.has(window[at].index)) {
        yield done.get(window[at].index)!;
        done.delete(window[at++].index);
      }
    }
  }
}

/** Batches per refilling window: long enough that a window's last, draining steps are a small share of it. */
export const REFILL_WINDOW = 16;

/** Items generated from one empty cache: a batch, or a refilling window of REFILL_WINDOW batches. A resumed run restarts at a multiple of this. */
export function generationSpan(opts: Pick<GenerateOptions, 'batchSize' | 'refill'>): number {
  const bs = Math.max(1, opts.batchSize ?? 8);
  return opts.refill === false ? bs : bs * REFILL_WINDOW;
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
