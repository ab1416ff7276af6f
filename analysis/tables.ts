// The analysis result as flat tables: the same numbers the report shows, in a
// shape that writes straight to CSV or an HTML <table>.
import type { AnalysisResult } from './analyze.ts';

export type Cell = string | number | null;

export interface Table {
  name: string;
  title: string;
  columns: string[];
  rows: Cell[][];
}

const r4 = (x: number | null | undefined): number | null => (x == null || !Number.isFinite(x) ? null : Math.round(x * 1e4) / 1e4);
const p4 = (x: number | null | undefined): number | null => (x == null || !Number.isFinite(x) ? null : x < 1e-4 ? Number(x.toPrecision(2)) : r4(x));

export function resultTables(res: AnalysisResult): Table[] {
  const t: Table[] = [];
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
        r4(c.mean),
        r4(c.sd),
        r4(c.tLower),
        r4(c.tUpper),
        r4(c.bootLower),
        r4(c.bootUpper),
        r4(c.top?.p),
        r4(c.top?.lower),
        r4(c.top?.upper),
        c.distribution.map((d) => `${d.value}:${d.count}`).join(' '),
      ]),
    });
    t.push({
      name: `pairwise_${s.questionId}`,
      title: `${s.questionId}: pairwise comparisons (Holm-adjusted within the item, per test)`,
      columns: ['a', 'b', 'difference', 'welch_t', 'welch_df', 'welch_p', 'welch_p_holm', 'mw_u', 'mw_p', 'mw_p_holm', 'cohens_d', 'cliffs_delta'],
      rows: s.pairwise.map((p) => [p.a, p.b, r4(p.difference), r4(p.welchT), r4(p.welchDf), p4(p.welchP), p4(p.welchPHolm), p.mannWhitneyU, p4(p.mannWhitneyP), p4(p.mannWhitneyPHolm), r4(p.cohensD), r4(p.cliffsDelta)]),
    });
    if (s.byParty.length) {
      t.push({
        name: `party_${s.questionId}`,
        title: `${s.questionId}: condition × party ID`,
        columns: ['condition', 'party', 'n', 'mean', 't_ci_lower', 't_ci_upper', 'top_share', 'top_ci_lower', 'top_ci_upper'],
        rows: s.byParty.map((c) => [c.condition, c.party, c.n, r4(c.mean), r4(c.tLower), r4(c.tUpper), r4(c.top?.p), r4(c.top?.lower), r4(c.top?.upper)]),
      });
    }
  }
  const d = res.detection;
  if (d) {
    t.push({
      name: 'detection_overall',
      title: 'Human detection: overall',
      columns: ['judgments', 'accuracy', 'ci_lower', 'ci_upper', 'binomial_p_vs_0.5', 'hit_rate', 'false_alarm_rate', 'd_prime', 'criterion_c', 'auroc', 'auroc_ci_lower', 'auroc_ci_upper', 'alpha_nominal', 'alpha_ordinal', 'alpha_units'],
      rows: [[d.judgments, r4(d.accuracy.p), r4(d.accuracy.lower), r4(d.accuracy.upper), p4(d.binomialP), r4(d.sdt.hitRate), r4(d.sdt.falseAlarmRate), r4(d.sdt.dPrime), r4(d.sdt.criterion), r4(d.auroc.auc), r4(d.auroc.lower), r4(d.auroc.upper), r4(d.agreementNominal?.alpha), r4(d.agreementOrdinal?.alpha), d.agreementNominal?.units ?? 0]],
    });
    t.push({
      name: 'detection_groups',
      title: 'Human detection by source, model size, sampling, length and condition',
      columns: ['group', 'value', 'n', 'accuracy', 'ci_lower', 'ci_upper', 'auroc_vs_human', 'auroc_ci_lower', 'auroc_ci_upper'],
      rows: d.groups.map((g) => [g.group, g.value, g.n, r4(g.accuracy.p), r4(g.accuracy.lower), r4(g.accuracy.upper), r4(g.auroc?.auc), r4(g.auroc?.lower), r4(g.auroc?.upper)]),
    });
    t.push({
      name: 'detection_participants',
      title: 'Per-participant accuracy',
      columns: ['participants', 'mean', 'sd', 'min', 'q25', 'median', 'q75', 'max', 'histogram'],
      rows: [[d.perParticipant.n, r4(d.perParticipant.mean), r4(d.perParticipant.sd), r4(d.perParticipant.min), r4(d.perParticipant.q25), r4(d.perParticipant.median), r4(d.perParticipant.q75), r4(d.perParticipant.max), d.perParticipant.histogram.map((h) => `${h.bin}:${h.count}`).join(' ')]],
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
      rows: det.detectors.flatMap((x) => x.groups.map((g) => [x.detector, x.metric, g.group, g.value, g.n, r4(g.accuracy.p), r4(g.accuracy.lower), r4(g.accuracy.upper), r4(g.auroc?.auc)])),
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
      rows: res.transfer.conditions.map((c, i) => [c, ...res.transfer!.accuracy[i].map(r4)]),
    });
  }
  return t;
}
