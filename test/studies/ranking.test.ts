// The ranking question type, end to end below the browser: a protocol asks it,
// the descriptor checks an order, bots answer with one, and the exports carry
// it — the long row as the order, the wide row as one rank column per option,
// typed in the codebook from the descriptor's own columns.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkProtocolText } from '../../studies/load.ts';
import { createRng } from '../../studies/random.ts';
import { resolveQuestion, roleOf } from '../../studies/questions/index.ts';
import { collectWide } from '../../analysis/export/wide-csv.ts';
import { codebookEntries } from '../../analysis/export/codebook.ts';
import type { ParticipantRow, ResponseRow } from '../../analysis/rows.ts';
import { FIXTURES } from '../e2e/helpers/e2e-server.ts';

const file = join(FIXTURES, 'e2e-ranking.yaml');
const loaded = () => {
  const r = checkProtocolText(readFileSync(file, 'utf8'), file);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
  return r.study.protocol;
};
const question = () => {
  const p = loaded();
  const trials = p.phases.find((ph) => ph.kind === 'trials');
  assert.ok(trials && trials.kind === 'trials');
  return trials.blocks[0].questions[0];
};

function row(p: Partial<ResponseRow>): ResponseRow {
  return {
    study_id: 'e2e-ranking', study_version: 'v1', participant_id: 'p1', condition: 'only', page_index: 1, page_kind: 'trial', block: 'rank', trial_index: 0,
    question_id: 'qualities', question_type: 'ranking', stimulus_id: 'n1', stimulus_pool: 'news', stimulus_source: 'human', model: null, model_size: null,
    sampling: null, length_words: 13, value_json: null, value_num: null, value_text: null, correct: null, rt_ms: 5000, timed_out: false, blur_count: 0,
    submitted_at: '2026-01-01T00:00:00.000Z', client_id: 'c1', ...p,
  };
}

describe('ranking question type', () => {
  test('the answer is a full order of the option values, each once', () => {
    const { descriptor, params } = resolveQuestion(question());
    const schema = descriptor.response(params);
    assert.ok(schema.safeParse(['brevity', 'clarity', 'accuracy', 'fairness']).success);
    for (const bad of [['brevity', 'clarity', 'accuracy'], ['brevity', 'brevity', 'accuracy', 'fairness'], ['brevity', 'clarity', 'accuracy', 'tone'], 'brevity', {}]) {
      assert.equal(schema.safeParse(bad).success, false, JSON.stringify(bad));
    }
    const r = schema.safeParse(['brevity', 'clarity', 'accuracy']);
    assert.ok(!r.success && /all 4 options in order/.test(r.error.issues[0].message));
  });

  test('a ranking needs at least two distinct options', () => {
    const base = readFileSync(file, 'utf8');
    const one = base.replace(/options:\n(\s+- \{ value: \w+, label: \w+ \}\n)+/, 'options: [only]\n');
    const r = checkProtocolText(one, file);
    assert.ok(!r.ok && r.problems.some((p) => /options/.test(p.path) && /at least two options/.test(p.message)), JSON.stringify(!r.ok && r.problems));
  });

  test('bots answer with a permutation, reproducibly, spread over every order', () => {
    const { descriptor, params } = resolveQuestion(question());
    const seen = new Set<string>();
    for (let seed = 1; seed <= 400; seed++) {
      const a = descriptor.botAnswer(params, { rng: createRng(seed), profile: 'attentive' });
      assert.ok(descriptor.response(params).safeParse(a).success, JSON.stringify(a));
      assert.deepEqual(descriptor.botAnswer(params, { rng: createRng(seed), profile: 'attentive' }), a);
      seen.add(a.join());
    }
    assert.equal(seen.size, 24, 'all 4! orders occur');
  });

  test('read and exported: the order as text, one rank column per option in the wide export, typed from the descriptor', () => {
    const q = question();
    const { descriptor, params } = resolveQuestion(q);
    const order = ['brevity', 'clarity', 'accuracy', 'fairness'];
    assert.deepEqual(descriptor.read(params, order), { value_num: null, value_text: 'brevity|clarity|accuracy|fairness', correct: null });
    assert.equal(roleOf(q), 'other', 'exported, not analysed, unless the protocol names a role');

    const participant: ParticipantRow = {
      study_id: 'e2e-ranking', study_version: 'v1', participant_id: 'p1', condition: 'only', status: 'completed', prolific_pid: null, prolific_study_id: null,
      prolific_session_id: null, assignment_seed: 1, started_at: '2026-01-01T00:00:00Z', ended_at: null, pages_total: 3, page_index: 3, takeovers: 0,
    };
    const wide = collectWide([row({ value_json: JSON.stringify(order), value_text: order.join('|') })], [participant]);
    const cells = wide.cells.get('p1')!;
    assert.deepEqual(
      wide.columns.filter((c) => c.question === 'qualities').map((c) => [c.name, cells.get(c.name)]),
      [['p001_qualities_brevity', '1'], ['p001_qualities_clarity', '2'], ['p001_qualities_accuracy', '3'], ['p001_qualities_fairness', '4']],
    );

    const book = codebookEntries(loaded(), wide.columns);
    const rankCols = book.filter((e) => e.file === 'wide.csv' && e.column.startsWith('p001_qualities_'));
    assert.deepEqual(rankCols.map((e) => e.type), ['number', 'number', 'number', 'number']);
    const entry = book.find((e) => e.file === 'question' && e.column === 'qualities')!;
    assert.equal(entry.type, 'ranking');
    assert.match(entry.description, /value_text: option values from first \(rank 1\) to last/);
    assert.match(entry.description, /accuracy: rank given to "Accuracy", 1 = first of 4/);
  });
});

describe('question descriptors in protocols', () => {
  const base = readFileSync(file, 'utf8');

  test('any question may name its analysis role; an unknown role is refused by name', () => {
    const named = checkProtocolText(base.replace('id: qualities\n', 'id: qualities\n            analysis: confidence\n'), file);
    assert.ok(named.ok, JSON.stringify(!named.ok && named.problems));
    const trials = named.study.protocol.phases.find((ph) => ph.kind === 'trials');
    assert.ok(trials && trials.kind === 'trials');
    assert.equal(roleOf(trials.blocks[0].questions[0]), 'confidence');

    const bad = checkProtocolText(base.replace('id: qualities\n', 'id: qualities\n            analysis: credibilty\n'), file);
    assert.ok(!bad.ok && bad.problems.some((p) => p.path.endsWith('analysis') && /credibility_4pt/.test(p.message)), JSON.stringify(!bad.ok && bad.problems));
  });

  test('a protocol cannot ask the engine-only consent question', () => {
    const r = checkProtocolText(base.replace('type: ranking', 'type: consent'), file);
    assert.ok(!r.ok && r.problems.some((p) => /added by the engine itself/.test(p.message)), JSON.stringify(!r.ok && r.problems));
  });
});
