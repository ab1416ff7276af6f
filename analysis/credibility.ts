// Credibility (and sharing intent, and any other scale item): per condition
// the mean with t and seeded bootstrap 95% CIs, the share in the top category
// ("credible": the top two points of the 4-point item; "would share") with a
// Wilson CI, the distribution of points, every pairwise comparison (Welch t and
// Mann–Whitney, each family Holm-adjusted within the item) with Cohen's d and
// Cliff's delta, and the condition × party-ID breakdown.
import type { Collected, ScaleItem } from './collect.ts';
import { keeps, type Exclusions } from './exclusions.ts';
import { partyGroup } from './roles.ts';
import type { Role } from '../studies/vocabulary/roles.ts';
import { meanTCi, meanBootstrapCi } from './stats/mean-ci.ts';
import { wilsonInterval, type Proportion } from './stats/wilson.ts';
import { welchTTest } from './stats/welch.ts';
import { mannWhitneyU } from './stats/rank-sum.ts';
import { holmAdjust } from './stats/holm.ts';
import { cohensD, cliffsDelta } from './stats/effect-size.ts';
import { deriveSeed } from '../studies/random.ts';

export interface ConditionStats {
  condition: string;
  n: number;
  mean: number;
  sd: number;
  tLower: number;
  tUpper: number;
  bootLower: number;
  bootUpper: number;
  /** Share in the top category with its Wilson CI; null when the item has no such split. */
  top: Proportion | null;
  distribution: { value: number; count: number; share: number }[];
}

export interface PairwiseComparison {
  a: string;
  b: string;
  nA: number;
  nB: number;
  /** mean(a) − mean(b) */
  difference: number;
  welchT: number;
  welchDf: number;
  welchP: number;
  welchPHolm: number;
  mannWhitneyU: number;
  mannWhitneyP: number;
  mannWhitneyPHolm: number;
  cohensD: number;
  cliffsDelta: number;
}

export interface PartyCell {
  condition: string;
  party: string;
  n: number;
  mean: number;
  tLower: number;
  tUpper: number;
  top: Proportion | null;
}

export interface ScaleAnalysis {
  questionId: string;
  role: Role;
  type: string;
  prompt: string | null;
  timedOut: number;
  dropped: number;
  conditions: ConditionStats[];
  pairwise: PairwiseComparison[];
  byParty: PartyCell[];
}

export interface ScaleOptions {
  seed?: number;
  resamples?: number;
  /** Skip the bootstrap (power simulation reps do not need it). */
  bootstrap?: boolean;
  /** Skip the party table. */
  party?: boolean;
}

/** Per participant (by index): the place of their condition in `c.conditions` and their party group, worked out once for every item. */
interface ParticipantGroups {
  condition: Int32Array;
  party: string[];
}

function participantGroups(c: Collected): ParticipantGroups {
  const place = new Map(c.conditions.map((id, k) => [id, k]));
  const condition = new Int32Array(c.participants.length);
  const party = c.participants.map((ps, i) => {
    condition[i] = place.get(ps.condition)!;
    return partyGroup(ps.partyId);
  });
  return { condition, party };
}

export function analyzeScaleItem(c: Collected, ex: Exclusions, item: ScaleItem, opts: ScaleOptions = {}, people = participantGroups(c)): ScaleAnalysis {
  // Parallel to c.conditions: each answer finds its group by its participant's index, not by a lookup per answer.
  const groups = c.conditions.map(() => ({ v: [] as number[], top: [] as number[], party: [] as string[] }));
  const byCondition = new Map(c.conditions.map((cond, k) => [cond, groups[k]]));
  const withParty = opts.party !== false;
  let dropped = 0;
  let hasTop = false;
  const obs = item.obs;
  for (let i = 0; i < obs.n; i++) {
    if (obs.top[i] >= 0) hasTop = true;
    const p = obs.p[i];
    if (!keeps(ex, p, obs.fast[i] === 1)) {
      dropped++;
      continue;
    }
    const g = groups[people.condition[p]];
    g.v.push(obs.v[i]);
    g.top.push(obs.top[i]);
    if (withParty) g.party.push(people.party[p]);
  }
  const seed = opts.seed ?? c.protocol.design.seed;
  const conditions: ConditionStats[] = [];
  for (const [condition, g] of byCondition) {
    if (g.v.length === 0 && !c.protocol.design.conditions.some((d) => d.id === condition)) continue;
    const t = meanTCi(g.v);
    const boot = opts.bootstrap === false ? null : meanBootstrapCi(g.v, { seed: deriveSeed(seed, `boot:${item.info.id}:${condition}`), resamples: opts.resamples });
    conditions.push({
      condition,
      n: t.n,
      mean: t.mean,
      sd: t.sd,
      tLower: t.lower,
      tUpper: t.upper,
      bootLower: boot?.lower ?? NaN,
      bootUpper: boot?.upper ?? NaN,
      top: hasTop ? topShare(g.top) : null,
      distribution: distribution(g.v),
    });
  }
  const pairwise = pairwiseComparisons(conditions.map((s) => [s.condition, byCondition.get(s.condition)!.v] as const));
  const byParty: PartyCell[] = [];
  if (opts.party !== false) {
    for (const [condition, g] of byCondition) {
      const groups = new Map<string, { v: number[]; top: number[] }>();
      g.party.forEach((party, i) => {
        let x = groups.get(party);
        if (!x) groups.set(party, (x = { v: [], top: [] }));
        x.v.push(g.v[i]);
        x.top.push(g.top[i]);
      });
      for (const party of ['Democrat', 'Independent', 'Republican', 'unknown']) {
        const x = groups.get(party);
        if (!x) continue;
        const t = meanTCi(x.v);
        byParty.push({ condition, party, n: t.n, mean: t.mean, tLower: t.lower, tUpper: t.upper, top: hasTop ? topShare(x.top) : null });
      }
    }
  }
  return {
    questionId: item.info.id,
    role: item.info.role,
    type: item.info.type,
    prompt: item.info.prompt,
    timedOut: item.timedOut,
    dropped,
    conditions,
    pairwise,
    byParty,
  };
}

/** Every pair of groups, in the given order; Holm over the whole family, separately per test. */
export function pairwiseComparisons(groups: readonly (readonly [string, number[]])[]): PairwiseComparison[] {
  const out: PairwiseComparison[] = [];
  for (let i = 0; i < groups.length; i++) {
    for (let j = i + 1; j < groups.length; j++) {
      const [a, x] = groups[i];
      const [b, y] = groups[j];
      const w = welchTTest(x, y);
      const m = mannWhitneyU(x, y);
      out.push({
        a,
        b,
        nA: x.length,
        nB: y.length,
        difference: w.difference,
        welchT: w.t,
        welchDf: w.df,
        welchP: w.p,
        welchPHolm: NaN,
        mannWhitneyU: m.u,
        mannWhitneyP: m.p,
        mannWhitneyPHolm: NaN,
        cohensD: cohensD(x, y),
        cliffsDelta: cliffsDelta(x, y),
      });
    }
  }
  const wh = holmAdjust(out.map((o) => o.welchP));
  const mh = holmAdjust(out.map((o) => o.mannWhitneyP));
  out.forEach((o, k) => {
    o.welchPHolm = wh[k];
    o.mannWhitneyPHolm = mh[k];
  });
  return out;
}

function topShare(top: number[]): Proportion {
  let x = 0, n = 0;
  for (const t of top) {
    if (t < 0) continue;
    n++;
    x += t;
  }
  return wilsonInterval(x, n);
}

function distribution(values: number[]): { value: number; count: number; share: number }[] {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return [...counts.keys()].sort((a, b) => a - b).map((value) => ({ value, count: counts.get(value)!, share: counts.get(value)! / values.length }));
}

/** Every scale item (credibility, sharing, confidence) in protocol order. */
export function analyzeCredibility(c: Collected, ex: Exclusions, opts: ScaleOptions = {}): ScaleAnalysis[] {
  const order: Role[] = ['credibility_4pt', 'credibility_10', 'sharing', 'confidence'];
  const people = participantGroups(c);
  return [...c.items.values()]
    .sort((a, b) => order.indexOf(a.info.role) - order.indexOf(b.info.role))
    .map((item) => analyzeScaleItem(c, ex, item, opts, people));
}
