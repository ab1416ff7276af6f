// The analysis pieces on small hand-made tables whose answers can be worked
// out by hand: question roles, exclusions applied only by declared rules,
// detection counts, RoFT scoring, detector thresholds and the transfer matrix.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ProtocolSchema, type Protocol } from '../../studies/protocol.ts';
import { questionMap } from '../../analysis/roles.ts';
import { roleOf } from '../../studies/questions/index.ts';
import { analyzeStudy } from '../../analysis/analyze.ts';
import { roftPoints } from '../../analysis/roft.ts';
import { bestThreshold, transferMatrix, analyzeDetectors } from '../../analysis/detectors.ts';
import type { ParticipantRow, ResponseRow, StimulusRow } from '../../analysis/rows.ts';
import { credibilityProtocol } from './fixtures/protocols.ts';

function row(p: Partial<ResponseRow> & Pick<ResponseRow, 'participant_id' | 'question_id' | 'question_type'>): ResponseRow {
  return {
    study_id: 's',
    study_version: 'v1',
    condition: 'a',
    page_index: 0,
    page_kind: 'trial',
    block: 'b',
    trial_index: 0,
    stimulus_id: null,
    stimulus_pool: null,
    stimulus_source: null,
    model: null,
    model_size: null,
    sampling: null,
    length_words: null,
    value_json: null,
    value_num: null,
    value_text: null,
    correct: null,
    rt_ms: 10000,
    timed_out: false,
    blur_count: 0,
    submitted_at: '2026-01-01T00:00:00.000Z',
    client_id: null,
    ...p,
  };
}

function participant(id: string, condition: string, status: ParticipantRow['status'] = 'completed'): ParticipantRow {
  return { study_id: 's', study_version: 'v1', participant_id: id, condition, status, prolific_pid: null, prolific_study_id: null, prolific_session_id: null, assignment_seed: 1, started_at: '2026-01-01T00:00:00Z', ended_at: null, pages_total: 3, page_index: 3, takeovers: 0 };
}

function stim(id: string, source: 'human' | 'machine', extra: Partial<StimulusRow> = {}): StimulusRow {
  return { study_id: 's', stimulus_id: id, pool: source, source, model: null, model_size: null, sampling: null, length_words: 100, text: `${source} text ${id}`, provenance_json: null, ...extra };
}

describe('question roles', () => {
  test('by explicit key, by id, then by type', () => {
    assert.equal(roleOf({ type: 'likert', id: 'q', required: true, labels: ['a', 'b', 'c', 'd'] } as never), 'credibility_4pt');
    assert.equal(roleOf({ type: 'likert', id: 'q', required: true, labels: ['a', 'b', 'c', 'd', 'e'] } as never), 'other');
    // Roles come from the type and the protocol's `analysis:`, never from the question id.
    assert.equal(roleOf({ type: 'likert', id: 'credible_5', required: true, labels: ['a', 'b', 'c', 'd', 'e'] } as never), 'other');
    assert.equal(roleOf({ type: 'likert', id: 'x', required: true, analysis: 'credibility_4pt', labels: ['a', 'b', 'c', 'd', 'e'] } as never), 'credibility_4pt');
    assert.equal(roleOf({ type: 'slider', id: 'score', required: true, min: 0, max: 10 } as never), 'credibility_10');
    assert.equal(roleOf({ type: 'slider', id: 'score', required: true, min: 0, max: 100 } as never), 'other');
    assert.equal(roleOf({ type: 'choice', id: 'would_share', required: true } as never), 'other');
    assert.equal(roleOf({ type: 'choice', id: 'q7', required: true, analysis: 'sharing', options: ['yes', 'no'] } as never), 'sharing');
    assert.equal(roleOf({ type: 'attention', id: 'unknown-now', required: true } as never), 'attention', 'a question known only from stored rows keeps its type role');
    assert.equal(roleOf({ type: 'no-such-type', id: 'z', required: true } as never), 'other');
    assert.equal(roleOf({ type: 'choice', id: 'color', required: true } as never), 'other');
    assert.equal(roleOf({ type: 'judgment', id: 'j', required: true } as never), 'detection');
    assert.equal(roleOf({ type: 'likert', id: 'x', required: true, analysis: 'confidence', labels: ['a', 'b', 'c', 'd'] } as never), 'confidence');
  });
  test('every question of a protocol, with its phase and levels', () => {
    const m = questionMap(credibilityProtocol());
    assert.deepEqual([...m.keys()], ['credibility', 'credibility_score', 'share', 'attn', 'demo']);
    assert.equal(m.get('credibility')!.levels.length, 4);
    assert.equal(m.get('attn')!.role, 'attention');
    assert.equal(m.get('attn')!.phase, 'attention');
  });
});

describe('exclusions', () => {
  const rowsFor = (protocol: Protocol) => {
    const r: ResponseRow[] = [];
    // p1 fine; p2 fails the attention check; p3 answers one item too fast; p4 times out once.
    for (const [pid, v, rt, timedOut] of [['p1', 4, 9000, false], ['p2', 1, 9000, false], ['p3', 3, 800, false], ['p4', null, null, true]] as const) {
      r.push(row({ participant_id: pid, condition: 'original', question_id: 'credibility', question_type: 'likert', value_num: v, rt_ms: rt, timed_out: timedOut }));
      r.push(row({ participant_id: pid, condition: 'original', page_index: 1, page_kind: 'attention', question_id: 'attn', question_type: 'attention', value_text: pid === 'p2' ? 'red' : 'blue', correct: pid !== 'p2' }));
    }
    return analyzeStudy({ study: protocol, participants: ['p1', 'p2', 'p3', 'p4'].map((p) => participant(p, 'original')), responses: r, stimuli: [], scores: [] });
  };
  const mean = (res: ReturnType<typeof rowsFor>) => res.scales.find((s) => s.questionId === 'credibility')!.conditions.find((c) => c.condition === 'original')!;

  test('flagged always, applied only by the declared rule', () => {
    const flagOnly = rowsFor(credibilityProtocol({ failed_attention: false }));
    const fa = flagOnly.exclusions.reasons.find((r) => r.reason === 'failed_attention')!;
    assert.equal(fa.participantsFlagged, 1);
    assert.equal(fa.participantsExcluded, 0);
    assert.equal(flagOnly.exclusions.reasons.find((r) => r.reason === 'too_many_timeouts')!.participantsFlagged, 1);
    assert.equal(flagOnly.exclusions.timedOutAnswers, 1);
    assert.equal(mean(flagOnly).n, 3); // p1, p2, p3 (p4 timed out)
    assert.equal(mean(flagOnly).mean, (4 + 1 + 3) / 3);

    const strict = rowsFor(credibilityProtocol({ failed_attention: true, min_rt_ms: 1000, timed_out_trials_max: 0 }));
    assert.equal(strict.exclusions.participantsExcluded, 2); // p2 (attention), p4 (timeouts)
    assert.equal(strict.exclusions.reasons.find((r) => r.reason === 'too_fast')!.answersFlagged, 1);
    assert.equal(mean(strict).n, 1); // p3's too-fast answer dropped
    assert.equal(mean(strict).mean, 4);
  });
});

/** A minimal valid study whose one trial block asks one question. */
function oneQuestionStudy(question: { type: string; id: string }) {
  return ProtocolSchema.parse({
    id: 's',
    title: 't',
    pools: { h: { kind: 'fixed', items: [{ id: 'h1', text: 'x' }] } },
    design: { conditions: [{ id: 'a', target: 1 }] },
    phases: [{ kind: 'trials', blocks: [{ pools: ['h'], questions: [question] }] }],
  });
}

describe('human detection on a hand-made table', () => {
  test('accuracy, hit and false-alarm rates, calibration and per-participant accuracy', () => {
    const protocol = oneQuestionStudy({ type: 'judgment', id: 'j' });
    // (participant, stimulus, source, answer 1..4; >2 = machine)
    const data: [string, string, 'human' | 'machine', number][] = [
      ['p1', 'm1', 'machine', 4], ['p1', 'm2', 'machine', 3], ['p1', 'h1', 'human', 1], ['p1', 'h2', 'human', 3],
      ['p2', 'm1', 'machine', 2], ['p2', 'm2', 'machine', 4], ['p2', 'h1', 'human', 2], ['p2', 'h2', 'human', 1],
    ];
    const responses = data.map(([p, s, src, v]) => row({ participant_id: p, question_id: 'j', question_type: 'judgment', stimulus_id: s, stimulus_source: src, value_num: v, value_text: v > 2 ? 'machine' : 'human' }));
    const res = analyzeStudy({ study: protocol, participants: [participant('p1', 'a'), participant('p2', 'a')], responses, stimuli: [stim('m1', 'machine'), stim('m2', 'machine'), stim('h1', 'human'), stim('h2', 'human')], scores: [] });
    const d = res.detection!;
    // right: p1 m1 m2 h1 (3 of 4), p2 m2 h1 h2 (3 of 4) → 6 of 8
    assert.equal(d.accuracy.x, 6);
    assert.equal(d.accuracy.n, 8);
    // hits 3 of 4 machine, false alarms 1 of 4 human; log-linear: (3.5/5, 1.5/5)
    assert.equal(d.sdt.hitRate, 3.5 / 5);
    assert.equal(d.sdt.falseAlarmRate, 1.5 / 5);
    // binom.test(6, 8): p = 0.2891
    assert.ok(Math.abs(d.binomialP - 0.2890625) < 1e-9);
    assert.equal(d.perParticipant.mean, 0.75);
    // confidence 2 ("definitely", answers 1 or 4): p1 m1 ✓, p1 h1 ✓, p2 m2 ✓, p2 h2 ✓ → 4 of 4; "possibly": 2 of 4
    const def = d.calibration.find((c) => c.label === 'definitely')!;
    const pos = d.calibration.find((c) => c.label === 'possibly')!;
    assert.deepEqual([def.accuracy.x, def.accuracy.n, pos.accuracy.x, pos.accuracy.n], [4, 4, 2, 4]);
    // AUROC of the 4-point answer: machine {4,3,2,4} vs human {1,3,2,1}: wins 13, ties 2 → 14 / 16
    assert.equal(d.auroc.auc, 14 / 16);
    // every text judged twice: alpha over 4 units
    assert.equal(d.agreementNominal!.units, 4);
  });
});

describe('RoFT', () => {
  test('points: 5 exact, 5 − distance after, 0 before', () => {
    assert.deepEqual([roftPoints(3, 3), roftPoints(4, 3), roftPoints(9, 3), roftPoints(2, 3)], [5, 4, 0, 0]);
  });
  test('exact rate against 1 / sentences, signed distance, mean points', () => {
    const protocol = oneQuestionStudy({ type: 'boundary', id: 'b' });
    const stimuli = [stim('r1', 'machine', { boundary: 3, sentence_count: 10 }), stim('r2', 'machine', { boundary: 5, sentence_count: 10 })];
    const picks: [string, string, number][] = [['p1', 'r1', 3], ['p1', 'r2', 7], ['p2', 'r1', 2], ['p2', 'r2', 5]];
    const responses = picks.map(([p, s, g]) => row({ participant_id: p, question_id: 'b', question_type: 'boundary', stimulus_id: s, value_num: g }));
    const r = analyzeStudy({ study: protocol, participants: [participant('p1', 'a'), participant('p2', 'a')], responses, stimuli, scores: [] }).roft!;
    assert.equal(r.exact.x, 2);
    assert.equal(r.chance, 0.1);
    assert.equal(r.signedDistance.mean, (0 + 2 - 1 + 0) / 4);
    assert.equal(r.points.mean, (5 + 3 + 0 + 5) / 4);
    // binom.test(2, 4, 0.1): P(X ≥ 2) = 1 − 0.9^4 − 4·0.1·0.9^3 = 0.0523
    assert.ok(Math.abs(r.binomialP - 0.0523) < 1e-9);
  });
});

describe('detectors', () => {
  test('best threshold scans every cut', () => {
    const data = [0.1, 0.2, 0.35, 0.4, 0.6, 0.7].map((score, i) => ({ score, y: (i === 2 || i >= 4 ? 1 : 0) as 0 | 1 }));
    // cut at 0.5 → 5 of 6; cut between 0.2 and 0.35 → 5 of 6 too; the first best is kept.
    const b = bestThreshold(data);
    assert.equal(b.accuracy, 5 / 6);
    assert.ok(Math.abs(b.threshold - 0.275) < 1e-12);
  });
  test('probabilities cut at 0.5, other scores at a split-half cut; real_probability is turned around', () => {
    const stimuli = Array.from({ length: 20 }, (_, i) => stim(`s${i}`, i < 10 ? 'human' : 'machine', { model_size: i < 10 ? null : i < 15 ? '124M' : '1.5B' }));
    const scores = stimuli.flatMap((s, i) => [
      { study_id: 's', stimulus_id: s.stimulus_id, detector: 'roberta', model_hash: 'h', metric: 'real_probability', value: s.source === 'human' ? 0.8 : 0.3, scored_at: '' },
      // lower log-rank = machine: human 3.0–3.9, machine 1.0–1.9
      { study_id: 's', stimulus_id: s.stimulus_id, detector: 'zero-shot', model_hash: 'g', metric: 'mean_log_rank', value: (s.source === 'human' ? 3 : 1) + (i % 10) / 10, scored_at: '' },
    ]);
    const res = analyzeDetectors(stimuli, scores, null)!;
    const rob = res.detectors.find((d) => d.detector === 'roberta')!;
    assert.equal(rob.auroc.auc, 1);
    assert.equal(rob.accuracy.p, 1);
    assert.equal(rob.thresholdKind, 'fixed 0.5');
    const zs = res.detectors.find((d) => d.detector === 'zero-shot')!;
    assert.equal(zs.direction, -1);
    assert.equal(zs.auroc.auc, 1);
    assert.equal(zs.thresholdKind, 'split');
    assert.equal(zs.accuracy.n, 10); // evaluated on the held-out half
    assert.equal(zs.accuracy.p, 1);
    assert.deepEqual(rob.groups.filter((g) => g.group === 'model_size').map((g) => [g.value, g.n]), [['1.5B', 5], ['124M', 5]]);
  });
  test('token counts stored beside scores are not analysed as detectors; LRR and GLTR buckets have a direction', () => {
    const stimuli = Array.from({ length: 12 }, (_, i) => stim(`s${i}`, i < 6 ? 'human' : 'machine'));
    const row = (id: string, metric: string, value: number) => ({ study_id: 's', stimulus_id: id, detector: 'zero-shot', model_hash: 'g', metric, value, scored_at: '' });
    const scores = stimuli.flatMap((s, i) => [
      // Machine texts are longer here, so a token count would look like a perfect detector if it were analysed.
      row(s.stimulus_id, 'all_tokens', s.source === 'machine' ? 500 + i : 100 + i),
      row(s.stimulus_id, 'used_tokens', s.source === 'machine' ? 500 + i : 100 + i),
      row(s.stimulus_id, 'lrr', s.source === 'machine' ? 3 + i / 100 : 1 + i / 100),
      row(s.stimulus_id, 'gltr_rest', s.source === 'machine' ? 0.01 : 0.2),
    ]);
    const res = analyzeDetectors(stimuli, scores, null)!;
    assert.deepEqual(res.detectors.map((d) => d.metric).sort(), ['gltr_rest', 'lrr']);
    assert.equal(res.detectors.find((d) => d.metric === 'lrr')!.direction, 1);
    assert.equal(res.detectors.find((d) => d.metric === 'gltr_rest')!.direction, -1);
    assert.equal(res.detectors.find((d) => d.metric === 'gltr_rest')!.auroc.auc, 1);
  });
  test('TF-IDF transfer matrix: train on one condition, test on another, held-out halves', () => {
    // Machine texts of condition A say "alpha", of B say "beta"; a trainer that learns which word its machine texts use.
    const stimuli: StimulusRow[] = [
      ...Array.from({ length: 8 }, (_, i) => stim(`h${i}`, 'human', { text: `plain human words ${i}` })),
      ...Array.from({ length: 8 }, (_, i) => stim(`a${i}`, 'machine', { model_size: '124M', sampling: 'pure', text: `alpha machine ${i}` })),
      ...Array.from({ length: 8 }, (_, i) => stim(`b${i}`, 'machine', { model_size: '1.5B', sampling: 'top-k 40', text: `beta machine ${i}` })),
    ];
    const seen: number[] = [];
    const train = (texts: string[], labels: number[]) => {
      seen.push(texts.length);
      const word = texts.find((_, i) => labels[i] === 1)!.split(' ')[0];
      return (t: string[]) => t.map((x) => (x.startsWith(word) ? 0.9 : 0.1));
    };
    const m = transferMatrix(stimuli, train)!;
    assert.deepEqual(m.conditions, ['1.5B · top-k 40', '124M · pure']);
    assert.deepEqual(seen, [8, 8]); // 4 human + 4 machine in each training half
    // In-condition: all right (4 human + 4 machine); cross: machine texts missed → 4 of 8.
    assert.deepEqual(m.accuracy, [[1, 0.5], [0.5, 1]]);
  });
});

describe('wide export on a hand-made table', () => {
  test('timed-out answers leave the value empty and set the page flag; composites get one column per part', async () => {
    const { collectWide } = await import('../../analysis/export/wide-csv.ts');
    const rows = [
      row({ participant_id: 'p1', page_index: 2, question_id: 'cred', question_type: 'likert', stimulus_id: 's1', value_num: 3, value_json: '3' }),
      row({ participant_id: 'p2', page_index: 2, question_id: 'cred', question_type: 'likert', stimulus_id: 's2', timed_out: true, rt_ms: null }),
      row({ participant_id: 'p1', page_index: 5, page_kind: 'questionnaire', question_id: 'demo', question_type: 'demographics', value_json: '{"age":30,"party_id":2}', value_text: '{"age":30,"party_id":2}' }),
    ];
    const w = collectWide(rows, [participant('p1', 'a'), participant('p2', 'a')]);
    // Issue 12: every exclusion flag is a column, so rt_inconsistent follows timed_out on each page.
    assert.deepEqual(w.columns.map((c) => c.name), ['p002_stimulus_id', 'p002_cred', 'p002_rt_ms', 'p002_timed_out', 'p002_rt_inconsistent', 'p005_demo_age', 'p005_demo_party_id', 'p005_rt_ms', 'p005_timed_out', 'p005_rt_inconsistent']);
    assert.equal(w.cells.get('p1')!.get('p002_cred'), '3');
    assert.equal(w.cells.get('p2')!.get('p002_cred'), '');
    assert.equal(w.cells.get('p2')!.get('p002_timed_out'), 'TRUE');
    assert.equal(w.cells.get('p1')!.get('p005_demo_party_id'), '2');
  });
});
