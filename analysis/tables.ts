// The analysis result as flat tables: the same numbers the report shows, in a
// shape that writes straight to CSV or an HTML <table>. Every empty cell
// carries the reason it is empty (`why`, beside `rows`): the HTML report
// prints it as a note under the table; the CSV leaves the cell empty.
import type { AnalysisResult } from './analyze.ts';
import type { ConditionStats, PairwiseComparison } from './credibility.ts';
import { extremeTerms } from './terms.ts';
import type { SizeTest } from './categories.ts';

export type Cell = string | number | null;

export interface Table {
  name: string;
  title: string;
  columns: string[];
  rows: Cell[][];
  /** For each empty cell (null, or a number that is not finite) the reason it is empty; null elsewhere. */
  why: (string | null)[][];
}

/** An empty cell and why it is empty, while a table is being built. */
class Blank {
  constructor(readonly reason: string) {}
}
type Draft = Omit<Table, 'rows' | 'why'> & { rows: (Cell | Blank)[][] };

const NOT_ESTIMABLE = 'not estimable';

/** Blanks become null with their reason; a null left without one gets the generic reason. */
function finish(d: Draft): Table {
  const why = d.rows.map((r) => r.map((c) => (c instanceof Blank ? c.reason : c == null || (typeof c === 'number' && !Number.isFinite(c)) ? NOT_ESTIMABLE : null)));
  const rows = d.rows.map((r) => r.map((c) => (c instanceof Blank || (typeof c === 'number' && !Number.isFinite(c)) ? null : c)));
  return { ...d, rows, why };
}

const r4 = (x: number | null | undefined): number | null => (x == null || !Number.isFinite(x) ? null : Math.round(x * 1e4) / 1e4);
const p4 = (x: number | null | undefined): number | null => (x == null || !Number.isFinite(x) ? null : x < 1e-4 ? Number(x.toPrecision(2)) : r4(x));
/** r4, or a blank with `reason` when the number is missing or not finite. */
const or = (x: number | null, reason: string): Cell | Blank => (x == null ? new Blank(reason) : x);

/** Why a mean's interval or SD is empty. */
function nReason(n: number): string {
  return n === 0 ? 'no answers' : `${NOT_ESTIMABLE}: n = ${n}`;
}

function pairwiseReasons(p: PairwiseComparison): { welch: string; mw: string; d: string } {
  const n = Math.min(p.nA, p.nB);
  const welch = n < 2 ? `${NOT_ESTIMABLE}: n = ${n} in a group` : `${NOT_ESTIMABLE}: no variance`;
  const mw = n === 0 ? `${NOT_ESTIMABLE}: n = 0 in a group` : NOT_ESTIMABLE;
  return { welch, mw, d: n < 2 ? `${NOT_ESTIMABLE}: n = ${n} in a group` : `${NOT_ESTIMABLE}: no variance` };
}

function topCells(c: ConditionStats | { top: ConditionStats['top']; n: number }): (Cell | Blank)[] {
  if (!c.top) return [new Blank('no top category on this item'), new Blank('no top category on this item'), new Blank('no top category on this item')];
  if (c.top.n === 0) return [new Blank('no answers'), new Blank('no answers'), new Blank('no answers')];
  return [r4(c.top.p), r4(c.top.lower), r4(c.top.upper)];
}

export function resultTables(res: AnalysisResult): Table[] {
  return draftTables(res).map(finish);
}

function draftTables(res: AnalysisResult): Draft[] {
  const t: Draft[] = [];
  t.push({
    name: 'questions',
    title: 'Questions and their analysis roles (explicit `analysis:` key, else id, else type; see analysis/roles.ts)',
    columns: ['question_id', 'type', 'phase', 'role'],
    rows: res.questions.map((q) => [q.id, q.type, q.phase, q.role]),
  });
  t.push({
    name: 'exclusions',
    title: 'Exclusions (flagged and applied by the protocol rule)',
    columns: ['reason', 'rule', 'applied', 'participants_flagged', 'participants_excluded', 'answers_flagged'],
    rows: res.exclusions.reasons.map((e) => [e.reason, e.rule, e.applied ? 'yes' : 'no', e.participantsFlagged, e.participantsExcluded, e.answersFlagged]),
  });
  t.push({
    name: 'participant_status',
    title: 'Participants by status',
    columns: ['status', 'participants'],
    rows: Object.entries(res.exclusions.statusCounts).map(([s, n]) => [s, n]),
  });
  for (const s of res.scales) {
    t.push({
      name: `scale_${s.questionId}`,
      title: `${s.questionId} (${s.role}): by condition`,
      columns: ['condition', 'n', 'mean', 'sd', 't_ci_lower', 't_ci_upper', 'boot_ci_lower', 'boot_ci_upper', 'top_share', 'top_ci_lower', 'top_ci_upper', 'distribution'],
      rows: s.conditions.map((c) => [
        c.condition,
        c.n,
        or(r4(c.mean), 'no answers'),
        or(r4(c.sd), nReason(c.n)),
        or(r4(c.tLower), nReason(c.n)),
        or(r4(c.tUpper), nReason(c.n)),
        or(r4(c.bootLower), c.n < 2 ? nReason(c.n) : 'bootstrap not run'),
        or(r4(c.bootUpper), c.n < 2 ? nReason(c.n) : 'bootstrap not run'),
        ...topCells(c),
        c.distribution.map((d) => `${d.value}:${d.count}`).join(' ') || new Blank('no answers'),
      ]),
    });
    t.push({
      name: `pairwise_${s.questionId}`,
      title: `${s.questionId}: pairwise comparisons (Holm-adjusted within the item, per test)`,
      columns: ['a', 'b', 'difference', 'welch_t', 'welch_df', 'welch_p', 'welch_p_holm', 'mw_u', 'mw_p', 'mw_p_holm', 'cohens_d', 'cliffs_delta'],
      rows: s.pairwise.map((p) => {
        const why = pairwiseReasons(p);
        const noDiff = Math.min(p.nA, p.nB) === 0 ? `${NOT_ESTIMABLE}: n = 0 in a group` : NOT_ESTIMABLE;
        const welchT = or(r4(p.welchT), why.welch);
        return [p.a, p.b, or(r4(p.difference), noDiff), welchT, or(r4(p.welchDf), why.welch), or(p4(p.welchP), why.welch), or(p4(p.welchPHolm), why.welch), or(r4(p.mannWhitneyU), why.mw), or(p4(p.mannWhitneyP), why.mw), or(p4(p.mannWhitneyPHolm), why.mw), or(r4(p.cohensD), why.d), or(r4(p.cliffsDelta), why.mw)];
      }),
    });
    if (s.byParty.length) {
      t.push({
        name: `party_${s.questionId}`,
        title: `${s.questionId}: condition × party ID`,
        columns: ['condition', 'party', 'n', 'mean', 't_ci_lower', 't_ci_upper', 'top_share', 'top_ci_lower', 'top_ci_upper'],
        rows: s.byParty.map((c) => [c.condition, c.party, c.n, or(r4(c.mean), 'no answers'), or(r4(c.tLower), nReason(c.n)), or(r4(c.tUpper), nReason(c.n)), ...topCells(c)]),
      });
    }
  }
  const d = res.detection;
  if (d) {
    t.push({
      name: 'detection_overall',
      title: 'Human detection: overall',
      columns: ['judgments', 'accuracy', 'ci_lower', 'ci_upper', 'binomial_p_vs_0.5', 'hit_rate', 'false_alarm_rate', 'd_prime', 'criterion_c', 'auroc', 'auroc_ci_lower', 'auroc_ci_upper', 'alpha_nominal', 'alpha_ordinal', 'alpha_units'],
      rows: (() => {
        const sdtWhy = `${NOT_ESTIMABLE}: ${d.sdt.notEstimable ?? 'infinite'}`;
        const rocWhy = d.auroc.nPositive === 0 ? `${NOT_ESTIMABLE}: no machine trials` : d.auroc.nNegative === 0 ? `${NOT_ESTIMABLE}: no human trials` : NOT_ESTIMABLE;
        const alphaWhy = d.agreementNominal ? `${NOT_ESTIMABLE}: no variation in the judgments` : 'no text judged by two or more people';
        const rate = (x: number, what: string) => or(r4(x), `${NOT_ESTIMABLE}: no ${what} trials`);
        return [[d.judgments, r4(d.accuracy.p), r4(d.accuracy.lower), r4(d.accuracy.upper), p4(d.binomialP), rate(d.sdt.hitRate, 'machine'), rate(d.sdt.falseAlarmRate, 'human'), or(r4(d.sdt.dPrime), sdtWhy), or(r4(d.sdt.criterion), sdtWhy), or(r4(d.auroc.auc), rocWhy), or(r4(d.auroc.lower), rocWhy), or(r4(d.auroc.upper), rocWhy), or(r4(d.agreementNominal?.alpha), alphaWhy), or(r4(d.agreementOrdinal?.alpha), alphaWhy), d.agreementNominal?.units ?? 0]];
      })(),
    });
    t.push({
      name: 'detection_groups',
      title: 'Human detection by source, model size, sampling, length and condition',
      columns: ['group', 'value', 'n', 'accuracy', 'ci_lower', 'ci_upper', 'auroc_vs_human', 'auroc_ci_lower', 'auroc_ci_upper'],
      rows: d.groups.map((g) => {
        const why = g.auroc ? NOT_ESTIMABLE : g.group === 'source' && g.value === 'human' ? 'human texts: no machine texts to rank' : 'group has human texts or no human texts to compare';
        return [g.group, g.value, g.n, r4(g.accuracy.p), r4(g.accuracy.lower), r4(g.accuracy.upper), or(r4(g.auroc?.auc), why), or(r4(g.auroc?.lower), why), or(r4(g.auroc?.upper), why)];
      }),
    });
    t.push({
      name: 'detection_participants',
      title: 'Per-participant accuracy',
      columns: ['participants', 'mean', 'sd', 'min', 'q25', 'median', 'q75', 'max', 'histogram'],
      rows: [[d.perParticipant.n, r4(d.perParticipant.mean), or(r4(d.perParticipant.sd), nReason(d.perParticipant.n)), r4(d.perParticipant.min), r4(d.perParticipant.q25), r4(d.perParticipant.median), r4(d.perParticipant.q75), r4(d.perParticipant.max), d.perParticipant.histogram.map((h) => `${h.bin}:${h.count}`).join(' ')]],
    });
    t.push({
      name: 'detection_calibration',
      title: 'Confidence calibration',
      columns: ['confidence', 'label', 'n', 'accuracy', 'ci_lower', 'ci_upper'],
      rows: d.calibration.map((c) => [c.confidence, c.label, c.n, r4(c.accuracy.p), r4(c.accuracy.lower), r4(c.accuracy.upper)]),
    });
  }
  const ro = res.roft;
  if (ro) {
    t.push({
      name: 'roft',
      title: 'RoFT boundary detection',
      columns: ['picks', 'exact_rate', 'ci_lower', 'ci_upper', 'chance', 'binomial_p_vs_chance', 'mean_signed_distance', 'distance_ci_lower', 'distance_ci_upper', 'mean_points', 'points_ci_lower', 'points_ci_upper'],
      rows: [[ro.picks, r4(ro.exact.p), r4(ro.exact.lower), r4(ro.exact.upper), r4(ro.chance), p4(ro.binomialP), r4(ro.signedDistance.mean), r4(ro.signedDistance.lower), r4(ro.signedDistance.upper), r4(ro.points.mean), r4(ro.points.lower), r4(ro.points.upper)]],
    });
  }
  const det = res.detectors;
  if (det) {
    t.push({
      name: 'detectors',
      title: 'Detectors: AUROC and accuracy',
      columns: ['detector', 'metric', 'model_hash', 'n', 'auroc', 'auroc_ci_lower', 'auroc_ci_upper', 'threshold', 'threshold_kind', 'accuracy', 'accuracy_ci_lower', 'accuracy_ci_upper', 'oracle_threshold', 'oracle_accuracy'],
      rows: det.detectors.map((x) => [x.detector, x.metric, x.modelHash, x.n, r4(x.auroc.auc), r4(x.auroc.lower), r4(x.auroc.upper), r4(x.threshold), x.thresholdKind, r4(x.accuracy.p), r4(x.accuracy.lower), r4(x.accuracy.upper), r4(x.oracleThreshold), r4(x.oracleAccuracy)]),
    });
    t.push({
      name: 'detector_groups',
      title: 'Detectors by model size, sampling and length',
      columns: ['detector', 'metric', 'group', 'value', 'n', 'accuracy', 'ci_lower', 'ci_upper', 'auroc_vs_human'],
      rows: det.detectors.flatMap((x) => x.groups.map((g) => [x.detector, x.metric, g.group, g.value, g.n, r4(g.accuracy.p), r4(g.accuracy.lower), r4(g.accuracy.upper), or(r4(g.auroc?.auc), g.auroc ? NOT_ESTIMABLE : 'group has human texts or no human texts to compare')])),
    });
    if (det.peopleVsDetectors.length) {
      t.push({
        name: 'people_vs_detectors',
        title: 'Per item: share saying "machine" vs detector score',
        columns: ['detector', 'metric', 'items', 'spearman_rho', 'p', 'fool_people_not_detector', 'fool_detector_not_people'],
        rows: det.peopleVsDetectors.map((p) => [p.detector, p.metric, p.items, r4(p.spearman.r), p4(p.spearman.p), p.foolPeopleNotDetector.map((m) => m.stimulus_id).join(' '), p.foolDetectorNotPeople.map((m) => m.stimulus_id).join(' ')]),
      });
    }
  }
  if (res.transfer) {
    t.push({
      name: 'tfidf_transfer',
      title: 'TF-IDF transfer: accuracy, trained on row, tested on column',
      columns: ['trained_on', ...res.transfer.conditions],
      rows: res.transfer.conditions.map((c, i) => [c, ...res.transfer!.accuracy[i].map((a, j) => or(r4(a), res.transfer!.nTest[i][j] === 0 ? 'no test texts' : NOT_ESTIMABLE))]),
    });
  }
  for (const src of res.categories?.sources ?? []) {
    const key = src.id.replace(/[^a-z0-9_-]+/gi, '_');
    t.push({
      name: `categories_${key}_shares`,
      title: `${src.title}: share of continuations in each category by model size and probe (Wilson 95% CI)${src.multiple ? '; an item may be in several categories' : ''}${src.kind === 'people' ? `; ${src.items} items labelled by their annotators' most frequent answer${src.ties ? `, ${src.ties} tied items left out` : ''}` : ''}`,
      columns: ['probe', 'model_size', 'category', 'items_in_category', 'items', 'share', 'ci_lower', 'ci_upper'],
      rows: src.shares.map((x) => [x.probe, x.size, x.category, x.x, x.n, or(r4(x.p), 'no items'), or(r4(x.lower), 'no items'), or(r4(x.upper), 'no items')]),
    });
    const testRow = (x: SizeTest) => [x.probe, x.category ?? 'all categories', x.sizes.join(' / '), x.method, or(r4(x.statistic), x.method === 'chi-square' ? NOT_ESTIMABLE : 'exact test: no statistic'), or(x.df, x.method === 'chi-square' ? NOT_ESTIMABLE : 'exact test: no df'), or(p4(x.p), 'fewer than two categories observed'), x.n];
    t.push({
      name: `categories_${key}_sizes`,
      title: `${src.title}: do model sizes differ? (chi-square test of independence; the exact test where expected counts are small)`,
      columns: ['probe', 'category', 'sizes', 'test', 'chi_square', 'df', 'p', 'items'],
      rows: src.tests.map(testRow),
    });
    t.push({
      name: `categories_${key}_pairs`,
      title: `${src.title}: pairs of sizes (Holm-adjusted within each probe${src.multiple ? ' and category' : ''})`,
      columns: ['probe', 'category', 'sizes', 'test', 'chi_square', 'df', 'p', 'items', 'p_holm'],
      rows: src.pairs.map((x) => [...testRow(x), or(p4(x.pHolm), 'fewer than two categories observed')]),
    });
    if (src.kind === 'people') {
      t.push({
        name: `categories_${key}_agreement`,
        title: `${src.title}: agreement`,
        columns: ['measure', 'value', 'ci_lower', 'ci_upper', 'n'],
        rows: [
          ['Krippendorff alpha (nominal), annotators', or(r4(src.alpha?.alpha ?? null), 'no item rated twice'), new Blank('no interval computed'), new Blank('no interval computed'), src.alpha ? src.alpha.units : new Blank('no item rated twice')],
          ...(src.kappa ? [[`Cohen kappa, people vs lexicon ${src.kappa.lexicon}`, or(r4(src.kappa.kappa), NOT_ESTIMABLE), or(r4(src.kappa.lower), NOT_ESTIMABLE), or(r4(src.kappa.upper), NOT_ESTIMABLE), src.kappa.n] as (Cell | Blank)[]] : []),
        ],
      });
    }
  }
  res.terms.forEach((c, i) => {
    const { a, b } = extremeTerms(c, c.a.tfidf.length || 20);
    t.push({
      name: `terms_${i + 1}_logodds`,
      title: `Distinctive terms, ${c.a.name} against ${c.b.name}: log-odds with an informative Dirichlet prior (α₀ = ${c.priorTotal.toLocaleString('en-US')} words); ${c.significant.a} terms with z > 1.96, ${c.significant.b} with z < −1.96`,
      columns: ['term', 'more_in', `count_${c.a.name}`, `count_${c.b.name}`, 'log_odds_ratio', 'se', 'z'],
      rows: [...a, ...b].map((x) => [x.term, x.z > 0 ? c.a.name : c.b.name, x.countA, x.countB, r4(x.delta), r4(x.se), r4(x.z)]),
    });
    const k = Math.max(c.a.tfidf.length, c.b.tfidf.length);
    const cell = (side: typeof c.a, j: number, f: (x: (typeof side.tfidf)[number]) => Cell) => (side.tfidf[j] ? f(side.tfidf[j]) : new Blank('fewer terms on this side'));
    t.push({
      name: `terms_${i + 1}_tfidf`,
      title: `Top terms by mean TF-IDF weight: ${c.a.name} (${c.a.texts} texts, ${c.a.tokens.toLocaleString('en-US')} words) and ${c.b.name} (${c.b.texts} texts, ${c.b.tokens.toLocaleString('en-US')} words)`,
      columns: ['rank', `term_${c.a.name}`, `tfidf_${c.a.name}`, `term_${c.b.name}`, `tfidf_${c.b.name}`],
      rows: Array.from({ length: k }, (_, j) => [j + 1, cell(c.a, j, (x) => x.term), cell(c.a, j, (x) => r4(x.weight)), cell(c.b, j, (x) => x.term), cell(c.b, j, (x) => r4(x.weight))]),
    });
  });
  return t;
}
