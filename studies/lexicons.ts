// Category lexicons (issue 16 item 2): a protocol may declare, per lexicon,
// categories of words or patterns and how to match them; `credence score`
// (and `credence start`) applies each to the stimuli of its pools and stores
// the result beside the detector scores, under the lexicon's hash, so a
// changed lexicon is applied afresh and never mixed with the old results.
// Pure: the same text and lexicon always give the same categories.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { stableStringify } from './stable-json.ts';

import { NONE_CATEGORY } from './vocabulary/categories.ts';

export { LEXICON_DETECTOR_PREFIX, NONE_CATEGORY } from './vocabulary/categories.ts';

/**
 * Bumped when matching itself changes (tokenising, tie-breaks), so every
 * stored result is re-made under a new hash.
 */
const MATCHER_VERSION = 1;

const category = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]*$/i, 'a category name of letters, digits, - and _')
  .refine((c) => c.toLowerCase() !== NONE_CATEGORY, `'${NONE_CATEGORY}' is reserved for "none of these"`);

/**
 * One entry: a word or phrase (`woman`, `african american`: whole words,
 * any case, punctuation between words ignored), a prefix (`christian*`), or a
 * regular expression tested against each single word (`/^wom[ae]n$/`).
 */
const entry = z
  .string()
  .min(1)
  .refine((e) => {
    const re = /^\/(.+)\/$/.exec(e);
    if (!re) return words(e.replace(/\*$/, '')).length > 0;
    try {
      new RegExp(re[1], 'iu');
      return true;
    } catch {
      return false;
    }
  }, 'a word, phrase, prefix* or /regular expression/ (this one has no word or is not a valid expression)');

export const LexiconSchema = z
  .object({
    /** first: the category of the first match (within the first `within_words` words); all: how many matches of each. */
    match: z.enum(['first', 'all']).default('first'),
    /** Only matches that start within the first k words count. */
    within_words: z.number().int().min(1).optional(),
    /** Pools whose stimuli it categorises (default: every pool). */
    pools: z.array(z.string()).min(1).optional(),
    categories: z.record(category, z.array(entry).min(1)).refine((c) => Object.keys(c).length >= 1, 'at least one category'),
  })
  .strict();
export type Lexicon = z.infer<typeof LexiconSchema>;

/** Lower-cased words: runs of letters and digits (apostrophes and hyphens split, so `woman's` holds `woman`). */
export function words(text: string): string[] {
  return (text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []);
}

type Matcher = (ws: readonly string[], at: number) => number; // words matched at `at` (0 = no match)

function matcher(e: string): Matcher {
  const re = /^\/(.+)\/$/.exec(e);
  if (re) {
    const rx = new RegExp(re[1], 'iu');
    return (ws, at) => (rx.test(ws[at]) ? 1 : 0);
  }
  const prefix = e.endsWith('*');
  const phrase = words(prefix ? e.slice(0, -1) : e);
  return (ws, at) => {
    if (at + phrase.length > ws.length) return 0;
    for (let j = 0; j < phrase.length; j++) {
      const last = j === phrase.length - 1;
      if (last && prefix ? !ws[at + j].startsWith(phrase[j]) : ws[at + j] !== phrase[j]) return 0;
    }
    return phrase.length;
  };
}

export interface LexiconResult {
  /** match: first — the category matched first, or null for none. */
  first: string | null;
  /** The 0-based word index where the first match starts, or null. */
  firstAt: number | null;
  /** Matches of each category (every category present, 0 when none) starting within the window. */
  counts: Record<string, number>;
}

/**
 * Categorises one text. Matches are found word by word from the start; at one
 * word the longest match wins, then the category first in alphabetical order
 * (not declaration order, which the lexicon's hash does not see). In `all`
 * mode a word may start a match for several categories and each counts; the
 * words after the start of the longest match are skipped.
 */
export function categorize(text: string, lexicon: Lexicon): LexiconResult {
  const ws = words(text);
  const names = Object.keys(lexicon.categories).sort();
  const matchers = new Map(names.map((c) => [c, lexicon.categories[c].map(matcher)]));
  const end = Math.min(ws.length, lexicon.within_words ?? ws.length);
  const counts: Record<string, number> = Object.fromEntries(names.map((c) => [c, 0]));
  let first: string | null = null;
  let firstAt: number | null = null;
  for (let at = 0; at < end; at++) {
    let best: { c: string; len: number } | null = null;
    for (const c of names) {
      const len = Math.max(0, ...matchers.get(c)!.map((m) => m(ws, at)));
      if (len > 0) {
        counts[c]++;
        if (!best || len > best.len) best = { c, len };
      }
    }
    if (!best) continue;
    if (first === null) {
      first = best.c;
      firstAt = at;
    }
    // The words of a phrase are not matched again on their own (`african american` is not also `american`).
    at += best.len - 1;
  }
  return { first, firstAt, counts };
}

/**
 * The rows a lexicon stores per stimulus, metric → value: in `first` mode 1
 * for the category matched first and 0 for the others (all 0: none); in `all`
 * mode each category's count of matches.
 */
export function lexiconMetrics(result: LexiconResult, lexicon: Lexicon): Record<string, number> {
  if (lexicon.match === 'all') return { ...result.counts };
  return Object.fromEntries(Object.keys(result.counts).map((c) => [c, c === result.first ? 1 : 0]));
}

/** The version of a lexicon's results: what decides them (not which pools it is applied to). */
export function lexiconHash(lexicon: Lexicon): string {
  const { pools: _pools, ...decides } = lexicon;
  return createHash('sha256').update(stableStringify({ matcher: MATCHER_VERSION, ...decides })).digest('hex');
}

/** Whether a lexicon categorises the stimuli of this pool. */
export function lexiconAppliesTo(lexicon: Lexicon, pool: string): boolean {
  return !lexicon.pools || lexicon.pools.includes(pool);
}
