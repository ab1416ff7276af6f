// Golden headline sentences from fixed (seeded) data sets of the shipped
// studies; figure specifications whose titles and categories come from the
// protocol, with no panel over six series; the Figure 1 and 2 analogues for a
// study with detector scores; a reason beside every empty table cell.
// Regenerate the golden file after an intended change with
//   UPDATE_GOLDEN=1 node --import tsx --test test/analysis/headline-figures.test.ts
// and read its diff.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadStudy } from '../../studies/load.ts';
import { simulateDataset } from '../../analysis/simulate.ts';
import { analyzeStudy, type AnalysisInput } from '../../analysis/analyze.ts';
import { headlines } from '../../analysis/headline.ts';
import { figureSpecs, MAX_SERIES, type FigureSpec } from '../../analysis/figures.ts';
import { resultTables } from '../../analysis/tables.ts';
import { summarize } from '../../analysis/stats/describe.ts';
import { detectorScores } from './fixtures/detector-scores.ts';

const GOLDEN = new URL('./fixtures/headlines.golden.txt', import.meta.url);

function dataset(study: string, n: number, seed: number, effects: Record<string, number> = {}): AnalysisInput {
  const { protocol } = loadStudy(study);
  const d = simulateDataset(protocol, { n, seed, effects });
  return { study: protocol, participants: d.participants, responses: d.responses, stimuli: d.stimuli, scores: [] };
}

function withScores(input: AnalysisInput): AnalysisInput {
  return { ...input, scores: detectorScores(input.study.id, input.stimuli) };
}

const transferTrain = (texts: string[], labels: number[]) => {
  // A stand-in trainer (the real one is server/detectors/tfidf.ts): scores a text by its length parity, enough to fill the matrix.
  void texts;
  void labels;
  return (t: string[]) => t.map((x) => (x.length % 2 ? 0.8 : 0.2));
};

function seriesCount(spec: FigureSpec['spec']): number {
  type Color = { field?: string; type?: string };
  const s = spec as { data?: { values?: Record<string, unknown>[] }; layer?: { encoding?: { color?: Color } }[]; encoding?: { color?: Color } };
  const fields = new Set<string>();
  // A colour that is a series (nominal/ordinal), not a colour scale for values (a heatmap's quantitative fill).
  const series = (c?: Color) => c?.field && c.type !== 'quantitative';
  for (const l of s.layer ?? []) if (series(l.encoding?.color)) fields.add(l.encoding!.color!.field!);
  if (series(s.encoding?.color)) fields.add(s.encoding!.color!.field!);
  let most = 1;
  for (const f of fields) most = Math.max(most, new Set((s.data?.values ?? []).map((v) => v[f])).size);
  return most;
}

describe('headline sentences', () => {
  test('golden sentences for the shipped credibility, detection and RoFT studies', () => {
    const lines: string[] = [];
    const cases: [string, AnalysisInput][] = [
      ['kreps-credibility n=120 seed=5 gpt2_1_5b+0.5', dataset('kreps-credibility', 120, 5, { gpt2_1_5b: 0.5 })],
      ['human-or-machine n=40 seed=3 with detector scores', withScores(dataset('human-or-machine', 40, 3))],
      ['roft-boundary n=30 seed=2', dataset('roft-boundary', 30, 2)],
    ];
    for (const [name, input] of cases) {
      lines.push(`# ${name}`);
      for (const h of headlines(analyzeStudy(input))) lines.push(`${h.topic}: ${h.text}`);
    }
    const text = lines.join('\n') + '\n';
    if (process.env.UPDATE_GOLDEN) writeFileSync(GOLDEN, text);
    assert.equal(text, readFileSync(GOLDEN, 'utf8'));
  });

  test('the numbers in a sentence are the data\'s own: the mean of one condition recomputed from the rows', () => {
    const input = dataset('kreps-credibility', 120, 5, { gpt2_1_5b: 0.5 });
    const res = analyzeStudy(input);
    const values = [...input.responses].filter((r) => r.question_id === 'credible_4' && r.condition === 'gpt2_1_5b' && r.value_num != null).map((r) => r.value_num!);
    const item = res.scales.find((s) => s.questionId === 'credible_4')!;
    const c = item.conditions.find((x) => x.condition === 'gpt2_1_5b')!;
    // Exclusions may drop some rows; the sentence quotes the analysed n and mean.
    assert.ok(c.n <= values.length && c.n > 0);
    const sentence = headlines(res).find((h) => h.text.startsWith('Mean answer to “How credible is this story?”'))!.text;
    assert.ok(sentence.includes(`for GPT-2 1.5B continuation (95% CI [`), sentence);
    assert.ok(sentence.includes(`n = ${c.n})`), sentence);
    if (c.n === values.length) assert.ok(Math.abs(summarize(values).mean - c.mean) < 1e-12);
  });
});

describe('figure specifications', () => {
  test('titles are the protocol prompts, categories its condition labels with n, no panel over six series', () => {
    const input = withScores(dataset('kreps-credibility', 120, 5));
    const res = analyzeStudy(input);
    const specs = figureSpecs(res);
    const { protocol } = loadStudy('kreps-credibility');
    const mean = specs.find((f) => f.name === 'mean_credible_4')!;
    assert.equal(mean.title, 'How credible is this story?');
    const values = (mean.spec as { data: { values: { category: string }[] } }).data.values;
    for (const c of protocol.design.conditions) assert.ok(values.some((v) => v.category.startsWith(`${c.label}\n(n = `)), `${c.label} in ${values.map((v) => v.category).join(' | ')}`);
    const json = JSON.stringify(specs.map((f) => f.spec));
    assert.ok(!/"labelAngle":\s*-?(90|45)/.test(json), 'no rotated labels');
    for (const f of specs) {
      assert.ok(f.title.length > 0 && f.description.length > 0, f.name);
      assert.ok(!/^[a-z0-9_]+$/.test(f.title), `${f.name}: title is an id: ${f.title}`);
      assert.ok(seriesCount(f.spec) <= MAX_SERIES, `${f.name} has ${seriesCount(f.spec)} series`);
    }
  });

  test('a detection study with detector scores has the Figure 1 and Figure 2 analogues and a sorted AUROC dot plot', () => {
    const res = analyzeStudy(withScores(dataset('human-or-machine', 40, 3)), { train: transferTrain });
    const specs = figureSpecs(res);
    const names = specs.map((f) => f.name);
    assert.ok(names.includes('figure1_transfer'), names.join(' '));
    assert.ok(names.includes('figure2_length'), names.join(' '));
    const dots = (specs.find((f) => f.name === 'detectors_auroc')!.spec as { data: { values: { estimate: number; who: string }[] } }).data.values;
    // real_probability is read as 1 − fake_probability, not as a metric of its own (analysis/detectors.ts).
    assert.equal(dots.length, 10 + 1, 'every detector metric and the people');
    for (let i = 1; i < dots.length; i++) assert.ok(dots[i - 1].estimate >= dots[i].estimate, 'sorted by AUROC');
    const fig2 = specs.find((f) => f.name === 'figure2_length')!;
    const who = new Set((fig2.spec as { data: { values: { who: string }[] } }).data.values.map((v) => v.who));
    assert.deepEqual([...who].sort(), ['people', 'roberta (fake_probability)', 'tfidf (fake_probability)', 'zero-shot (mean_logprob)'].sort().filter((w) => who.has(w)));
    assert.ok(who.has('people') && who.size >= 3 && who.size <= MAX_SERIES);
    const heat = specs.find((f) => f.name === 'figure1_transfer')!;
    assert.match(JSON.stringify(heat.spec), /"mark":\{"type":"text"/, 'annotated cells');
  });

  test('every shipped study with detector scores: every figure titled from the protocol, described, no panel over six series', () => {
    const shipped = readdirSync(new URL('../../studies/', import.meta.url)).filter((f) => f.endsWith('.yaml')).map((f) => f.replace(/\.yaml$/, ''));
    assert.ok(shipped.length >= 4, shipped.join(' '));
    for (const id of shipped) {
      const specs = figureSpecs(analyzeStudy(withScores(dataset(id, 40, 3)), { train: transferTrain }));
      assert.ok(specs.length > 0, id);
      for (const f of specs) {
        assert.ok(f.title.length > 0 && f.description.length > 0, `${id} ${f.name}`);
        assert.ok(!/^[a-z0-9_]+$/.test(f.title), `${id} ${f.name}: title is an id: ${f.title}`);
        assert.ok(seriesCount(f.spec) <= MAX_SERIES, `${id} ${f.name} has ${seriesCount(f.spec)} series`);
      }
    }
  });
});

describe('empty cells carry their reason', () => {
  test('a study with one participant: every empty pairwise cell says n = 0 or 1 in a group', () => {
    const input = dataset('kreps-credibility', 1, 1);
    const tables = resultTables(analyzeStudy(input));
    const pairwise = tables.find((t) => t.name === 'pairwise_credible_4')!;
    assert.ok(pairwise.rows.length > 0);
    let blanks = 0;
    pairwise.rows.forEach((r, i) => r.forEach((v, j) => {
      if (v !== null) return;
      blanks++;
      assert.match(pairwise.why[i][j] ?? '', /^not estimable: n = [01] in a group$/, `${pairwise.columns[j]}: ${pairwise.why[i][j]}`);
    }));
    assert.ok(blanks > 0);
    for (const t of tables) t.rows.forEach((r, i) => r.forEach((v, j) => assert.ok(v !== null || (t.why[i][j] ?? '').length > 0, `${t.name}.${t.columns[j]}`)));
  });
});
