// Category lexicons (issue 16 item 2): first-match and all-match on
// hand-written texts, the hash that versions the results, and the rows
// `credence score` stores beside the detector scores.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { categorize, lexiconHash, lexiconMetrics, LexiconSchema, type Lexicon } from '../../studies/lexicons.ts';
import { openStore } from '../../server/store/open.ts';
import { scoreStudy } from '../../server/detectors/score-study.ts';

const lex = (raw: unknown): Lexicon => LexiconSchema.parse(raw);

const GENDER = {
  match: 'first',
  categories: {
    male: ['he', 'him', 'man', 'men', 'boy*', '/^(mr|sir)$/'],
    female: ['she', 'her', 'woman', 'women', 'girl*', '/^(mrs|ms)$/'],
  },
};

describe('lexicon matching', () => {
  test('first match: the category matched first in the text, within the first k words', () => {
    const g = lex(GENDER);
    assert.deepEqual(categorize('Yesterday she told him the truth.', g), { first: 'female', firstAt: 1, counts: { female: 1, male: 1 } });
    assert.equal(categorize('The Girls and the boys ran.', g).first, 'female', 'prefix, any case');
    assert.equal(categorize("Mr. Smith met the woman's sister.", g).first, 'male', 'a pattern over one word; punctuation splits');
    assert.deepEqual(categorize('Nobody was there at all.', g), { first: null, firstAt: null, counts: { female: 0, male: 0 } });
    assert.equal(categorize('Herbert came.', g).first, null, 'whole words: "her" is not in "Herbert"');
    const within = lex({ ...GENDER, within_words: 3 });
    assert.equal(categorize('It was late when she arrived', within).first, null, 'she is word 5, past the first 3');
    assert.equal(categorize('It was she who arrived', within).first, 'female');
    assert.deepEqual(lexiconMetrics(categorize('then he left with her', g), g), { female: 0, male: 1 });
    assert.deepEqual(lexiconMetrics(categorize('no one', g), g), { female: 0, male: 0 });
  });

  test('all matches: how many of each category, phrases counted once', () => {
    const race = lex({
      match: 'all',
      categories: { black: ['black', 'african american'], white: ['white', 'caucasian'], asian: ['asian*'], other: ['american'] },
    });
    const r = categorize('An African-American man and a white woman met two Asians and a Black American.', race);
    // "african american" is one phrase match (not also "american"); "black american" is black then other.
    assert.deepEqual(r.counts, { asian: 1, black: 2, other: 1, white: 1 });
    assert.equal(r.first, 'black');
    assert.deepEqual(lexiconMetrics(r, race), { asian: 1, black: 2, other: 1, white: 1 });
    const windowed = lex({ match: 'all', within_words: 7, categories: race.categories });
    // Words 0–6: An African American man and a white; Asians is word 10.
    assert.deepEqual(categorize('An African-American man and a white woman met two Asians.', windowed).counts, { asian: 0, black: 1, other: 0, white: 1 });
  });

  test('at one word the longest match wins, then the alphabetically first category', () => {
    const l = lex({ categories: { b: ['new'], a: ['new'], c: ['new york'] } });
    assert.equal(categorize('in New York today', l).first, 'c');
    assert.equal(categorize('a new day', l).first, 'a');
  });

  test('the hash changes with what decides the results, not with key order or the pools it is applied to', () => {
    const base = lexiconHash(lex(GENDER));
    assert.match(base, /^[0-9a-f]{64}$/);
    assert.equal(lexiconHash(lex({ categories: { female: GENDER.categories.female, male: GENDER.categories.male }, match: 'first' })), base);
    assert.equal(lexiconHash(lex({ ...GENDER, pools: ['probes'] })), base);
    assert.notEqual(lexiconHash(lex({ ...GENDER, categories: { ...GENDER.categories, male: [...GENDER.categories.male, 'father'] } })), base);
    assert.notEqual(lexiconHash(lex({ ...GENDER, match: 'all' })), base);
    assert.notEqual(lexiconHash(lex({ ...GENDER, within_words: 10 })), base);
  });

  test('bad lexicons are refused with the reason', () => {
    const none = LexiconSchema.safeParse({ categories: { none: ['x'] } });
    assert.equal(none.success, false);
    assert.match(JSON.stringify(none.error?.issues), /reserved for \\"none of these\\"/);
    const badRe = LexiconSchema.safeParse({ categories: { a: ['/([/'] } });
    assert.equal(badRe.success, false);
    assert.match(JSON.stringify(badRe.error?.issues), /not a valid expression/);
    assert.equal(LexiconSchema.safeParse({ categories: { a: ['x'] }, match: 'some' }).success, false);
  });
});

describe('lexicon results stored beside the detector scores', () => {
  test('one row per category under the lexicon hash; a re-run skips, a changed lexicon is stored afresh', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'credence-lexicon-'));
    const store = await openStore({ db: join(dir, 'c.db') });
    try {
      const stimuli = [
        { id: 'p-0', text: 'She worked as a nurse.', source: 'machine', pool: 'p' },
        { id: 'p-1', text: 'He worked as a carpenter.', source: 'machine', pool: 'p' },
        { id: 'p-2', text: 'The cat slept.', source: 'machine', pool: 'p' },
        { id: 'h-0', text: 'She said so.', source: 'human', pool: 'h' },
      ];
      const gender = lex({ ...GENDER, pools: ['p'] });
      const first = await scoreStudy({ studyId: 's', stimuli, store, detectors: [], lexicons: { gender } });
      assert.deepEqual(first['lexicon:gender'], { modelHash: lexiconHash(gender), scored: 3, skipped: 0, rows: 6 });
      const rows = await store.detectorScores('s');
      const value = (id: string, metric: string) => rows.find((r) => r.stimulus_id === id && r.metric === metric)?.value;
      assert.deepEqual([value('p-0', 'female'), value('p-0', 'male'), value('p-1', 'male'), value('p-2', 'female'), value('p-2', 'male')], [1, 0, 1, 0, 0]);
      assert.ok(rows.every((r) => r.detector === 'lexicon:gender' && r.model_hash === lexiconHash(gender)));
      assert.ok(!rows.some((r) => r.stimulus_id === 'h-0'), 'only the pools it names');

      const again = await scoreStudy({ studyId: 's', stimuli, store, detectors: [], lexicons: { gender } });
      assert.deepEqual(again['lexicon:gender'], { modelHash: lexiconHash(gender), scored: 0, skipped: 3, rows: 0 });

      const changed = lex({ ...GENDER, pools: ['p'], match: 'all' });
      const third = await scoreStudy({ studyId: 's', stimuli, store, detectors: [], lexicons: { gender: changed } });
      assert.equal(third['lexicon:gender'].scored, 3);
      const all = await store.detectorScores('s');
      assert.equal(all.length, 12, 'the old results stay under the old hash');
      assert.deepEqual(new Set(all.map((r) => r.model_hash)), new Set([lexiconHash(gender), lexiconHash(changed)]));
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
