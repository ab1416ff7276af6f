// Preregistration from the protocol, in AsPredicted's eight questions:
// hypotheses from the declared conditions (and the effects the researcher
// expects), the design, the dependent variables, the planned tests, the
// exclusion rules, and the sample size with the power `credence simulate`
// computes for it. Everything here is derived from the protocol, so the report
// can check a run against the same plan (`preregCompliance`) and mark every
// analysis the plan does not name as exploratory.
import type { Protocol } from '../studies/protocol.ts';
import type { AnalysisResult } from './analyze.ts';
import type { PowerReport } from './simulate.ts';
import { questionMap } from './roles.ts';
import type { Role } from '../studies/vocabulary/roles.ts';
import { SCALE_ROLES } from './collect.ts';
import { escapeHtml } from './escape-html.ts';
import { count, percent } from './apa.ts';

export const PLANNED_ALPHA = 0.05;

/** Scale items whose condition contrasts are planned: every scale item but confidence (as `credence simulate`). */
const isPlannedScale = (role: Role) => role !== 'confidence' && SCALE_ROLES.has(role);

export interface PlannedTest {
  /** Question id, or 'detection' / 'boundary'. */
  item: string;
  /** The test's name as `credence simulate` reports it. */
  test: string;
  comparison: string;
}

export interface PreregPlan {
  studyId: string;
  title: string;
  version: string;
  hypotheses: string[];
  design: string[];
  dependentVariables: string[];
  plannedTests: PlannedTest[];
  analyses: string[];
  exclusions: string[];
  /** Planned participants per condition (the protocol's targets) and in all. */
  sample: { total: number; perCondition: { condition: string; label: string; target: number }[] };
  /** Power of each planned test at the planned sample, when it was simulated. */
  power: PowerReport | null;
  /** Effects assumed for the power simulation, in points of each item. */
  effects: Record<string, number>;
}

/** The tests the plan names: what `credence simulate` estimates the power of, in the same words. */
export function plannedTests(protocol: Protocol): PlannedTest[] {
  const q = [...questionMap(protocol).values()];
  const conditions = protocol.design.conditions.map((c) => c.id);
  const out: PlannedTest[] = [];
  for (const item of q.filter((x) => isPlannedScale(x.role))) {
    for (let i = 0; i < conditions.length; i++) {
      for (let j = i + 1; j < conditions.length; j++) {
        for (const test of ['Welch t (Holm)', 'Mann–Whitney (Holm)']) out.push({ item: item.id, test, comparison: `${conditions[i]} vs ${conditions[j]}` });
      }
    }
  }
  if (q.some((x) => x.role === 'detection')) out.push({ item: 'detection', test: 'exact binomial vs 0.5', comparison: 'accuracy' });
  if (q.some((x) => x.role === 'boundary')) out.push({ item: 'boundary', test: 'exact binomial vs chance', comparison: 'exact rate' });
  return out;
}

export function preregPlan(protocol: Protocol, version: string, opts: { effects?: Record<string, number>; power?: PowerReport | null } = {}): PreregPlan {
  const q = [...questionMap(protocol).values()];
  const label = (id: string) => protocol.design.conditions.find((c) => c.id === id)?.label ?? id;
  const conds = protocol.design.conditions;
  const ref = conds[0];
  const effects = opts.effects ?? {};
  const scales = q.filter((x) => isPlannedScale(x.role));
  const hypotheses: string[] = [];
  for (const item of scales) {
    for (const c of conds.slice(1)) {
      const e = effects[c.id];
      const expect = e == null ? '' : ` We expect a shift of ${e > 0 ? '+' : ''}${e} points against ${label(ref.id)}.`;
      hypotheses.push(`The mean answer to “${item.prompt ?? item.id}” differs between ${label(c.id)} and ${label(ref.id)}.${expect}`);
    }
  }
  if (q.some((x) => x.role === 'detection')) hypotheses.push('People tell machine-written from human-written texts more often than chance (50% correct).');
  if (q.some((x) => x.role === 'boundary')) hypotheses.push('People mark the first machine-written sentence exactly more often than chance (1 / the number of sentences in the passage).');
  // A descriptive study (e.g. bias-probes: annotators categorise continuations) says so rather than leaving the section empty.
  if (!hypotheses.length) hypotheses.push('No confirmatory hypothesis: the protocol has no outcome that the analysis tests (no credibility, detection or boundary question); every result in the report is exploratory.');

  const design: string[] = [];
  design.push(conds.length > 1
    ? `Between subjects: ${conds.length} conditions — ${conds.map((c) => `${label(c.id)} (${c.id}, target ${c.target ?? 'not set'})`).join('; ')}; each participant is assigned to the least-filled condition.`
    : `One condition (${label(conds[0].id)}); no between-subject manipulation.`);
  for (const phase of protocol.phases) {
    if (phase.kind !== 'trials') continue;
    for (const b of phase.blocks) {
      const what = b.sample ? `${b.sample} ${b.sample === 1 ? 'stimulus' : 'stimuli'} drawn from` : 'every stimulus of';
      design.push(`Within subjects, block ${b.id ?? '(unnamed)'}: ${what} ${b.pools.map((p) => (p === '$condition' ? "the condition's pools" : p)).join(', ')}, ${b.order} order${b.balance ? `, balanced by ${b.balance.by}` : ''}${b.distinct_by ? `, no two stimuli sharing ${b.distinct_by}` : ''}.`);
    }
  }
  design.push(`Design seed ${protocol.design.seed}: the same protocol and seed give the same stimuli and orders.`);

  const dependentVariables = q
    .filter((x) => SCALE_ROLES.has(x.role) || x.role === 'detection' || x.role === 'boundary' || x.type === 'categorize')
    .map((x) => `${x.id} (${x.type}${x.min != null && x.max != null ? `, ${x.min}–${x.max}` : ''}; ${x.role.replace('_', ' ')}): “${x.prompt ?? x.id}”`);

  const analyses: string[] = [];
  if (scales.length) analyses.push(`For each of ${scales.map((s) => s.id).join(', ')}: every pair of conditions by Welch's t-test and by the Mann–Whitney U test (exact under 50 per group without ties, else normal with tie and continuity corrections), each family Holm-adjusted within the item, two-sided at α = ${PLANNED_ALPHA}; means with t and bootstrap 95% CIs; Cohen's d and Cliff's delta.`);
  if (q.some((x) => x.role === 'detection')) analyses.push(`Accuracy against 50% by the exact binomial test, two-sided at α = ${PLANNED_ALPHA}, with a Wilson 95% CI; d′ and c with the log-linear correction.`);
  if (q.some((x) => x.role === 'boundary')) analyses.push(`The exact-boundary rate against the mean of 1 / sentences by the exact binomial test, two-sided at α = ${PLANNED_ALPHA}.`);
  analyses.push('Anything else in the report (breakdowns by party, model size, sampling or length, detectors, calibration, agreement, the TF-IDF transfer matrix) is exploratory.');

  const ex = protocol.exclusions;
  const exclusions = [
    ex.failed_attention ? 'Participants who fail an attention check are excluded.' : 'Failed attention checks are reported, not excluded.',
    ex.timed_out_trials_max != null ? `Participants with more than ${ex.timed_out_trials_max} timed-out trials are excluded.` : 'Timed-out trials are reported, not excluded; the timed-out answers themselves are missing.',
    ex.min_rt_ms != null ? `Single answers given in under ${ex.min_rt_ms} ms are dropped.` : 'No minimum response time.',
    'Only real participants (not pilots or bots) are analysed; nobody is excluded for any other reason.',
  ];

  const perCondition = conds.map((c) => ({ condition: c.id, label: label(c.id), target: c.target ?? 0 }));
  return {
    studyId: protocol.id,
    title: protocol.title,
    version,
    hypotheses,
    design,
    dependentVariables,
    plannedTests: plannedTests(protocol),
    analyses,
    exclusions,
    sample: { total: perCondition.reduce((s, c) => s + c.target, 0), perCondition },
    power: opts.power ?? null,
    effects,
  };
}

function sampleText(plan: PreregPlan): string[] {
  const lines = [`We will stop at ${count(plan.sample.total)} participants who complete the study: ${plan.sample.perCondition.map((c) => `${c.target} in ${c.label}`).join(', ')} (the protocol's condition targets; the server assigns each arrival to the least-filled condition).`];
  if (plan.power) {
    const effects = Object.keys(plan.effects).length ? `assumed effects ${Object.entries(plan.effects).map(([c, e]) => `${c} ${e > 0 ? '+' : ''}${e}`).join(', ')}` : 'no shift assumed on the scale items (their power is then the false-positive rate)';
    lines.push(`Power by simulation (\`credence simulate\`: ${plan.power.reps} replicates through this analysis, n = ${plan.power.n}, α = ${plan.power.alpha}, ${effects}):`);
    for (const t of plan.power.tests) lines.push(`- ${t.item}, ${t.test}, ${t.comparison}: power ${t.power.toFixed(2)}`);
  } else lines.push('Power was not simulated for this document.');
  return lines;
}

/** AsPredicted-style Markdown. */
export function preregMarkdown(plan: PreregPlan): string {
  const list = (xs: string[]) => xs.map((x) => (x.startsWith('- ') ? x : `- ${x}`)).join('\n');
  return `# Preregistration: ${plan.title}

Study \`${plan.studyId}\`, protocol version \`${plan.version}\`. Generated from the protocol by \`credence prereg\`; the report of \`credence analyze\` checks the run against it.

## 1. Data collection
No data collected for this protocol version are analysed before this document is filed.

## 2. Hypotheses
${list(plan.hypotheses)}

## 3. Dependent variables
${list(plan.dependentVariables)}

## 4. Conditions and design
${list(plan.design)}

## 5. Analyses
${list(plan.analyses)}

Planned tests:
${list(plan.plannedTests.map((t) => `${t.item}: ${t.test}, ${t.comparison}`))}

## 6. Exclusions
${list(plan.exclusions)}

## 7. Sample size
${sampleText(plan).join('\n')}

## 8. Other
The protocol file's hash above fixes every stimulus, order and seed; the analysis seed is the design seed.
`;
}

/** The same document as self-contained HTML. */
export function preregHtml(plan: PreregPlan): string {
  const ul = (xs: string[]) => `<ul>${xs.map((x) => `<li>${escapeHtml(x.replace(/^- /, ''))}</li>`).join('')}</ul>`;
  const sample = sampleText(plan);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Preregistration: ${escapeHtml(plan.title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;color:#222;overflow-wrap:anywhere}code{font-size:13px}</style></head>
<body>
<h1>Preregistration: ${escapeHtml(plan.title)}</h1>
<p>Study <code>${escapeHtml(plan.studyId)}</code>, protocol version <code>${escapeHtml(plan.version)}</code>. Generated from the protocol by <code>credence prereg</code>; the report of <code>credence analyze</code> checks the run against it.</p>
<h2>1. Data collection</h2><p>No data collected for this protocol version are analysed before this document is filed.</p>
<h2>2. Hypotheses</h2>${ul(plan.hypotheses)}
<h2>3. Dependent variables</h2>${ul(plan.dependentVariables)}
<h2>4. Conditions and design</h2>${ul(plan.design)}
<h2>5. Analyses</h2>${ul(plan.analyses)}<p>Planned tests:</p>${ul(plan.plannedTests.map((t) => `${t.item}: ${t.test}, ${t.comparison}`))}
<h2>6. Exclusions</h2>${ul(plan.exclusions)}
<h2>7. Sample size</h2><p>${escapeHtml(sample[0])}</p>${sample.length > 1 ? `<p>${escapeHtml(sample[1])}</p>${ul(sample.slice(2))}` : ''}
<h2>8. Other</h2><p>The protocol file's hash above fixes every stimulus, order and seed; the analysis seed is the design seed.</p>
</body></html>
`;
}

/**
 * Whether a report table or figure (by name) is part of the plan: the
 * descriptive tables, the planned items' means and pairwise tests, the
 * detection and RoFT tests. Everything else the report shows is exploratory.
 */
export function isPlannedAnalysis(name: string): boolean {
  return /^(questions|exclusions|participant_status|scale_|pairwise_|mean_|detection_overall$|roft$)/.test(name);
}

export interface Compliance {
  /** Whether the run reached its planned sample in every condition. */
  sampleReached: boolean;
  /** Sentences for the report: sample, exclusions, tests, protocol version. */
  statements: string[];
}

/** Whether the run followed the plan its protocol implies. */
export function preregCompliance(res: AnalysisResult, plan: PreregPlan): Compliance {
  const statements: string[] = [];
  const analysed = res.sample.reduce((s, c) => s + c.analysed, 0);
  const short = res.sample.filter((c) => c.analysed < c.target);
  const sampleReached = plan.sample.total > 0 && short.length === 0;
  if (plan.sample.total === 0) statements.push('The protocol sets no condition targets, so there is no planned sample to compare with.');
  else if (sampleReached) statements.push(`Sample: the run reached its planned sample (${count(analysed)} analysed participants against ${count(plan.sample.total)} planned; every condition at or above its target).`);
  else {
    statements.push(
      `Sample: the run stopped short of its planned sample — ${count(analysed)} analysed participants of ${count(plan.sample.total)} planned (${percent(analysed / plan.sample.total)}); ${short.map((c) => `${res.conditionLabels[c.condition] ?? c.condition} ${c.analysed} of ${c.target}`).join(', ')}. The planned tests have less power than the preregistration states.`,
    );
  }
  statements.push(`Exclusions: applied as declared (${res.exclusions.reasons.filter((r) => r.applied).map((r) => r.rule).join('; ') || 'none declared'}); ${count(res.exclusions.participantsExcluded)} participants excluded.`);
  statements.push(`Tests: the ${plan.plannedTests.length} planned tests are reported as planned (two-sided, α = ${PLANNED_ALPHA}, Holm within each item); every other analysis in this report is marked exploratory.`);
  if (res.studyVersions.length > 1) statements.push(`Protocol: the run spans ${res.studyVersions.length} protocol versions (${res.studyVersions.join(', ')}); the preregistration names ${plan.version}.`);
  else if (res.studyVersions.length === 1 && res.studyVersions[0] !== plan.version) statements.push(`Protocol: the data ran on version ${res.studyVersions[0]}, not the preregistered ${plan.version}.`);
  return { sampleReached, statements };
}
