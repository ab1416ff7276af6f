// Question-type descriptors: bot answers pass the response schema the server
// applies on every submit, malformed answers do not, and reading an answer
// gives the analysis columns.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createRng } from '../../studies/random.ts';
import { getQuestionType, questionTypes, resolveQuestion } from '../../studies/questions/index.ts';
import type { BotContext } from '../../studies/question-type.ts';
import type { Question } from '../../studies/protocol.ts';
import { loadStudy } from '../../studies/load.ts';

const q = (type: string, extra: Record<string, unknown> = {}): Question => ({ type, id: `q_${type}`, required: true, ...extra });

// Parameters as protocols write them, per type (defaults filled in by resolveQuestion).
const SAMPLES: Question[] = [
  q('likert', { labels: ['Not at all credible', 'Not very credible', 'Somewhat credible', 'Very credible'] }),
  q('slider', { min: 0, max: 10 }),
  q('slider', { min: -1, max: 1, step: 0.25 }),
  q('choice', { options: ['yes', 'maybe', 'no'] }),
  q('choice', { options: [{ value: 'fb', label: 'Facebook' }, { value: 'tw', label: 'Twitter' }, { value: 'em', label: 'E-mail' }], multiple: true, max_selected: 2 }),
  q('judgment'),
  q('text', { min_length: 10, max_length: 200 }),
  q('boundary'),
  q('demographics'),
  q('attention', { options: ['Red', 'Blue', 'Green'], expected: 'Blue' }),
  q('comprehension', { options: ['A', 'B'], expected: 'B' }),
  q('ranking', { options: ['Accuracy', 'Fairness', 'Clarity'] }),
  q('consent'),
];

const MALFORMED: Record<string, unknown[]> = {
  likert: [0, 5, 2.5, '3', null, [1]],
  slider: [-1, 11, 3.5, '7', null],
  choice: ['perhaps', ['yes'], 1, null],
  judgment: [0, 5, 1.5, 'machine', null],
  text: ['too short', 'x'.repeat(201), 42, null],
  boundary: [-1, 1.5, '2', null, 100000],
  demographics: [{ age: 17, party_id: 1, ideology: 1 }, { age: 30, party_id: 8, ideology: 1 }, { age: 30, party_id: 1 }, { age: 30, party_id: 1, ideology: 1, income: 5 }, 'x'],
  attention: ['Purple', 1, null],
  comprehension: ['C', ['B'], null],
  ranking: [['Accuracy', 'Fairness'], ['Accuracy', 'Accuracy', 'Clarity'], ['Accuracy', 'Fairness', 'Clarity', 'Other'], 'Accuracy', null],
  consent: ['yes', 1, null],
};

const passage = {
  label: { source: 'machine' as const, model: 'gpt2' },
  boundary: 3,
  sentences: ['One.', 'Two.', 'Three.', 'Four.', 'Five.', 'Six.', 'Seven.'],
};

function ctx(seed: number, profile: BotContext['profile'], extra: Partial<BotContext> = {}): BotContext {
  return { rng: createRng(seed), profile, stimulus: passage, ...extra };
}

describe('question-type descriptors', () => {
  test('the registry holds the twelve types (consent only for the engine), and rejects unknown ones', () => {
    assert.deepEqual(Object.keys(questionTypes).sort(), ['attention', 'boundary', 'categorize', 'choice', 'comprehension', 'consent', 'demographics', 'judgment', 'likert', 'ranking', 'slider', 'text']);
    assert.deepEqual(Object.keys(questionTypes).filter((t) => questionTypes[t].engineOnly), ['consent']);
    assert.throws(() => getQuestionType('likret'), /unknown question type 'likret'/);
  });

  for (const question of SAMPLES) {
    test(`${question.type} ${JSON.stringify(question).slice(0, 60)}: bot answers pass, malformed answers fail`, () => {
      const { descriptor, params } = resolveQuestion(question);
      const schema = descriptor.response(params);
      for (const profile of ['attentive', 'random', 'careless'] as const) {
        for (let seed = 1; seed <= 40; seed++) {
          const answer = descriptor.botAnswer(params, ctx(seed, profile));
          const r = schema.safeParse(answer);
          assert.ok(r.success, `${profile} bot answer ${JSON.stringify(answer)} rejected: ${!r.success && r.error.message}`);
          const read = descriptor.read(params, answer, { stimulus: passage });
          assert.ok(read.value_num === null || Number.isFinite(read.value_num));
        }
      }
      for (const bad of MALFORMED[question.type]) {
        if (question.type === 'slider' && params.step !== 1) continue;
        if (question.type === 'choice' && params.multiple) continue;
        assert.equal(schema.safeParse(bad).success, false, `${question.type} accepted ${JSON.stringify(bad)}`);
      }
      const cols = descriptor.columns(params);
      assert.ok(cols.length > 0 && cols.every((c) => c.name && c.description));
    });
  }

  test('slider: off-grid values are refused, grid values accepted', () => {
    const { descriptor, params } = resolveQuestion(q('slider', { min: -1, max: 1, step: 0.25 }));
    const s = descriptor.response(params);
    assert.equal(s.safeParse(0.75).success, true);
    assert.equal(s.safeParse(0.3).success, false);
    assert.equal(s.safeParse(1.25).success, false);
  });

  test('choice multiple: duplicates and too many picks are refused', () => {
    const { descriptor, params } = resolveQuestion(SAMPLES[4]);
    const s = descriptor.response(params);
    assert.equal(s.safeParse(['fb', 'tw']).success, true);
    assert.equal(s.safeParse(['fb', 'fb']).success, false);
    assert.equal(s.safeParse(['fb', 'tw', 'em']).success, false);
    assert.equal(s.safeParse([]).success, false);
    assert.deepEqual(descriptor.read(params, ['fb', 'em']), { value_num: 2, value_text: 'fb|em', correct: null });
  });

  test('attention: attentive bots pass, careless bots always fail, random bots sometimes fail', () => {
    const { descriptor, params } = resolveQuestion(SAMPLES[9]);
    assert.equal(descriptor.expected!(params), 'Blue');
    const rate = (profile: BotContext['profile']) => {
      let ok = 0;
      for (let s = 1; s <= 300; s++) if (descriptor.read(params, descriptor.botAnswer(params, ctx(s, profile))).correct) ok++;
      return ok / 300;
    };
    assert.equal(rate('attentive'), 1);
    assert.equal(rate('careless'), 0);
    const r = rate('random');
    assert.ok(r > 0.2 && r < 0.5, `random pass rate ${r} ≈ 1/3`);
  });

  test('comprehension: attentive bots answer as expected', () => {
    const { descriptor, params } = resolveQuestion(SAMPLES[10]);
    for (let s = 1; s <= 20; s++) assert.equal(descriptor.botAnswer(params, ctx(s, 'attentive')), 'B');
    assert.equal(descriptor.read(params, 'A').correct, false);
  });

  test('judgment: upper half means machine; correct compares with the stimulus label', () => {
    const { descriptor, params } = resolveQuestion(q('judgment'));
    assert.equal(params.labels.length, 4);
    const human = { stimulus: { label: { source: 'human' as const } } };
    const machine = { stimulus: { label: { source: 'machine' as const } } };
    assert.deepEqual(descriptor.read(params, 1, human), { value_num: 1, value_text: 'human', correct: true });
    assert.deepEqual(descriptor.read(params, 2, machine), { value_num: 2, value_text: 'human', correct: false });
    assert.deepEqual(descriptor.read(params, 3, machine), { value_num: 3, value_text: 'machine', correct: true });
    assert.equal(descriptor.read(params, 4).correct, null);
    // With a large effect, attentive bots are nearly always right; random bots about half the time.
    let right = 0;
    let randomRight = 0;
    for (let s = 1; s <= 400; s++) {
      const stim = { label: { source: (s % 2 ? 'human' : 'machine') as 'human' | 'machine' } };
      const a = descriptor.botAnswer(params, { rng: createRng(s), profile: 'attentive', stimulus: stim, effect: 3 });
      if (descriptor.read(params, a, { stimulus: stim }).correct) right++;
      const b = descriptor.botAnswer(params, { rng: createRng(s), profile: 'random', stimulus: stim });
      if (descriptor.read(params, b, { stimulus: stim }).correct) randomRight++;
    }
    assert.ok(right / 400 > 0.95, `attentive ${right / 400}`);
    assert.ok(randomRight / 400 > 0.4 && randomRight / 400 < 0.6, `random ${randomRight / 400}`);
  });

  test('likert/slider: attentive bots rate machine texts lower by the effect', () => {
    for (const question of [SAMPLES[0], SAMPLES[1]]) {
      const { descriptor, params } = resolveQuestion(question);
      const mean = (source: 'human' | 'machine') => {
        let sum = 0;
        for (let s = 1; s <= 500; s++) sum += descriptor.botAnswer(params, { rng: createRng(s), profile: 'attentive', stimulus: { label: { source } }, effect: 1 });
        return sum / 500;
      };
      const diff = mean('human') - mean('machine');
      assert.ok(diff > 0.5 && diff < 1.5, `${question.type}: human − machine = ${diff}`);
    }
  });

  test('boundary: attentive guesses are at or after the true boundary and inside the passage; correct is exact', () => {
    const { descriptor, params } = resolveQuestion(q('boundary'));
    for (let s = 1; s <= 200; s++) {
      const a = descriptor.botAnswer(params, ctx(s, 'attentive'));
      assert.ok(a >= passage.boundary && a < passage.sentences.length, String(a));
      const r = descriptor.botAnswer(params, ctx(s, 'random'));
      assert.ok(r >= 0 && r < passage.sentences.length);
    }
    assert.equal(descriptor.read(params, 3, { stimulus: passage }).correct, true);
    assert.equal(descriptor.read(params, 4, { stimulus: passage }).correct, false);
  });

  test('demographics: composite parts for the wide export', () => {
    const { descriptor, params } = resolveQuestion(q('demographics'));
    const a = descriptor.botAnswer(params, ctx(7, 'attentive'));
    assert.deepEqual(Object.keys(a).sort(), ['age', 'ideology', 'party_id']);
    assert.deepEqual(descriptor.parts!({ age: 40, party_id: 2, ideology: 3 }), { age: 40, party_id: 2, ideology: 3 });
    assert.deepEqual(descriptor.columns(params).map((c) => c.name), ['age', 'party_id', 'ideology']);
    assert.match(descriptor.columns(params)[1].description, /1 = Strong Democrat.*7 = Strong Republican/);
  });

  test('bot answers are reproducible from the seed', () => {
    for (const question of SAMPLES) {
      const { descriptor, params } = resolveQuestion(question);
      assert.deepEqual(descriptor.botAnswer(params, ctx(99, 'random')), descriptor.botAnswer(params, ctx(99, 'random')));
    }
  });

  test('every question of the shipped studies gets valid bot answers', () => {
    for (const id of ['kreps-credibility', 'human-or-machine', 'roft-boundary', 'gltr-assist']) {
      const p = loadStudy(id).protocol;
      const qs = p.phases.flatMap((ph) =>
        ph.kind === 'trials' ? [...ph.blocks.flatMap((b) => b.questions), ...ph.attention_checks.map((a) => a.question)] : 'questions' in ph ? ph.questions : [],
      );
      for (const question of qs) {
        const { descriptor, params } = resolveQuestion(question);
        for (const profile of ['attentive', 'random', 'careless'] as const) {
          const a = descriptor.botAnswer(params, ctx(3, profile));
          assert.ok(descriptor.response(params).safeParse(a).success, `${id}/${question.id}/${profile}: ${JSON.stringify(a)}`);
        }
      }
    }
  });
});
