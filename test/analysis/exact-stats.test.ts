// The numerical fixes of issue 14, each against a value computed outside
// JavaScript: fixtures/scipy-reference.json is printed by
// fixtures/scipy-reference.py (scipy), which builds the same integer-formula
// data sets this file rebuilds.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { tCdf, tQuantile, binomialPmf } from '../../analysis/stats/distributions.ts';
import { welchTTest } from '../../analysis/stats/welch.ts';
import { pearson, spearman } from '../../analysis/stats/correlation.ts';
import { mannWhitneyU } from '../../analysis/stats/rank-sum.ts';
import { auroc } from '../../analysis/stats/auroc.ts';
import { cohensD, cliffsDelta } from '../../analysis/stats/effect-size.ts';
import { sdt } from '../../analysis/stats/sdt.ts';
import { wilsonInterval } from '../../analysis/stats/wilson.ts';
import { meanTCi } from '../../analysis/stats/mean-ci.ts';

const ref = JSON.parse(readFileSync(new URL('./fixtures/scipy-reference.json', import.meta.url), 'utf8'), (_k, v) =>
  v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v,
);
const nanOf = (list: (number | null)[]) => list.map((v) => (v === null ? NaN : v));
const relClose = (actual: number, expected: number, rel: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= rel * Math.abs(expected), `${what}: expected ${expected} (±${rel} relative), got ${actual}`);

describe('t distribution at any degrees of freedom (scipy.stats.t)', () => {
  test('CDF agrees to 1e-12 relative, from df = 0.5 to 10⁹', () => {
    for (const [t, df, p] of ref.tCdf as [number, number, number][]) relClose(tCdf(t, df), p, 1e-12, `tCdf(${t}, ${df})`);
  });
  test('CDF is monotone at df = 2·10⁶ (jStat gave tCdf(−0.001) = 0.558 > tCdf(0) = 0.440)', () => {
    assert.ok(tCdf(-0.001, 2e6) < tCdf(0, 2e6));
    assert.equal(tCdf(0, 2e6), 0.5);
  });
  test('quantile agrees to 1e-12 relative', () => {
    for (const [p, df, q] of ref.tQuantile as [number, number, number][]) relClose(tQuantile(p, df), q, 1e-12, `tQuantile(${p}, ${df})`);
  });
  test('binomial mass at n = 10⁶ agrees to 1e-10 relative', () => {
    for (const [k, n, p, m] of ref.binomialPmf as [number, number, number, number][]) relClose(binomialPmf(k, n, p), m, 1e-10, `binomialPmf(${k}, ${n}, ${p})`);
  });
});

describe('tests that use the t distribution, at df ≈ 10⁶', () => {
  test('Welch on two groups of 500,000: p within 1e-8 of scipy.stats.ttest_ind(equal_var=False)', () => {
    const x = new Float64Array(500_000), y = new Float64Array(500_000);
    for (let i = 0; i < 500_000; i++) {
      x[i] = (i * 7919) % 11;
      y[i] = (i * 104729 + 3) % 11;
    }
    y.fill(10, 0, 137);
    const w = welchTTest(x, y);
    relClose(w.t, ref.welchBig.t, 1e-9, 't');
    relClose(w.df, ref.welchBig.df, 1e-9, 'df');
    assert.ok(Math.abs(w.p - ref.welchBig.p) <= 1e-8, `p ${w.p} vs scipy ${ref.welchBig.p}`);
  });
  test('Pearson on 10⁶ pairs: p within 1e-8 of scipy.stats.pearsonr', () => {
    const n = 1_000_000;
    const x = new Float64Array(n), y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      x[i] = (i * 7919) % 1009;
      // (i · 104729) mod 100003 in exact integer arithmetic (the product passes 2^53 only past i ≈ 8.6e10).
      y[i] = ((i * 104729) % 100_003) + (x[i] >= 1009 - 50 ? 300 : 0);
    }
    const r = pearson(x, y);
    relClose(r.r, ref.pearsonMillion.r, 1e-8, 'r');
    assert.ok(Math.abs(r.p - ref.pearsonMillion.p) <= 1e-8, `p ${r.p} vs scipy ${ref.pearsonMillion.p}`);
  });
  test('t interval at n = 10⁶ uses the t quantile at df = 999,999', () => {
    const values = Float64Array.from({ length: 1_000_000 }, (_, i) => i % 2);
    const ci = meanTCi(values);
    const half = ref.tQuantile.find(([p, df]: number[]) => p === 0.975 && df === 1e6)[2] as number;
    // sd = sqrt(n / (4 (n − 1))); the quantile at 999,999 and at 10⁶ differ by ~1e-12.
    const se = Math.sqrt(1_000_000 / (4 * 999_999)) / 1000;
    assert.ok(Math.abs(ci.upper - 0.5 - half * se) < 1e-10);
  });
});

describe('NaN is removed with a count, never silently ordered', () => {
  const mw = ref.mannWhitneyNaN;
  test('Mann–Whitney and AUROC agree with scipy (nan_policy="omit"), wherever the NaN stand', () => {
    const x = nanOf(mw.x), y = nanOf(mw.y);
    const a = mannWhitneyU(x, y, { exact: false });
    assert.equal(a.removed, 3);
    assert.equal(a.n1, 9);
    assert.equal(a.u, mw.u);
    relClose(a.p, mw.p, 1e-12, 'p');
    const b = mannWhitneyU([...x].reverse(), [...y].reverse(), { exact: false });
    assert.deepEqual(b, a);
    const roc = auroc(x, y);
    assert.equal(roc.removed, 3);
    relClose(roc.auc, mw.auc, 1e-12, 'auc');
    assert.deepEqual(auroc([...x].reverse(), [...y].reverse()), roc);
  });
  test('Spearman drops incomplete pairs and agrees with scipy (nan_policy="omit")', () => {
    const sp = ref.spearmanNaN;
    const r = spearman(nanOf(sp.x), nanOf(sp.y));
    assert.equal(r.removed, 2);
    assert.equal(r.n, 8);
    relClose(r.r, sp.r, 1e-12, 'rho');
    relClose(r.p, sp.p, 1e-10, 'p');
  });
  test("Cliff's delta refuses NaN, naming it", () => {
    assert.throws(() => cliffsDelta([1, NaN, 3], [2]), /value 2 is NaN/);
  });
});

describe('not estimable, infinite, refused', () => {
  test("d′ and c without signal or noise trials are not estimable (not 0)", () => {
    const noMachine = sdt({ hits: 0, misses: 0, falseAlarms: 3, correctRejections: 7 });
    assert.ok(Number.isNaN(noMachine.dPrime) && Number.isNaN(noMachine.criterion));
    assert.equal(noMachine.notEstimable, 'no machine trials');
    assert.equal(sdt({ hits: 4, misses: 1, falseAlarms: 0, correctRejections: 0 }).notEstimable, 'no human trials');
  });
  test("d′ with correction 'none' at a rate of 1 is ±∞, as scipy's norm.ppf(1) says", () => {
    assert.equal(sdt({ hits: 10, misses: 0, falseAlarms: 3, correctRejections: 7 }, 'none').dPrime, ref.sdtNone.hitRate1);
    assert.equal(sdt({ hits: 7, misses: 3, falseAlarms: 10, correctRejections: 0 }, 'none').dPrime, ref.sdtNone.faRate1);
    const both = sdt({ hits: 10, misses: 0, falseAlarms: 10, correctRejections: 0 }, 'none');
    assert.ok(Number.isNaN(both.dPrime));
    assert.match(both.notEstimable ?? '', /both 1/);
  });
  test("Cohen's d with no variance within groups is refused (NaN, not Infinity)", () => {
    assert.ok(Number.isNaN(cohensD([2, 2, 2], [1, 1, 1])));
    assert.ok(Number.isNaN(cohensD([2], [1, 1, 1])));
    assert.ok(Number.isFinite(cohensD([2, 3], [1, 1, 1])));
  });
  test('impossible counts are refused', () => {
    assert.throws(() => wilsonInterval(3, 2), /0 ≤ x ≤ n, got x=3 n=2/);
    assert.throws(() => wilsonInterval(-1, 2), /0 ≤ x ≤ n/);
    assert.throws(() => wilsonInterval(1.5, 2), /0 ≤ x ≤ n/);
    assert.throws(() => sdt({ hits: -1, misses: 2, falseAlarms: 0, correctRejections: 1 }), /hits must be a count/);
  });
});
