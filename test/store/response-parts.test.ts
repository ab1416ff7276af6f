// The participant's and stimulus's parts of the long-format rows, read once per
// study and shared by the rows (server/store/rows.ts): lookups that miss the
// study's first read (a participant who joined, a stimulus added, since) are
// read one by one, kinds not asked for are skipped, and a stimulus that is not
// there is remembered as none.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { ParticipantParts, ResponseRows, StimulusParts } from '../../server/store/rows.ts';

describe('response row parts', () => {
  test('participants: read once, one more lookup for one who joined since, kinds filtered, parts shared', () => {
    const asked: number[] = [];
    const later = [7, 'st', 'v1', 'p-late', 'real', 'b'];
    const parts = new ParticipantParts(
      [
        [1, 'st', 'v1', 'p-real', 'real', 'a'],
        [2, 'st', 'v1', 'p-bot', 'bot', 'a'],
      ],
      (key) => {
        asked.push(key);
        return key === 7 ? later : undefined;
      },
      ['real'],
    );
    const p = parts.get(1)!;
    assert.deepEqual(p, { study_id: 'st', study_version: 'v1', participant_id: 'p-real', participant_kind: 'real', condition: 'a' });
    assert.equal(parts.get(1), p, 'one object for all the participant\'s rows');
    assert.equal(parts.get(2), null, 'a bot when only real participants are asked for');
    assert.equal(parts.get(7)!.participant_id, 'p-late');
    assert.equal(parts.get(7)!.condition, 'b');
    assert.equal(parts.get(9), null);
    assert.deepEqual(asked, [7, 9], 'only the misses are looked up, each once');
    parts.get(7);
    assert.deepEqual(asked, [7, 9]);
  });

  test('stimuli: by version and id, one lookup per miss, none remembered as null', () => {
    const asked: string[] = [];
    const parts = new StimulusParts([['v1', 's1', 'pool', 'machine', 'gpt2', '124M', 'top-k', 120]], (version, id) => {
      asked.push(`${version}/${id}`);
      return id === 's2' ? [version, id, 'pool', 'human', null, null, null, 80] : undefined;
    });
    assert.deepEqual(parts.get('v1', 's1'), { pool: 'pool', source: 'machine', model: 'gpt2', model_size: '124M', sampling: 'top-k', length_words: 120 });
    assert.equal(parts.get('v2', 's1'), null, 'another version\'s stimulus is another stimulus');
    assert.deepEqual(parts.get('v1', 's2'), { pool: 'pool', source: 'human', model: null, model_size: null, sampling: null, length_words: 80 });
    assert.equal(parts.get('v1', 'gone'), null);
    parts.get('v1', 'gone');
    parts.get('v2', 's1');
    assert.deepEqual(asked, ['v2/s1', 'v1/s2', 'v1/gone']);
  });

  test('rows: the submission time as ISO text, made once per response', () => {
    const rows = new ResponseRows();
    const p = { study_id: 'st', study_version: 'v1', participant_id: 'p', participant_kind: 'real' as const, condition: 'a' };
    const answer = (q: string, at: number) => [0, 'trial', 'b', 0, q, 'likert', null, null, 3, null, 1, 900, null, 0, 0, 0, at, 'c1'];
    const a = rows.of(p, null, answer('q1', Date.UTC(2026, 0, 2)), 0);
    const b = rows.of(p, null, answer('q2', Date.UTC(2026, 0, 2)), 0);
    const c = rows.of(p, null, answer('q1', Date.UTC(2026, 0, 3)), 0);
    assert.equal(a.submitted_at, '2026-01-02T00:00:00.000Z');
    assert.equal(b.submitted_at, a.submitted_at);
    assert.equal(c.submitted_at, '2026-01-03T00:00:00.000Z');
    assert.deepEqual(
      { q: a.question_id, v: a.value_num, correct: a.correct, stim: a.stimulus_pool, rt: a.rt_ms, timedOut: a.timed_out, client: a.client_id },
      { q: 'q1', v: 3, correct: true, stim: null, rt: 900, timedOut: false, client: 'c1' },
    );
  });
});
