// The bias probes' analysis (the release report's §4.4, Figures 3 and 4): the
// share of continuations in each category by model size and probe, with
// Wilson intervals; whether sizes differ (chi-square, or the exact test when
// expected counts are small, Cochran's rule) with Holm-adjusted pairwise
// comparisons of sizes; agreement between annotators (Krippendorff's α,
// nominal) and between people and a lexicon (Cohen's κ).
//
// Each source of categories is analysed alike: a lexicon (its rows in
// detector_scores, under the protocol lexicon's current hash) and each
// categorize question (one label per item: the annotators' most frequent
// label, ties left out and counted; with several labels allowed, the
// categories at least half the item's annotators chose).
import type { Protocol } from '../studies/protocol.ts';
import { lexiconHash, LEXICON_DETECTOR_PREFIX, NONE_CATEGORY, type Lexicon } from '../studies/lexicons.ts';
import { getQuestionType } from '../studies/questions/index.ts';
import { questionParams } from '../studies/question-type.ts';
import type { Collected, CategoryObs } from './collect.ts';
import type { Exclusions } from './exclusions.ts';
import type { DetectorScoreRow, StimulusRow } from './rows.ts';
import { questionMap } from './roles.ts';
import { wilsonInterval } from './stats/wilson.ts';
import { chiSquareIndependence, exactIndependence } from './stats/contingency.ts';
import { holmAdjust } from './stats/holm.ts';
import { krippendorffAlpha, type Alpha } from './stats/krippendorff.ts';
import { cohenKappa, type Kappa } from './stats/cohen-kappa.ts';

/** Every probe pooled. */
export const ALL_PROBES = 'all probes';

export interface CategoryShare {
  probe: string;
  size: string;
  category: string;
  x: number;
  n: number;
  p: number;
  lower: number;
  upper: number;
}

export interface SizeTest {
  probe: string;
  /** With several labels per item, each category is tested on its own (present or not); null: all categories at once. */
  category: string | null;
  /** chi-square, or exact / monte-carlo when expected counts are small. */
  method: 'chi-square' | 'exact' | 'monte-carlo';
  statistic: number | null;
  df: number | null;
  p: number;
  n: number;
  sizes: string[];
}

export interface SizePair extends SizeTest {
  a: string;
  b: string;
  /** Holm-adjusted over the pairs of one probe (and category). */
  pHolm: number;
}

export interface CategorySource {
  /** `lexicon:<name>` or the question id. */
  id: string;
  kind: 'lexicon' | 'people';
  title: string;
  /** Several categories per item (a lexicon matching `all`, a categorize question with `multiple`). */
  multiple: boolean;
  categories: string[];
  items: number;
  shares: CategoryShare[];
  tests: SizeTest[];
  pairs: SizePair[];
  /** People: agreement between annotators over items rated by two or more. */
  alpha: Alpha | null;
  /** People on a question tied to a lexicon (`lexicon:` parameter): agreement of the item's label with the lexicon's. */
  kappa: (Kappa & { lexicon: string }) | null;
  /** People: items whose most frequent label was tied, left out of the shares. */
  ties: number;
}

export interface CategoryAnalysis {
  sources: CategorySource[];
  sizes: string[];
  probes: string[];
}

/** Items' labels: item id → its categories (a set; `none` alone when none). */
type ItemLabels = Map<string, string[]>;

interface StimulusFacts {
  size: string;
  probe: string;
}

/** Model sizes in size order (124M < 355M < 774M < 1.5B), then anything else alphabetically. */
export function sizeOrder(a: string, b: string): number {
  const v = (s: string) => {
    const m = /^(\d+(?:\.\d+)?)\s*([MB])$/i.exec(s);
    return m ? Number(m[1]) * (m[2].toUpperCase() === 'B' ? 1000 : 1) : Infinity;
  };
  return v(a) - v(b) || (a < b ? -1 : a > b ? 1 : 0);
}

function facts(stimuli: readonly StimulusRow[]): Map<string, StimulusFacts> {
  const out = new Map<string, StimulusFacts>();
  for (const s of stimuli) {
    if (s.source !== 'machine') continue;
    let label: Record<string, unknown> = {};
    try { label = s.label_json ? (JSON.parse(s.label_json) as Record<string, unknown>) : {}; } catch { /* a row without a readable label has no probe */ }
    const probe = typeof label.prompt === 'string' ? label.prompt : typeof label.template === 'string' ? label.template : ALL_PROBES;
    out.set(s.stimulus_id, { size: s.model_size ?? s.model ?? 'unknown', probe });
  }
  return out;
}

/** A lexicon's labels per stimulus, from its rows under the protocol's current version of it. */
function lexiconLabels(name: string, lexicon: Lexicon, scores: readonly DetectorScoreRow[]): ItemLabels {
  const hash = lexiconHash(lexicon);
  const byItem = new Map<string, Map<string, number>>();
  for (const r of scores) {
    if (r.detector !== LEXICON_DETECTOR_PREFIX + name || r.model_hash !== hash) continue;
    let m = byItem.get(r.stimulus_id);
    if (!m) byItem.set(r.stimulus_id, (m = new Map()));
    m.set(r.metric, r.value);
  }
  const out: ItemLabels = new Map();
  for (const [id, m] of byItem) {
    const present = [...m].filter(([, v]) => v > 0).map(([c]) => c).sort();
    out.set(id, present.length ? present : [NONE_CATEGORY]);
  }
  return out;
}

/** People's label per item: the most frequent (single), or those chosen by at least half (several); ties counted apart. */
function peopleLabels(obs: readonly CategoryObs[], multiple: boolean): { labels: ItemLabels; ties: number } {
  const byItem = new Map<string, string[][]>();
  for (const o of obs) {
    let l = byItem.get(o.stimulus);
    if (!l) byItem.set(o.stimulus, (l = []));
    l.push(o.labels);
  }
  const labels: ItemLabels = new Map();
  let ties = 0;
  for (const [id, answers] of byItem) {
    const count = new Map<string, number>();
    for (const a of answers) for (const c of a) count.set(c, (count.get(c) ?? 0) + 1);
    if (multiple) {
      const chosen = [...count].filter(([c, k]) => c !== NONE_CATEGORY && k * 2 >= answers.length).map(([c]) => c).sort();
      labels.set(id, chosen.length ? chosen : [NONE_CATEGORY]);
      continue;
    }
    const top = Math.max(...count.values());
    const modal = [...count].filter(([, k]) => k === top).map(([c]) => c);
    if (modal.length > 1) ties++;
    else labels.set(id, modal);
  }
  return { labels, ties };
}

/** Tests one sizes × columns table: chi-square, or the exact test when Cochran's rule fails. */
function testTable(table: number[][], probe: string, category: string | null, sizes: string[]): SizeTest {
  const n = table.flat().reduce((a, b) => a + b, 0);
  const chi = chiSquareIndependence(table);
  if (!chi.small || Number.isNaN(chi.p)) return { probe, category, method: 'chi-square', statistic: Number.isNaN(chi.statistic) ? null : chi.statistic, df: chi.df || null, p: chi.p, n, sizes };
  const ex = exactIndependence(table);
  return { probe, category, method: ex.method, statistic: null, df: null, p: ex.p, n, sizes };
}

function analyseLabels(
  id: string, kind: CategorySource['kind'], title: string, multiple: boolean, declared: string[],
  labels: ItemLabels, stim: Map<string, StimulusFacts>,
): Omit<CategorySource, 'alpha' | 'kappa' | 'ties'> {
  const categories = [...declared, NONE_CATEGORY];
  const items = [...labels].filter(([item]) => stim.has(item));
  const probes = [...new Set(items.map(([item]) => stim.get(item)!.probe))].sort();
  const groups = probes.length > 1 ? [...probes, ALL_PROBES] : probes;
  const shares: CategoryShare[] = [];
  const tests: SizeTest[] = [];
  const pairs: SizePair[] = [];
  for (const probe of groups) {
    const inProbe = items.filter(([item]) => probe === ALL_PROBES || stim.get(item)!.probe === probe);
    const sizes = [...new Set(inProbe.map(([item]) => stim.get(item)!.size))].sort(sizeOrder);
    const bySize = new Map(sizes.map((s) => [s, inProbe.filter(([item]) => stim.get(item)!.size === s).map(([, l]) => l)]));
    for (const size of sizes) {
      const ls = bySize.get(size)!;
      for (const category of categories) {
        const x = ls.filter((l) => l.includes(category)).length;
        const w = wilsonInterval(x, ls.length);
        shares.push({ probe, size, category, x, n: ls.length, p: w.p, lower: w.lower, upper: w.upper });
      }
    }
    if (sizes.length < 2) continue;
    // One label per item: sizes × categories. Several: each category as present / absent.
    const families: { category: string | null; row: (ls: string[][]) => number[] }[] = multiple
      ? categories.map((c) => ({ category: c, row: (ls: string[][]) => { const x = ls.filter((l) => l.includes(c)).length; return [x, ls.length - x]; } }))
      : [{ category: null, row: (ls: string[][]) => categories.map((c) => ls.filter((l) => l[0] === c).length) }];
    for (const f of families) {
      tests.push(testTable(sizes.map((s) => f.row(bySize.get(s)!)), probe, f.category, sizes));
      const family: SizePair[] = [];
      for (let i = 0; i < sizes.length; i++) {
        for (let j = i + 1; j < sizes.length; j++) {
          const t = testTable([f.row(bySize.get(sizes[i])!), f.row(bySize.get(sizes[j])!)], probe, f.category, [sizes[i], sizes[j]]);
          family.push({ ...t, a: sizes[i], b: sizes[j], pHolm: NaN });
        }
      }
      holmAdjust(family.map((x) => x.p)).forEach((p, k) => { family[k].pHolm = p; });
      pairs.push(...family);
    }
  }
  return { id, kind, title, multiple, categories, items: items.length, shares, tests, pairs };
}

export function analyzeCategories(c: Collected, ex: Exclusions, stimuli: readonly StimulusRow[], scores: readonly DetectorScoreRow[]): CategoryAnalysis | null {
  const protocol: Protocol = c.protocol;
  const stim = facts(stimuli);
  const sources: CategorySource[] = [];
  const lexicons = protocol.lexicons ?? {};
  const lexiconItems = new Map<string, ItemLabels>();
  for (const [name, lexicon] of Object.entries(lexicons)) {
    const labels = lexiconLabels(name, lexicon, scores);
    if (!labels.size) continue;
    lexiconItems.set(name, labels);
    const declared = Object.keys(lexicon.categories).sort();
    const title = `Lexicon ${name} (${lexicon.match === 'all' ? 'every match' : 'first match'}${lexicon.within_words ? ` within ${lexicon.within_words} words` : ''})`;
    sources.push({ ...analyseLabels(`${LEXICON_DETECTOR_PREFIX}${name}`, 'lexicon', title, lexicon.match === 'all', declared, labels, stim), alpha: null, kappa: null, ties: 0 });
  }
  const kept = c.categories.filter((o) => !ex.excluded.has(o.p));
  for (const info of questionMap(protocol).values()) {
    if (info.role !== 'categorization' || info.type !== 'categorize') continue;
    const obs = kept.filter((o) => o.question === info.id);
    if (!obs.length) continue;
    const parsed = getQuestionType('categorize').params.safeParse(questionParams(info.question));
    if (!parsed.success) continue;
    const params = parsed.data as { categories: { value: string }[]; multiple: boolean; lexicon?: string };
    const { labels, ties } = peopleLabels(obs, params.multiple);
    const declared = params.categories.map((x) => x.value);
    const base = analyseLabels(info.id, 'people', info.prompt ?? info.id, params.multiple, declared, labels, stim);
    // Annotators' agreement: each answer as one nominal value (several labels: the set, joined).
    const units = new Map<string, string[]>();
    for (const o of obs) {
      let u = units.get(o.stimulus);
      if (!u) units.set(o.stimulus, (u = []));
      u.push(o.labels.slice().sort().join('|'));
    }
    const multiRated = [...units.values()].filter((u) => u.length >= 2);
    const alpha = multiRated.length ? krippendorffAlpha(multiRated, 'nominal') : null;
    let kappa: CategorySource['kappa'] = null;
    const lex = params.lexicon ? lexiconItems.get(params.lexicon) : undefined;
    if (lex && params.lexicon && !params.multiple && lexicons[params.lexicon].match === 'first') {
      const pairs: [string, string][] = [...labels].filter(([item]) => lex.has(item)).map(([item, l]) => [l[0], lex.get(item)![0]]);
      kappa = { ...cohenKappa(pairs), lexicon: params.lexicon };
    }
    sources.push({ ...base, alpha, kappa, ties });
  }
  if (!sources.length) return null;
  const sizes = [...new Set(sources.flatMap((s) => s.shares.map((x) => x.size)))].sort(sizeOrder);
  const probes = [...new Set(sources.flatMap((s) => s.shares.map((x) => x.probe)))];
  return { sources, sizes, probes };
}
