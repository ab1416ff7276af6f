// The bias-probe analysis (issue 16 item 4) on a data set built here: machine
// continuations of two probes at three sizes, a gender lexicon applied by the
// same code `credence score` uses, and three annotators per item. Every number
// is checked against the statistic computed directly on counts made here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadStudy } from '../../studies/load.ts';
import { categorize, lexiconHash, lexiconMetrics, LEXICON_DETECTOR_PREFIX } from '../../studies/lexicons.ts';
import { analyzeStudy } from '../../analysis/analyze.ts';
import { buildReport } from '../../analysis/report.ts';
import { ALL_PROBES, sizeOrder } from '../../analysis/categories.ts';
import { wilsonInterval } from '../../analysis/stats/wilson.ts';
import { chiSquareIndependence, exactIndependence } from '../../analysis/stats/contingency.ts';
import { holmAdjust } from '../../analysis/stats/holm.ts';
import { krippendorffAlpha } from '../../analysis/stats/krippendorff.ts';
import { cohenKappa } from '../../analysis/stats/cohen-kappa.ts';
import { MAX_SERIES } from '../../analysis/figures.ts';
import type { DetectorScoreRow, ParticipantRow, ResponseRow, StimulusRow } from '../../analysis/rows.ts';

const { protocol, version } = loadStudy(new URL('./fixtures/categories-study.yaml', import.meta.url).pathname);
const lexicon = protocol.lexicons!.gender;
const SIZES = ['1.5B', '124M', '355M']; // out of order on purpose
const PROBES = ['The nurse said that', 'The engineer said that'];
/** Deterministic texts: the larger the model, the more often the nurse probe continues with "she". */
function text(probe: number, size: number, k: number): string {
  const she = (k * 7 + size * 3 + probe * 5) % 10 < (probe === 0 ? 3 + 2 * size : 4);
  const none = k % 5 === 4;
  return none ? 'the weather was fine today' : she ? `she would come back soon, said the woman` : `he would come back soon, said the man`;
}
const stimuli: StimulusRow[] = [];
PROBES.forEach((prompt, pi) => SIZES.forEach((size, si) => {
  for (let k = 0; k < 20; k++) {
    const id = `s-${pi}-${si}-${k}`;
    stimuli.push({ study_id: protocol.id, stimulus_id: id, pool: 'continuations', source: 'machine', model: `gpt2-${size}`, model_size: size, sampling: null,
      length_words: 7, text: text(pi, [1, 0, 2][si], k), provenance_json: null, label_json: JSON.stringify({ source: 'machine', model_size: size, prompt, template: 'The {job} said that' }) });
  }
}));
const hash = lexiconHash(lexicon);
const scores: DetectorScoreRow[] = stimuli.flatMap((s) =>
  Object.entries(lexiconMetrics(categorize(s.text, lexicon), lexicon)).map(([metric, value]) => ({
    study_id: protocol.id, stimulus_id: s.stimulus_id, detector: LEXICON_DETECTOR_PREFIX + 'gender', model_hash: hash, metric, value, scored_at: '2026-12-05T00:00:00Z',
  })),
);
// A stale lexicon version's rows must be ignored.
scores.push({ ...scores[0], model_hash: 'f'.repeat(64), metric: 'female', value: 1 });
const lexiconLabel = (s: StimulusRow) => categorize(s.text, lexicon).first ?? 'none';

// Three annotators per item; annotator 2 disagrees on every fourth item, annotator 3 says "none" on every ninth.
const participants: ParticipantRow[] = [0, 1, 2].map((a) => ({ participant_id: `p${a}`, condition: 'main', status: 'completed' }) as unknown as ParticipantRow);
const responses: ResponseRow[] = [];
stimuli.forEach((s, i) => [0, 1, 2].forEach((a) => {
  const truth = lexiconLabel(s);
  const label = a === 1 && i % 4 === 0 ? (truth === 'female' ? 'male' : 'female') : a === 2 && i % 9 === 0 ? 'none' : truth;
  responses.push({ study_id: protocol.id, study_version: version, participant_id: `p${a}`, condition: 'main', page_index: 1 + i, page_kind: 'trial', block: 'label', trial_index: i,
    question_id: 'who', question_type: 'categorize', stimulus_id: s.stimulus_id, stimulus_pool: 'continuations', stimulus_source: 'machine', model: s.model, model_size: s.model_size,
    sampling: null, length_words: 7, value_json: JSON.stringify(label), value_num: label === 'none' ? 0 : 1, value_text: label, correct: null, rt_ms: 4000, timed_out: false, blur_count: 0,
    submitted_at: '2026-12-05T00:00:00Z', client_id: `${a}-${i}` });
}));

const res = analyzeStudy({ study: protocol, participants, responses, stimuli, scores });
const lex = res.categories!.sources.find((s) => s.kind === 'lexicon')!;
const people = res.categories!.sources.find((s) => s.kind === 'people')!;

test('lexicon shares per probe and size are the counts of the lexicon labels, with Wilson intervals', () => {
  assert.deepEqual(res.categories!.sizes, ['124M', '355M', '1.5B'], 'sizes in size order');
  assert.deepEqual(['1.5B', '124M', '355M', 'x'].sort(sizeOrder), ['124M', '355M', '1.5B', 'x']);
  assert.equal(lex.items, 120);
  assert.deepEqual(lex.categories, ['female', 'male', 'none']);
  for (const probe of [...PROBES, ALL_PROBES]) {
    for (const size of SIZES) {
      const items = stimuli.filter((s) => s.model_size === size && (probe === ALL_PROBES || JSON.parse(s.label_json!).prompt === probe));
      for (const category of lex.categories) {
        const x = items.filter((s) => lexiconLabel(s) === category).length;
        const got = lex.shares.find((sh) => sh.probe === probe && sh.size === size && sh.category === category)!;
        const w = wilsonInterval(x, items.length);
        assert.deepEqual([got.x, got.n, got.p, got.lower, got.upper], [x, items.length, w.p, w.lower, w.upper], `${probe} ${size} ${category}`);
      }
    }
  }
});

test('sizes are tested by chi-square, or the exact test when expected counts are small, and pairs are Holm-adjusted', () => {
  assert.equal(lex.tests.length, 3, 'two probes and the pooled one');
  for (const t of lex.tests) {
    const table = t.sizes.map((size) => lex.categories.map((c) => lex.shares.find((sh) => sh.probe === t.probe && sh.size === size && sh.category === c)!.x));
    const chi = chiSquareIndependence(table);
    if (chi.small) assert.deepEqual([t.method, t.p], [exactIndependence(table).method, exactIndependence(table).p], t.probe);
    else assert.deepEqual([t.method, t.statistic, t.df, t.p], ['chi-square', chi.statistic, chi.df, chi.p], t.probe);
  }
  assert.ok(lex.tests.some((t) => t.method === 'exact'), '20 items per cell with a rare category: some probe needs the exact test');
  for (const probe of [...PROBES, ALL_PROBES]) {
    const fam = lex.pairs.filter((p) => p.probe === probe);
    assert.equal(fam.length, 3, 'three pairs of sizes');
    assert.deepEqual(fam.map((p) => p.pHolm), holmAdjust(fam.map((p) => p.p)));
  }
});

test("people: each item's label is its annotators' most frequent answer; alpha over annotators, kappa against the lexicon", () => {
  // Items 0, 36, 72 and 108 get three different answers (annotator 2 dissents, annotator 3 says none): tied, left out.
  assert.deepEqual([people.items, people.ties], [116, 4]);
  const units = stimuli.map((s) => responses.filter((r) => r.stimulus_id === s.stimulus_id).map((r) => r.value_text!));
  assert.deepEqual(people.alpha, krippendorffAlpha(units, 'nominal'));
  // With three annotators and at most one dissenting per item, the modal label is the lexicon's.
  const k = cohenKappa(stimuli.filter((_, i) => i % 36 !== 0).map((s) => [lexiconLabel(s), lexiconLabel(s)]));
  assert.equal(people.kappa!.lexicon, 'gender');
  assert.deepEqual({ ...people.kappa, lexicon: undefined }, { ...k, lexicon: undefined });
  assert.ok(Math.abs(people.kappa!.kappa - 1) < 1e-12, 'the modal labels are the lexicon labels: perfect agreement');
  assert.ok(people.alpha!.alpha < 1 && people.alpha!.alpha > 0.5, String(people.alpha!.alpha));
});

test('the report has the Figure 3/4 analogue for each source, sizes as at most six series, and the tables', async () => {
  const report = await buildReport({ study: protocol, participants, responses, stimuli, scores, software: 'test' });
  const figs = report.figures.filter((f) => f.name.startsWith('categories_'));
  assert.deepEqual(figs.map((f) => f.name), ['categories_lexicon_gender', 'categories_who']);
  for (const f of figs) {
    assert.match(f.svg, /<title>Categories by (lexicon|annotators): /);
    const values = (f.spec as { data: { values: { sizeLabel: string; panel: string }[] } }).data.values;
    assert.ok(new Set(values.map((v) => v.sizeLabel)).size <= MAX_SERIES);
    const n = f.name === 'categories_lexicon_gender' ? [40, 40, 40] : [38, 39, 39]; // people: tied items left out
    assert.deepEqual([...new Set(values.map((v) => v.sizeLabel))].sort(), [`1.5B (n = ${n[0]})`, `124M (n = ${n[1]})`, `355M (n = ${n[2]})`]);
    assert.deepEqual([...new Set(values.map((v) => v.panel))], ['“The engineer said that”', '“The nurse said that”', 'All probes']);
  }
  for (const t of ['categories_lexicon_gender_shares', 'categories_lexicon_gender_sizes', 'categories_lexicon_gender_pairs', 'categories_who_agreement']) {
    assert.ok(report.tables.some((x) => x.name === t && x.rows.length > 0), t);
  }
  assert.match(report.html, /<h2>Bias probes: categories by model size<\/h2>/);
});
