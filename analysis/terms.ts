// Distinctive terms between two sets of texts (the release report's Figure 5:
// the terms of a fine-tuned model's samples beside those of its source texts;
// equally machine against human, or one model size against another). Two
// views: each side's top terms by TF-IDF, and the log-odds ratio with an
// informative Dirichlet prior with z-scores (stats/log-odds.ts), which says
// which differences are more than noise.
import type { Protocol, TermsSide } from '../studies/protocol.ts';
import type { StimulusRow } from './rows.ts';
import { tokenize } from './tokenize.ts';
import { logOddsDirichlet, type LogOddsTerm } from './stats/log-odds.ts';

export interface TermSide {
  /** What the texts are (a pool id, or a description). */
  name: string;
  texts: number;
  tokens: number;
  /** Top terms by mean TF-IDF weight over this side's texts, highest first. */
  tfidf: { term: string; weight: number; count: number }[];
}

export interface TermsComparison {
  a: TermSide;
  b: TermSide;
  /** The prior's weight α₀ in words. */
  priorTotal: number;
  /** Terms by z, most typical of A first, most typical of B last (every term seen at least `minCount` times in all). */
  logOdds: LogOddsTerm[];
  /** |z| > 1.96: the terms each side uses more than chance allows (two-sided 5%, per term, unadjusted). */
  significant: { a: number; b: number };
}

export interface TermsOptions {
  /** Terms listed per side (TF-IDF) — default 20. */
  top?: number;
  /** Terms seen fewer times than this in both sides together are left out of the log-odds list — default 3. */
  minCount?: number;
  /** α₀ (default: the pooled vocabulary size, see stats/log-odds.ts). */
  priorTotal?: number;
}

function counts(docs: readonly string[][]): Map<string, number> {
  const m = new Map<string, number>();
  for (const d of docs) for (const t of d) m.set(t, (m.get(t) ?? 0) + 1);
  return m;
}

/**
 * Mean TF-IDF weight of each term over one side's documents, with the IDF of
 * both sides together (sklearn's smooth idf, ln((1 + N) / (1 + df)) + 1, and
 * l2-normalised rows, as TfidfVectorizer).
 */
function topTfidf(docs: readonly string[][], idf: Map<string, number>, top: number): TermSide['tfidf'] {
  const sum = new Map<string, number>();
  for (const d of docs) {
    const tf = counts([d]);
    let norm = 0;
    for (const [t, c] of tf) norm += (c * idf.get(t)!) ** 2;
    norm = Math.sqrt(norm) || 1;
    for (const [t, c] of tf) sum.set(t, (sum.get(t) ?? 0) + (c * idf.get(t)!) / norm);
  }
  const total = counts(docs);
  return [...sum]
    .map(([term, s]) => ({ term, weight: s / Math.max(1, docs.length), count: total.get(term)! }))
    .sort((x, y) => y.weight - x.weight || (x.term < y.term ? -1 : 1))
    .slice(0, top);
}

export function compareTerms(a: { name: string; texts: readonly string[] }, b: { name: string; texts: readonly string[] }, opts: TermsOptions = {}): TermsComparison {
  const top = opts.top ?? 20;
  const minCount = opts.minCount ?? 3;
  const docsA = a.texts.map(tokenize), docsB = b.texts.map(tokenize);
  const all = [...docsA, ...docsB];
  const df = new Map<string, number>();
  for (const d of all) for (const t of new Set(d)) df.set(t, (df.get(t) ?? 0) + 1);
  const idf = new Map([...df].map(([t, n]) => [t, Math.log((1 + all.length) / (1 + n)) + 1]));
  const ca = counts(docsA), cb = counts(docsB);
  const priorTotal = opts.priorTotal ?? new Set([...ca.keys(), ...cb.keys()]).size;
  const logOdds = logOddsDirichlet(ca, cb, { priorTotal })
    .filter((t) => t.countA + t.countB >= minCount)
    .sort((x, y) => y.z - x.z || (x.term < y.term ? -1 : 1));
  const side = (name: string, docs: string[][], c: Map<string, number>): TermSide => ({
    name,
    texts: docs.length,
    tokens: [...c.values()].reduce((s, v) => s + v, 0),
    tfidf: topTfidf(docs, idf, top),
  });
  return {
    a: side(a.name, docsA, ca),
    b: side(b.name, docsB, cb),
    priorTotal,
    logOdds,
    significant: { a: logOdds.filter((t) => t.z > 1.96).length, b: logOdds.filter((t) => t.z < -1.96).length },
  };
}

/** The `k` terms most typical of each side by z (A's from the top, B's from the bottom), for tables and figures. */
export function extremeTerms(c: TermsComparison, k: number): { a: LogOddsTerm[]; b: LogOddsTerm[] } {
  return {
    a: c.logOdds.filter((t) => t.z > 0).slice(0, k),
    b: c.logOdds.filter((t) => t.z < 0).slice(-k).reverse(),
  };
}

/** The texts of one side of a comparison, and its name for tables and figures. */
export function sideTexts(stimuli: readonly StimulusRow[], side: TermsSide): { name: string; texts: string[] } {
  const spec = typeof side === 'string' ? { pools: [side] } : side;
  const pools = new Set(spec.pools);
  const texts = stimuli
    .filter((s) => pools.has(s.pool) && (!('source' in spec) || !spec.source || s.source === spec.source) && (!('model_size' in spec) || !spec.model_size || s.model_size === spec.model_size))
    .map((s) => s.text);
  const name = ('label' in spec && spec.label) || [spec.pools.join(' + '), 'source' in spec ? spec.source : undefined, 'model_size' in spec ? spec.model_size : undefined].filter(Boolean).join(', ');
  return { name, texts };
}

/** Every comparison the protocol asks for (`report.terms`), over the study's stimuli. */
export function protocolTermComparisons(protocol: Protocol, stimuli: readonly StimulusRow[]): TermsComparison[] {
  return (protocol.report?.terms ?? []).map((c) => compareTerms(sideTexts(stimuli, c.a), sideTexts(stimuli, c.b), { top: c.top }));
}
