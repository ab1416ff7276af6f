// The sentences a results section would open with, generated from the
// statistics (never typed by hand): each states its estimate, its interval,
// its test and its n. Conditions go by their protocol labels, questions by
// their prompts. The first declared condition is the reference the others are
// compared with (in the shipped credibility study, the original story).
import type { AnalysisResult } from './analyze.ts';
import type { ScaleAnalysis } from './credibility.ts';
import type { DetectorResult } from './detectors.ts';
import { tQuantile } from './stats/distributions.ts';
import { apaP, bounded, count, interval, percent, pPhrase, sig3 } from './apa.ts';

export interface Headline {
  topic: 'credibility' | 'sharing' | 'detection' | 'roft' | 'detectors';
  text: string;
  /** A planned test or estimate of the preregistration (prereg.ts); false: exploratory. */
  planned: boolean;
}

const ALPHA = 0.05;

export function headlines(res: AnalysisResult): Headline[] {
  const out: Headline[] = [];
  const label = (id: string) => res.conditionLabels[id] ?? id;
  for (const s of res.scales) {
    if (s.role === 'credibility_4pt' || s.role === 'credibility_10') out.push(...scaleHeadlines(s, label, 'credibility'));
    else if (s.role === 'sharing') out.push(...scaleHeadlines(s, label, 'sharing'));
  }
  const d = res.detection;
  if (d) {
    let text = `People judged the source correctly in ${percent(d.accuracy.p)} of ${count(d.judgments)} judgments (95% CI ${interval(d.accuracy.lower, d.accuracy.upper, percent)}; exact binomial test against 50%, ${pPhrase(d.binomialP)})`;
    text += d.sdt.notEstimable ? `; d′ and c are not estimable (${d.sdt.notEstimable}).` : `; d′ = ${sig3(d.sdt.dPrime)}, c = ${sig3(d.sdt.criterion)}.`;
    out.push({ topic: 'detection', text, planned: true });
    for (const [group, what] of [['model_size', 'model size'], ['sampling', 'sampling'], ['length', 'length']] as const) {
      const gs = d.groups.filter((g) => g.group === group && g.n > 0);
      if (gs.length < 2) continue;
      const parts = gs.map((g) => `${percent(g.accuracy.p)} for ${g.value} (${interval(g.accuracy.lower, g.accuracy.upper, percent)}, n = ${count(g.n)})`);
      out.push({ topic: 'detection', planned: false, text: `Accuracy by ${what}${group === 'length' ? ' (words)' : ' (machine texts)'}: ${list(parts)}.` });
    }
  }
  const r = res.roft;
  if (r) {
    out.push({
      topic: 'roft',
      planned: true,
      text: `Participants marked the exact first machine sentence in ${percent(r.exact.p)} of ${count(r.picks)} picks (95% CI ${interval(r.exact.lower, r.exact.upper, percent)}), against ${percent(r.chance)} expected by chance (exact binomial test, ${pPhrase(r.binomialP)}); on average their pick was ${sig3(Math.abs(r.signedDistance.mean))} sentences ${r.signedDistance.mean >= 0 ? 'late' : 'early'} (95% CI ${interval(r.signedDistance.lower, r.signedDistance.upper)}).`,
    });
  }
  const det = res.detectors;
  if (det && det.detectors.length) {
    const people = d && Number.isFinite(d.auroc.auc) ? ` People's judgments reached AUROC ${bounded(d.auroc.auc)} (95% CI ${interval(d.auroc.lower, d.auroc.upper, bounded)}, ${count(d.judgments)} judgments).` : '';
    const parts = bestPerFamily(det.detectors).map((x) => `${x.detector} (${x.metric}) ${bounded(x.auroc.auc)} (95% CI ${interval(x.auroc.lower, x.auroc.upper, bounded)}, n = ${count(x.n)} texts)`);
    out.push({ topic: 'detectors', planned: false, text: `Best AUROC of each detector family: ${list(parts)}.${people}` });
  }
  return out;
}

/** Each detector family's metric with the highest AUROC, best family first. */
export function bestPerFamily(detectors: readonly DetectorResult[]): DetectorResult[] {
  const best = new Map<string, DetectorResult>();
  for (const x of detectors) {
    if (!Number.isFinite(x.auroc.auc)) continue;
    const cur = best.get(x.detector);
    if (!cur || x.auroc.auc > cur.auroc.auc) best.set(x.detector, x);
  }
  return [...best.values()].sort((a, b) => b.auroc.auc - a.auroc.auc);
}

function scaleHeadlines(s: ScaleAnalysis, label: (id: string) => string, topic: 'credibility' | 'sharing'): Headline[] {
  const out: Headline[] = [];
  const item = s.prompt ? `“${s.prompt}”` : s.questionId;
  const conds = s.conditions.filter((c) => c.n > 0);
  if (conds.length === 0) return out;
  const means = conds.map((c) => {
    const ci = Number.isFinite(c.tLower) ? `95% CI ${interval(c.tLower, c.tUpper)}, ` : 'no interval at n = 1, ';
    return `${sig3(c.mean)} for ${label(c.condition)} (${ci}n = ${count(c.n)})`;
  });
  out.push({ topic, planned: true, text: `Mean answer to ${item}: ${list(means)}.` });
  const ref = s.conditions[0];
  for (const p of s.pairwise) {
    if (p.a !== ref.condition && p.b !== ref.condition) continue;
    // Orient every contrast as "other minus reference".
    const flip = p.a === ref.condition;
    const other = flip ? p.b : p.a;
    const diff = flip ? -p.difference : p.difference;
    const t = flip ? -p.welchT : p.welchT;
    const nOther = flip ? p.nB : p.nA, nRef = flip ? p.nA : p.nB;
    if (!Number.isFinite(t) || !Number.isFinite(p.welchDf)) {
      out.push({ topic, planned: true, text: `${label(other)} against ${label(ref.condition)}: the difference is ${Number.isFinite(diff) ? sig3(diff) : 'not estimable'}, and Welch's test is not estimable (${nOther < 2 || nRef < 2 ? `n = ${Math.min(nOther, nRef)} in a group` : 'no variance'}; n = ${count(nOther)} and ${count(nRef)}).` });
      continue;
    }
    const half = tQuantile(0.975, p.welchDf) * Math.abs(diff / t);
    const d = Number.isFinite(p.cohensD) ? `, d = ${sig3(flip ? -p.cohensD : p.cohensD)}` : '';
    const verdict = p.welchPHolm < ALPHA ? `was rated ${diff > 0 ? 'higher' : 'lower'} than` : 'did not differ reliably from';
    out.push({
      topic,
      planned: true,
      text: `${label(other)} ${verdict} ${label(ref.condition)}: difference ${sig3(diff)} (95% CI ${interval(diff - half, diff + half)}), Welch t(${sig3(p.welchDf)}) = ${sig3(t)}, ${pPhrase(p.welchP)}, Holm-adjusted p ${apaP(p.welchPHolm).startsWith('<') ? apaP(p.welchPHolm) : '= ' + apaP(p.welchPHolm)}${d}; n = ${count(nOther)} and ${count(nRef)}.`,
    });
  }
  const tops = conds.filter((c) => c.top && c.top.n > 0);
  if (tops.length) {
    const verb = topic === 'sharing' ? 'would share the text' : 'found the text credible (top two points)';
    const parts = tops.map((c) => `${percent(c.top!.p)} for ${label(c.condition)} (95% CI ${interval(c.top!.lower, c.top!.upper, percent)}, n = ${count(c.top!.n)})`);
    out.push({ topic, planned: false, text: `Share who ${verb}: ${list(parts)}.` });
  }
  return out;
}

function list(parts: string[]): string {
  if (parts.length <= 1) return parts.join('');
  if (parts.length === 2) return `${parts[0]} and ${parts[1]}`;
  return `${parts.slice(0, -1).join('; ')}; and ${parts[parts.length - 1]}`;
}
