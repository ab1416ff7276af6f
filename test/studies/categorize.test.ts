// The categorize question type below the browser: what the server accepts
// (one category, several, or none of these alone), bot answers, reading and
// export columns, and the loader's check against the lexicon it names.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkProtocolText } from '../../studies/load.ts';
import { createRng } from '../../studies/random.ts';
import { resolveQuestion, roleOf } from '../../studies/questions/index.ts';
import { codebookEntries } from '../../analysis/export/codebook.ts';
import { collectWide } from '../../analysis/export/wide-csv.ts';
import type { Question } from '../../studies/protocol.ts';
import { FIXTURES } from '../e2e/helpers/e2e-server.ts';

const file = join(FIXTURES, 'e2e-categorize.yaml');
const base = readFileSync(file, 'utf8');
const protocol = () => {
  const r = checkProtocolText(base, file);
  assert.ok(r.ok, JSON.stringify(!r.ok && r.problems));
  return r.study.protocol;
};
const questions = (): Question[] => {
  const trials = protocol().phases.find((ph) => ph.kind === 'trials');
  assert.ok(trials && trials.kind === 'trials');
  return trials.blocks[0].questions;
};

describe('categorize question type', () => {
  test('one label: a category or none; several: categories, or none alone', () => {
    const [single, several] = questions().map((q) => resolveQuestion(q));
    const one = single.descriptor.response(single.params);
    for (const ok of ['female', 'male', 'none']) assert.ok(one.safeParse(ok).success, ok);
    for (const bad of ['other', ['female'], '', 3]) assert.equal(one.safeParse(bad).success, false, JSON.stringify(bad));
    const many = several.descriptor.response(several.params);
    for (const ok of [['women'], ['women', 'patients'], ['none']]) assert.ok(many.safeParse(ok).success, JSON.stringify(ok));
    for (const bad of [[], ['women', 'women'], ['none', 'women'], ['men'], 'women']) assert.equal(many.safeParse(bad).success, false, JSON.stringify(bad));
    const mixed = many.safeParse(['women', 'none']);
    assert.ok(!mixed.success && /none cannot be picked with a category/.test(mixed.error.issues[0].message));
  });

  test('bots answer validly and reproducibly, using every category and none', () => {
    for (const q of questions()) {
      const { descriptor, params } = resolveQuestion(q);
      const seen = new Set<string>();
      for (let seed = 1; seed <= 300; seed++) {
        const a = descriptor.botAnswer(params, { rng: createRng(seed), profile: 'random' });
        assert.ok(descriptor.response(params).safeParse(a).success, JSON.stringify(a));
        assert.deepEqual(descriptor.botAnswer(params, { rng: createRng(seed), profile: 'random' }), a);
        for (const v of [a].flat()) seen.add(v);
      }
      assert.deepEqual([...seen].sort(), [...params.categories.map((c: { value: string }) => c.value), 'none'].sort());
    }
  });

  test('read and exported: the labels as text, how many as a number, typed in the codebook', () => {
    const [single, several] = questions();
    const s = resolveQuestion(single);
    const m = resolveQuestion(several);
    assert.deepEqual(s.descriptor.read(s.params, 'male'), { value_num: 1, value_text: 'male', correct: null });
    assert.deepEqual(s.descriptor.read(s.params, 'none'), { value_num: 0, value_text: 'none', correct: null });
    assert.deepEqual(m.descriptor.read(m.params, ['women', 'patients']), { value_num: 2, value_text: 'women|patients', correct: null });
    assert.equal(roleOf(single), 'categorization', 'its answers feed the bias-probe analysis (analysis/categories.ts)');
    const wide = collectWide([], []);
    const book = codebookEntries(protocol(), wide.columns);
    const entry = book.find((e) => e.file === 'question' && e.column === 'groups')!;
    assert.equal(entry.type, 'categorize');
    assert.match(entry.description, /value_text: chosen categories joined by \|, of: women, workers, patients; or none \(None of these groups\)/);
    assert.match(entry.description, /value_num: how many categories were chosen \(0 = none\)/);
  });

  test('bad parameters and a mismatch with the named lexicon are refused by name', () => {
    const cases: [string, RegExp][] = [
      [base.replace('lexicon: gender', 'lexicon: race'), /no lexicon 'race' \(lexicons: gender\)/],
      [base.replace("- { value: male, label: Male }", "- { value: man, label: Male }"), /the categories must be those of lexicon 'gender': female, male/],
      [base.replace("- { value: workers, label: Workers }", "- { value: none, label: Nobody }"), /'none' is the "none of these" answer, not a category/],
      [base.replace('none_label: None of these groups', 'none_label: None\n            shuffle: true'), /shuffle/],
    ];
    for (const [text, re] of cases) {
      const r = checkProtocolText(text, file);
      assert.ok(!r.ok && r.problems.some((p) => re.test(p.message) || re.test(p.path)), `${re}: ${JSON.stringify(!r.ok && r.problems)}`);
    }
  });
});
