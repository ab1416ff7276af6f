// Choosing the next token from one row of logits, and scoring it. Every
// function here touches the 50k-entry row a bounded number of times and never
// sorts it whole unless a nucleus really spans most of the vocabulary.
import type { Rng } from '../../studies/random.ts';

export interface SamplingParams {
  maxNewTokens: number;
  /** End-of-text is suppressed until this many tokens exist. */
  minNewTokens: number;
  /** 0 means greedy (argmax). */
  temperature: number;
  /** 0 means no top-k cut. */
  topK: number;
  /** 1 means no nucleus cut. */
  topP: number;
  stopAtEos: boolean;
  stopAtSentenceEnd: boolean;
}

export const DEFAULT_SAMPLING: SamplingParams = {
  maxNewTokens: 40,
  minNewTokens: 0,
  temperature: 1,
  topK: 0,
  topP: 1,
  stopAtEos: true,
  stopAtSentenceEnd: false,
};

export function checkSampling(p: SamplingParams): SamplingParams {
  const bad = (field: string, why: string) => { throw new Error(`sampling parameter ${field}: ${why}`); };
  if (!Number.isInteger(p.maxNewTokens) || p.maxNewTokens < 1) bad('max_new_tokens', `must be an integer ≥ 1, got ${p.maxNewTokens}`);
  if (!Number.isInteger(p.minNewTokens) || p.minNewTokens < 0 || p.minNewTokens > p.maxNewTokens) bad('min_new_tokens', `must be an integer in [0, max_new_tokens], got ${p.minNewTokens}`);
  if (!(p.temperature >= 0) || !Number.isFinite(p.temperature)) bad('temperature', `must be ≥ 0, got ${p.temperature}`);
  if (!Number.isInteger(p.topK) || p.topK < 0) bad('top_k', `must be an integer ≥ 0, got ${p.topK}`);
  if (!(p.topP > 0 && p.topP <= 1)) bad('top_p', `must be in (0, 1], got ${p.topP}`);
  return p;
}

/**
 * A token's log-probability under the row's unmodified distribution
 * (temperature 1), given the row's log-sum-exp, and its 0-based rank: the
 * entries with a strictly higher logit (ties not counted).
 */
export function tokenScore(row: Float32Array, token: number, lse: number): { logprob: number; rank: number } {
  const x = row[token];
  let rank = 0;
  for (let i = 0; i < row.length; i++) if (row[i] > x) rank++;
  return { logprob: x - lse, rank };
}

/** Indices of the k largest entries (ties: lower index first), in descending order. */
export function topKIndices(row: Float32Array, k: number, banned = -1): number[] {
  const V = row.length;
  const blocks = Math.ceil(V / TOPK_BLOCK);
  if (k * 4 > blocks) return topKByHeap(row, k, banned);
  // Each block's maximum (the banned entry left out). The k-th largest of
  // those is a floor under the k-th largest entry: k blocks each hold an entry
  // at least that large. Only blocks whose maximum reaches the floor can hold
  // one of the k, so the second pass reads a few dozen blocks, not the row.
  const maxima = new Float32Array(blocks);
  for (let b = 0; b < blocks; b++) {
    const end = Math.min(V, (b + 1) * TOPK_BLOCK);
    let m = -Infinity;
    for (let i = b * TOPK_BLOCK; i < end; i++) { const v = row[i]; if (v > m) m = v; }
    maxima[b] = m;
  }
  if (banned >= 0 && banned < V) {
    const b = Math.floor(banned / TOPK_BLOCK);
    let m = -Infinity;
    for (let i = b * TOPK_BLOCK; i < Math.min(V, (b + 1) * TOPK_BLOCK); i++) if (i !== banned && row[i] > m) m = row[i];
    maxima[b] = m;
  }
  const floor = Float32Array.from(maxima).sort()[blocks - k];
  const candidates: number[] = [];
  for (let b = 0; b < blocks; b++) {
    if (maxima[b] < floor) continue;
    const end = Math.min(V, (b + 1) * TOPK_BLOCK);
    for (let i = b * TOPK_BLOCK; i < end; i++) if (row[i] >= floor && i !== banned) candidates.push(i);
  }
  return candidates.sort((a, b) => row[b] - row[a] || a - b).slice(0, k);
}

/** Entries per block in topKIndices' first pass. */
const TOPK_BLOCK = 64;

/** topKIndices for a k close to the row's length: a bounded min-heap, one pass. */
function topKByHeap(row: Float32Array, k: number, banned: number): number[] {
  const heap: number[] = [];
  // "a below b" in the heap order: smaller value, or equal value and larger index.
  const below = (a: number, b: number) => row[a] < row[b] || (row[a] === row[b] && a > b);
  const up = (i: number) => {
    while (i > 0) { const p = (i - 1) >> 1; if (below(heap[i], heap[p])) { [heap[i], heap[p]] = [heap[p], heap[i]]; i = p; } else break; }
  };
  const down = (i: number) => {
    for (;;) {
      const l = 2 * i + 1, r = l + 1; let m = i;
      if (l < heap.length && below(heap[l], heap[m])) m = l;
      if (r < heap.length && below(heap[r], heap[m])) m = r;
      if (m === i) break;
      [heap[i], heap[m]] = [heap[m], heap[i]]; i = m;
    }
  };
  let i = 0;
  for (; i < row.length && heap.length < k; i++) if (i !== banned) { heap.push(i); up(heap.length - 1); }
  // Once full, almost every entry is below the heap's minimum: one compare each.
  let thr = heap.length ? row[heap[0]] : Infinity;
  for (; i < row.length; i++) {
    const v = row[i];
    if (v <= thr || i === banned) continue; // equal values lose to the lower index already held
    heap[0] = i; down(0); thr = row[heap[0]];
  }
  return heap.sort((a, b) => row[b] - row[a] || a - b);
}

/** The first index of the largest entry other than `banned`. */
function argmax(row: Float32Array, banned: number): number {
  // One tight pass; the banned entry is looked at again only if it won.
  let best = 0;
  let top = row[0];
  for (let i = 1; i < row.length; i++) { const v = row[i]; if (v > top) { top = v; best = i; } }
  if (best !== banned) return best;
  best = -1;
  for (let i = 0; i < row.length; i++) if (i !== banned && (best < 0 || row[i] > row[best])) best = i;
  return best;
}

/**
 * The next token under the sampling parameters. `banned` (end-of-text before
 * min_new_tokens) is excluded. One uniform draw per call keeps each sample's
 * random stream independent of what else is in its batch.
 */
export function chooseToken(row: Float32Array, p: SamplingParams, rng: Rng, banned: number): number {
  if (isGreedy(p)) {
    rng.next();
    return argmax(row, banned);
  }
  const invT = 1 / p.temperature;
  const u = rng.next();
  const V = row.length;
  if (p.topK === 0 && p.topP >= 1) {
    // Plain temperature sampling over the whole vocabulary, in index order.
    let max = -Infinity;
    for (let i = 0; i < V; i++) if (i !== banned && row[i] > max) max = row[i];
    let total = 0;
    for (let i = 0; i < V; i++) if (i !== banned) total += Math.exp((row[i] - max) * invT);
    let target = u * total;
    let last = -1;
    for (let i = 0; i < V; i++) {
      if (i === banned) continue;
      last = i;
      target -= Math.exp((row[i] - max) * invT);
      if (target < 0) return i;
    }
    return last;
  }
  // Top-k (with top-p applied inside the k best) walks the candidates in
  // descending order; a pure nucleus needs no ordering at all.
  if (p.topK === 0) return nucleusSample(row, p.topP, invT, u, banned);
  const candidates = topKIndices(row, Math.min(p.topK, V), banned);
  return sampleCandidates(candidates, candidates.map((c) => row[c]), p, u);
}

const isGreedy = (p: SamplingParams) => p.temperature === 0 || p.topK === 1;

/**
 * How many of a row's largest entries chooseToken reads under these
 * parameters (greedy: 1, top-k: k), or 0 when it needs the whole row (pure
 * nucleus or plain temperature sampling).
 */
export function candidatesRead(p: SamplingParams, vocabSize: number): number {
  if (isGreedy(p)) return 1;
  return p.topK > 0 ? Math.min(p.topK, vocabSize) : 0;
}

/**
 * A row's largest entries, descending with ties in index order (the order of
 * topKIndices), as the decoder's graph returns them (last-row-outputs.ts).
 * It holds candidatesRead + 1 entries (or the whole row), so that with the
 * banned token among them enough remain.
 */
export interface TopEntries {
  values: Float32Array;
  ids: ArrayLike<bigint>;
}

/** chooseToken for a row known by its TopEntries: the same token, and the same draw from `rng`. */
export function chooseFromTop(top: TopEntries, p: SamplingParams, rng: Rng, banned: number): number {
  const u = rng.next();
  const need = isGreedy(p) ? 1 : p.topK;
  const candidates: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < top.values.length && candidates.length < need; i++) {
    const id = Number(top.ids[i]);
    if (id === banned) continue;
    candidates.push(id);
    values.push(top.values[i]);
  }
  if (candidates.length === 0) throw new Error('chooseFromTop: no candidate besides the banned token');
  return isGreedy(p) ? candidates[0] : sampleCandidates(candidates, values, p, u);
}

/**
 * tokenScore for a token among a row's TopEntries: every entry with a higher
 * logit is before it in the list, so its rank is counted there.
 */
export function topTokenScore(top: TopEntries, token: number, lse: number): { logprob: number; rank: number } {
  let at = -1;
  for (let i = 0; i < top.values.length; i++) if (Number(top.ids[i]) === token) { at = i; break; }
  if (at < 0) throw new Error(`topTokenScore: token ${token} is not among the ${top.values.length} entries`);
  const x = top.values[at];
  let rank = 0;
  while (rank < at && top.values[rank] > x) rank++;
  return { logprob: x - lse, rank };
}

/** A draw `u` among candidates in descending logit order, under temperature and top-p. */
function sampleCandidates(candidates: number[], logits: number[], p: SamplingParams, u: number): number {
  const invT = 1 / p.temperature;
  const top = logits[0];
  const w = logits.map((x) => Math.exp((x - top) * invT));
  let total = 0;
  for (const x of w) total += x;
  let keep = w.length;
  if (p.topP < 1) {
    let cum = 0;
    for (let i = 0; i < w.length; i++) { cum += w[i] / total; if (cum >= p.topP) { keep = i + 1; break; } }
  }
  let kept = 0;
  for (let i = 0; i < keep; i++) kept += w[i];
  let target = u * kept;
  for (let i = 0; i < keep; i++) { target -= w[i]; if (target < 0) return candidates[i]; }
  return candidates[keep - 1];
}

/**
 * Pure nucleus sampling. The nucleus is every token whose logit is at least the
 * threshold at which the descending cumulative mass first reaches top_p. The
 * threshold comes from one native numeric sort of a copy of the row (fast even
 * when the nucleus is most of the vocabulary, as with flat distributions), and
 * the draw walks the nucleus in index order, so no comparator sort is needed.
 */
function nucleusSample(row: Float32Array, topP: number, invT: number, u: number, banned: number): number {
  const V = row.length;
  const sorted = Float32Array.from(row);
  if (banned >= 0 && banned < V) sorted[banned] = -Infinity;
  sorted.sort();
  const max = sorted[V - 1];
  let total = 0;
  for (let j = 0; j < V; j++) total += Math.exp((sorted[j] - max) * invT);
  let mass = 0;
  let threshold = max;
  for (let j = V - 1; j >= 0; j--) {
    threshold = sorted[j];
    mass += Math.exp((threshold - max) * invT);
    if (mass >= topP * total) break;
  }
  let kept = 0;
  for (let i = 0; i < V; i++) if (i !== banned && row[i] >= threshold) kept += Math.exp((row[i] - max) * invT);
  let target = u * kept;
  let last = -1;
  for (let i = 0; i < V; i++) {
    if (i === banned || row[i] < threshold) continue;
    last = i;
    target -= Math.exp((row[i] - max) * invT);
    if (target < 0) return i;
  }
  return last;
}

/** Does this token end a sentence (., ! or ?, possibly followed by closing quotes/brackets)? */
export function endsSentence(tokenText: string): boolean {
  return /[.!?]["'”’)\]]*\s*$/.test(tokenText);
}
