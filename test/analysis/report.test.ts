// End to end in process: simulated participants with a known built-in effect
// go through the whole analysis, and the report shows that effect; power
// comes out near alpha without an effect and near 1 with a large one.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { credibilityProtocol, detectionProtocol } from './fixtures/protocols.ts';
import { simulateDataset, simulatePower } from '../../analysis/simulate.ts';
import { buildReport, apaCell } from '../../analysis/report.ts';
import type { DetectorScoreRow } from '../../analysis/rows.ts';

describe('report end to end', () => {
  test('a +0.8-point credibility shift in one condition shows up in the report', async () => {
    const protocol = credibilityProtocol();
    const data = simulateDataset(protocol, { n: 900, effects: { 'gpt2-1558m': 0.8 }, seed: 5 });
    const report = await buildReport({ study: protocol, participants: data.participants, responses: data.responses, stimuli: data.stimuli, scores: [], software: 'credence test' });
    const item = report.result.scales.find((s) => s.questionId === 'credibility_score')!;
    assert.equal(item.role, 'credibility_10');
    const mean = (c: string) => item.conditions.find((x) => x.condition === c)!.mean;
    const shift = mean('gpt2-1558m') - (mean('original') + mean('gpt2-355m')) / 2;
    // Standard error of this shift at 300 per condition is about 0.12.
    assert.ok(Math.abs(shift - 0.8) < 0.3, `recovered shift ${shift}`);
    const vs = item.pairwise.find((p) => p.a === 'original' && p.b === 'gpt2-1558m')!;
    assert.ok(vs.welchPHolm < 0.01, `Welch Holm p ${vs.welchPHolm}`);
    assert.ok(vs.cohensD < -0.3, `d ${vs.cohensD}`);
    const null_ = item.pairwise.find((p) => p.a === 'original' && p.b === 'gpt2-355m')!;
    assert.ok(Math.abs(null_.difference) < 0.4, `no-effect difference ${null_.difference}`);
    // Intervals bracket their means; the bootstrap is close to the t interval at n = 300.
    for (const c of item.conditions) {
      assert.ok(c.tLower < c.mean && c.mean < c.tUpper);
      assert.ok(c.bootLower < c.mean && c.mean < c.bootUpper);
      assert.ok(Math.abs(c.bootLower - c.tLower) < 0.1 && Math.abs(c.bootUpper - c.tUpper) < 0.1);
    }
    // The same effect is in the HTML table and the figure.
    const table = report.tables.find((t) => t.name === 'pairwise_credibility_score')!;
    const row = table.rows.find((r) => r[0] === 'original' && r[1] === 'gpt2-1558m')!;
    assert.equal(row[2], Math.round(vs.difference * 1e4) / 1e4);
    // The HTML prints it as APA does (three significant digits, a true minus sign).
    assert.ok(report.html.includes(`<td class="n">${apaCell('difference', row[2] as number)}</td>`));
    assert.ok(report.figures.some((f) => f.name === 'mean_credibility_score' && f.svg.startsWith('<svg')));
    // Self-contained: no scripts, nothing fetched.
    assert.ok(!/<script/i.test(report.html));
    assert.ok(!/(src|href)="https?:/i.test(report.html));
    assert.ok(report.html.includes(report.metadata.software));
  });

  test('the 4-point item gives "% credible" with Wilson intervals and a party breakdown', async () => {
    const protocol = credibilityProtocol();
    const data = simulateDataset(protocol, { n: 300, effects: { original: 1 }, seed: 9 });
    const report = await buildReport({ study: protocol, participants: data.participants, responses: data.responses, stimuli: data.stimuli, scores: [], software: 'credence test' });
    const item = report.result.scales.find((s) => s.role === 'credibility_4pt')!;
    const orig = item.conditions.find((c) => c.condition === 'original')!;
    const other = item.conditions.find((c) => c.condition === 'gpt2-355m')!;
    assert.ok(orig.top && other.top);
    assert.ok(orig.top.p > other.top.p + 0.1, `${orig.top.p} vs ${other.top.p}`);
    assert.equal(orig.top.n, orig.n);
    assert.equal(orig.distribution.reduce((s, d) => s + d.count, 0), orig.n);
    assert.ok(item.byParty.length >= 6);
    assert.equal(item.byParty.filter((b) => b.condition === 'original').reduce((s, b) => s + b.n, 0), orig.n);
  });

  test('human detection: simulated readers above chance, detectors beside them', async () => {
    const protocol = detectionProtocol();
    const data = simulateDataset(protocol, { n: 40, detectionEffect: 0.6, seed: 2 });
    const scores: DetectorScoreRow[] = data.stimuli.map((s, i) => ({
      study_id: protocol.id,
      stimulus_id: s.stimulus_id,
      detector: 'roberta',
      model_hash: 'h',
      metric: 'real_probability',
      // A perfect detector except for one machine text it misses.
      value: s.source === 'human' ? 0.9 : i === 12 ? 0.8 : 0.1,
      scored_at: '2026-01-01T00:00:00Z',
    }));
    const report = await buildReport({ study: protocol, participants: data.participants, responses: data.responses, stimuli: data.stimuli, scores, software: 'credence test' });
    const d = report.result.detection!;
    assert.equal(d.judgments, 40 * 12);
    // P(right) = 0.5 + 0.5·tanh(0.6) = 0.7685
    assert.ok(Math.abs(d.accuracy.p - 0.7685) < 0.06, `accuracy ${d.accuracy.p}`);
    assert.ok(d.binomialP < 1e-6);
    assert.ok(d.sdt.dPrime > 1);
    assert.ok(d.agreementNominal && d.agreementNominal.units === 24);
    const det = report.result.detectors!.detectors[0];
    assert.equal(det.thresholdKind, 'fixed 0.5');
    assert.equal(det.accuracy.x, 23);
    // Detectors beside people: one dot per detector metric and one for people, sorted by AUROC.
    assert.ok(report.figures.some((f) => f.name === 'detectors_auroc'));
  });
});

describe('power by simulation', () => {
  test('power is near alpha without an effect and near 1 with a large one', () => {
    const protocol = credibilityProtocol();
    const r = simulatePower(protocol, { n: 150, effects: { 'gpt2-1558m': 1.5 }, reps: 60, seed: 3 });
    const get = (item: string, test: string, cmp: string) => r.tests.find((t) => t.item === item && t.test === test && t.comparison === cmp)!;
    const big = get('credibility_score', 'Welch t (Holm)', 'original vs gpt2-1558m');
    const none = get('credibility_score', 'Welch t (Holm)', 'original vs gpt2-355m');
    assert.ok(big.power >= 0.9, `power ${big.power}`);
    assert.ok(none.power <= 0.1, `false-positive rate ${none.power}`);
    assert.ok(Math.abs(big.meanEstimate + 1.5) < 0.3, `mean estimate ${big.meanEstimate}`);
    assert.equal(big.reps, 60);
    assert.ok(get('credibility', 'Mann–Whitney (Holm)', 'original vs gpt2-1558m').power >= 0.9);
  });
});

describe('report of a study without data', () => {
  test('renders, says so, and has no statistics to show', async () => {
    const protocol = credibilityProtocol();
    const report = await buildReport({ study: protocol, participants: [], responses: [], stimuli: [], scores: [], software: 'credence test' });
    assert.equal(report.result.responses, 0);
    assert.deepEqual(report.result.scales, []);
    assert.equal(report.result.detection, null);
    assert.ok(report.html.includes('0 rows; 0 participants'));
    assert.ok(report.figures.some((f) => f.name === 'exclusions'));
  });
});
