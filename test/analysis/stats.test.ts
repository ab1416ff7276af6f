// Every statistic against published reference values (R outputs, textbook
// worked examples) or a small case worked by hand in the comments.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { wilsonInterval } from '../../analysis/stats/wilson.ts';
import { meanTCi, meanBootstrapCi, binomialDraw } from '../../analysis/stats/mean-ci.ts';
import { welchTTest } from '../../analysis/stats/welch.ts';
import { mannWhitneyU, rankSumCore, rankSumSorted } from '../../analysis/stats/rank-sum.ts';
import { holmAdjust } from '../../analysis/stats/holm.ts';
import { cohensD, cliffsDelta } from '../../analysis/stats/effect-size.ts';
import { binomialTest } from '../../analysis/stats/binomial-test.ts';
import { sdt } from '../../analysis/stats/sdt.ts';
import { auroc, delong } from '../../analysis/stats/auroc.ts';
import { levelsOf } from '../../analysis/stats/levels.ts';
import { krippendorffAlpha } from '../../analysis/stats/krippendorff.ts';
import { pearson, spearman } from '../../analysis/stats/correlation.ts';
import { createRng } from '../../studies/random.ts';

const close = (actual: number, expected: number, tol: number, what = '') =>
  assert.ok(Math.abs(actual - expected) <= tol, `${what} expected ${expected} ± ${tol}, got ${actual}`);

// R's `sleep` data set, the classic example of t.test and wilcox.test.
const sleep1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0];
const sleep2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4];

describe('Wilson interval', () => {
  test('Newcombe (1998) / Brown, Cai & DasGupta example: 81 of 263', () => {
    const w = wilsonInterval(81, 263);
    close(w.lower, 0.2553, 5e-5, 'lower');
    close(w.upper, 0.3662, 5e-5, 'upper');
  });
  test('Newcombe (1998) Table I: 15 of 148 → 0.0624–0.1605, 0 of 20 → 0–0.1611', () => {
    const a = wilsonInterval(15, 148);
    close(a.lower, 0.0624, 5e-5);
    close(a.upper, 0.1605, 5e-5);
    const b = wilsonInterval(0, 20);
    assert.equal(b.lower, 0);
    close(b.upper, 0.1611, 5e-5);
  });
});

describe('mean intervals', () => {
  test('t interval matches R t.test(sleep group 1): [-0.5297804, 2.0297804]', () => {
    const ci = meanTCi(sleep1);
    close(ci.mean, 0.75, 1e-12);
    close(ci.lower, -0.5297804, 1e-6);
    close(ci.upper, 2.0297804, 1e-6);
  });
  test('bootstrap interval is seeded, brackets the mean, and approaches the t interval for large n', () => {
    const rng = createRng(7);
    const values = Array.from({ length: 4000 }, () => 1 + rng.int(4)); // a 4-point item
    const a = meanBootstrapCi(values, { seed: 3 });
    const b = meanBootstrapCi(values, { seed: 3 });
    assert.deepEqual(a, b);
    const t = meanTCi(values);
    assert.ok(a.lower < a.mean && a.mean < a.upper);
    close(a.lower, t.lower, 0.01, 'lower');
    close(a.upper, t.upper, 0.01, 'upper');
    // Continuous data goes through the plain resampling path.
    const cont = Array.from({ length: 500 }, () => rng.next());
    const c = meanBootstrapCi(cont, { seed: 1, resamples: 1000 });
    const tc = meanTCi(cont);
    close(c.lower, tc.lower, 0.006);
    close(c.upper, tc.upper, 0.006);
  });
  test('binomial draws by inversion have the right mean and variance', () => {
    const rng = createRng(11);
    const n = 5000, p = 0.3, reps = 4000;
    let s = 0, s2 = 0;
    for (let i = 0; i < reps; i++) {
      const x = binomialDraw(n, p, rng);
      s += x;
      s2 += x * x;
    }
    const mean = s / reps;
    const v = s2 / reps - mean * mean;
    close(mean, n * p, 3 * Math.sqrt((n * p * (1 - p)) / reps) + 0.5, 'mean');
    close(v, n * p * (1 - p), 0.1 * n * p * (1 - p), 'variance');
  });
});

describe('two-sample tests', () => {
  test('Welch t-test matches R t.test(extra ~ group, sleep): t = -1.8608, df = 17.776, p = 0.07939', () => {
    const r = welchTTest(sleep1, sleep2);
    close(r.t, -1.8608, 5e-5);
    close(r.df, 17.776, 5e-4);
    close(r.p, 0.07939, 5e-6);
  });
  test('Mann–Whitney matches R wilcox.test(extra ~ group, sleep): W = 25.5, p = 0.06933', () => {
    const r = mannWhitneyU(sleep1, sleep2);
    assert.equal(r.u, 25.5);
    close(r.p, 0.06933, 5e-6);
  });
  test('Mann–Whitney without ties, no continuity correction, by hand', () => {
    // x = 1,2,3 vs y = 4,5,6: U = 0, mu = 4.5, sigma = sqrt(9*7/12) = 2.2913; z = -1.9640.
    const r = mannWhitneyU([1, 2, 3], [4, 5, 6], { continuity: false, exact: false });
    assert.equal(r.u, 0);
    close(r.z, -4.5 / Math.sqrt(63 / 12), 1e-12);
    close(r.p, 0.04953, 5e-5);
  });
  test('exact Mann–Whitney for small samples without ties: R wilcox.test(1:3, 4:6) gives W = 0, p = 0.1', () => {
    const r = mannWhitneyU([1, 2, 3], [4, 5, 6]);
    assert.ok(r.exact);
    close(r.p, 0.1, 1e-12);
  });
  test('exact Mann–Whitney against a brute-force count over every split', () => {
    const x = [1.1, 2.2, 3.3, 4.4, 8.5];
    const y = [0.5, 2.5, 5, 6, 7, 9.1];
    const r = mannWhitneyU(x, y);
    assert.ok(r.exact);
    // Every way of choosing which 5 of the 11 pooled ranks belong to x.
    const uOf = (ranks: number[]) => ranks.reduce((s, v) => s + v, 0) - (5 * 6) / 2;
    const us: number[] = [];
    const pick = (start: number, chosen: number[]) => {
      if (chosen.length === 5) return void us.push(uOf(chosen));
      for (let k = start; k <= 11; k++) pick(k + 1, [...chosen, k]);
    };
    pick(1, []);
    assert.equal(us.length, 462);
    const lower = us.filter((u) => u <= r.u).length / us.length;
    const upper = us.filter((u) => u >= r.u).length / us.length;
    close(r.p, Math.min(1, 2 * Math.min(lower, upper)), 1e-12);
    // Ties switch to the normal approximation, as in R.
    assert.ok(!mannWhitneyU([1, 2, 2], [3, 4]).exact);
  });
  test('Holm adjustment as R p.adjust(c(.01,.02,.03,.04,.05), "holm") and with unsorted input', () => {
    const adj = holmAdjust([0.01, 0.02, 0.03, 0.04, 0.05]);
    [0.05, 0.08, 0.09, 0.09, 0.09].forEach((e, i) => close(adj[i], e, 1e-12));
    const b = holmAdjust([0.04, 0.001, 0.5]);
    // sorted 0.001*3 = 0.003, 0.04*2 = 0.08, 0.5*1 → max(0.08, 0.5) = 0.5
    [0.08, 0.003, 0.5].forEach((e, i) => close(b[i], e, 1e-12));
  });
  test("Cohen's d and Cliff's delta by hand", () => {
    // x = 2,4,6 (mean 4, var 4), y = 1,2,3 (mean 2, var 1): pooled sd = sqrt(2.5), d = 2 / 1.5811 = 1.2649.
    close(cohensD([2, 4, 6], [1, 2, 3]), 2 / Math.sqrt(2.5), 1e-12);
    // pairs x>y: 2>1 (1), 2=2 tie, 4,6 > all (6) → 7 greater, 1 less (2<3), 1 tie: delta = (7 − 1)/9.
    close(cliffsDelta([2, 4, 6], [1, 2, 3]), 6 / 9, 1e-12);
  });
});

describe('exact binomial test', () => {
  test('R binom.test(682, 925, p = 3/4): p = 0.3825', () => {
    close(binomialTest(682, 925, 0.75).p, 0.3825, 5e-5);
  });
  test('R binom.test(7, 10): p = 0.3438; binom.test(2, 20, 0.3) by hand (asymmetric tails)', () => {
    close(binomialTest(7, 10).p, 0.34375, 1e-9);
    // d = P(X = 2) = 0.027846; the upper outcomes no more likely are X ≥ 11 (P(10) = 0.0308 > d):
    // P(X ≤ 2) + P(X ≥ 11) = 0.035483 + 0.017145 = 0.052628.
    close(binomialTest(2, 20, 0.3).p, 0.0526279, 1e-6);
  });
  test('refuses impossible counts', () => {
    assert.throws(() => binomialTest(11, 10), /0 ≤ x ≤ n/);
  });
});

describe('signal detection', () => {
  test("d′ and c without correction: H = Φ(1), F = Φ(−1) gives d′ = 2, c = 0; H = .9772 (z = 2), F = .5 gives d′ = 2, c = −1", () => {
    const a = sdt({ hits: 841345, misses: 158655, falseAlarms: 158655, correctRejections: 841345 }, 'none');
    close(a.dPrime, 2, 1e-4);
    close(a.criterion, 0, 1e-9);
    const b = sdt({ hits: 977250, misses: 22750, falseAlarms: 500000, correctRejections: 500000 }, 'none');
    close(b.dPrime, 2, 1e-4);
    close(b.criterion, -1, 1e-4);
  });
  test('Stanislaw & Todorov (1999) style example: H = 0.8, F = 0.3 → d′ = 1.366, c = −0.159', () => {
    const r = sdt({ hits: 8, misses: 2, falseAlarms: 3, correctRejections: 7 }, 'none');
    close(r.dPrime, 0.8416212 + 0.5244005, 1e-6);
    close(r.criterion, -(0.8416212 - 0.5244005) / 2, 1e-6);
  });
  test('log-linear correction (Hautus 1995) keeps perfect rates finite: 10/10 hits, 2/10 FA', () => {
    const r = sdt({ hits: 10, misses: 0, falseAlarms: 2, correctRejections: 8 }, 'loglinear-when-extreme');
    assert.ok(r.corrected);
    close(r.hitRate, 10.5 / 11, 1e-12);
    close(r.falseAlarmRate, 2.5 / 11, 1e-12);
    // z(0.954545) = 1.69062, z(0.227273) = −0.747859
    close(r.dPrime, 1.69062 + 0.747859, 1e-4);
    assert.ok(!sdt({ hits: 8, misses: 2, falseAlarms: 3, correctRejections: 7 }, 'loglinear-when-extreme').corrected);
  });
});

describe('AUROC', () => {
  test('hand-computed with ties', () => {
    // positives 0.9, 0.8, 0.5; negatives 0.5, 0.3.
    // pairs: .9>.5,.9>.3,.8>.5,.8>.3,.5=.5 (½),.5>.3 → 5.5 of 6.
    const a = auroc([0.9, 0.8, 0.5], [0.5, 0.3]);
    close(a.auc, 5.5 / 6, 1e-12);
    assert.ok(a.lower <= a.auc && a.auc <= a.upper);
  });
  test('DeLong variance by hand, with a tie', () => {
    // Placements: positives 0.9 → 1, 0.8 → 1, 0.5 → (1 + ½)/2 = 0.75; negatives 0.5 → (2 + ½)/3, 0.3 → 1.
    // S10 = (2·(1/12)² + (1/6)²)/2 = 0.0208333, S01 = (1/12)² + (1/12)² = 0.0138889;
    // Var = S10/3 + S01/2 = 0.0138889 → SE = 0.1178511.
    const a = auroc([0.9, 0.8, 0.5], [0.5, 0.3]);
    assert.equal(a.method, 'delong');
    close(a.se, Math.sqrt(0.0208333 / 3 + 0.0138889 / 2), 1e-6);
    close(a.se, 0.1178511, 1e-6);
    close(a.lower, 5.5 / 6 - 1.959964 * 0.1178511, 1e-5);
    assert.equal(a.upper, 1);
  });
  test('Hanley & McNeil (1982) standard error by hand: A = 0.8 with 50 and 50 cases', () => {
    // 40 positives score 1, 10 score 0; 10 negatives score 1, 40 score 0.
    // wins: 40·40 = 1600, ties 40·10 + 10·40 = 800 → 400, total 2000 / 2500 = 0.8.
    const pos = Array.from({ length: 50 }, (_, i) => (i < 40 ? 1 : 0));
    const neg = Array.from({ length: 50 }, (_, i) => (i < 10 ? 1 : 0));
    const a = auroc(pos, neg, 0.95, 'hanley-mcneil');
    close(a.auc, 0.8, 1e-12);
    // Q1 = 0.8/1.2 = 0.66667, Q2 = 1.28/1.8 = 0.71111;
    // SE² = (0.16 + 49(0.66667 − 0.64) + 49(0.71111 − 0.64)) / 2500 = 4.95111 / 2500 → SE = 0.044502
    close(a.se, 0.044502, 1e-6);
    close(a.lower, 0.8 - 1.959964 * 0.0445022, 1e-6);
  });
});

describe('rank statistics over a scale\'s levels', () => {
  // Answers on a scale take a few values: rankSumCore and the DeLong AUROC walk
  // the levels instead of sorting, and must give the sorting path's numbers bit for bit.
  test('levels: distinct values ascending with each sample\'s counts; −0 and 0 are one; too many is null', () => {
    const l = levelsOf([3, 1, 3, -0], [0, 2, 3])!;
    assert.deepEqual([...l.values], [0, 1, 2, 3]);
    assert.deepEqual([...l.countX], [1, 1, 0, 2]);
    assert.deepEqual([...l.countY], [1, 0, 1, 1]);
    assert.equal(levelsOf([1, 2, 3], [4, 5], 4), null);
  });

  test('rankSumCore and the DeLong AUROC equal the sorting path exactly on scale data', () => {
    const rng = createRng(21);
    for (const [n1, n2, points] of [[1, 1, 2], [7, 3, 4], [2000, 3100, 4], [5000, 800, 11], [300, 300, 7]]) {
      const x = Array.from({ length: n1 }, () => 1 + rng.int(points));
      const y = Array.from({ length: n2 }, () => 1 + Math.min(points - 1, rng.int(points) + rng.int(2)));
      assert.ok(levelsOf(x, y), 'the fast path is taken');
      assert.deepEqual(rankSumCore(x, y), rankSumSorted(x, y));
      const roc = auroc(x, y);
      const sorted = delong(x, y);
      assert.equal(roc.auc, sorted.a);
      assert.equal(roc.se, Math.sqrt(Math.max(0, sorted.variance)));
    }
  });
});

describe("Krippendorff's alpha", () => {
  // Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C:
  // 4 observers, 12 units, missing data. Published: nominal 0.743, ordinal 0.815, interval 0.849.
  const A = [1, 2, 3, 3, 2, 1, 4, 1, 2, null, null, null];
  const B = [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, null, 3];
  const C = [null, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, null];
  const D = [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, null];
  const units = A.map((_, u) => [A[u], B[u], C[u], D[u]].filter((v): v is number => v !== null));
  test('nominal 0.743', () => close(krippendorffAlpha(units, 'nominal').alpha, 0.743, 5e-4));
  test('ordinal 0.815', () => close(krippendorffAlpha(units, 'ordinal').alpha, 0.815, 5e-4));
  test('interval 0.849', () => close(krippendorffAlpha(units, 'interval').alpha, 0.849, 5e-4));
  test('section A: two observers, binary data, alpha = 0.095', () => {
    const a = [0, 1, 0, 0, 0, 0, 0, 0, 1, 0];
    const b = [1, 1, 1, 0, 0, 1, 0, 0, 0, 0];
    close(krippendorffAlpha(a.map((v, i) => [v, b[i]]), 'nominal').alpha, 0.095, 5e-4);
  });
});

describe('correlation', () => {
  test('Pearson by hand: x = 1..5, y = 2,4,5,4,5 → r = 0.7746 (= sqrt(0.6)), p = 0.1240', () => {
    const r = pearson([1, 2, 3, 4, 5], [2, 4, 5, 4, 5]);
    close(r.r, Math.sqrt(0.6), 1e-12);
    close(r.p, 0.124, 5e-4);
  });
  test('Spearman with ties equals Pearson on average ranks', () => {
    // ranks y: 2→1, 4→2.5, 5→4.5, 4→2.5, 5→4.5
    const r = spearman([1, 2, 3, 4, 5], [2, 4, 5, 4, 5]);
    close(r.r, pearson([1, 2, 3, 4, 5], [1, 2.5, 4.5, 2.5, 4.5]).r, 1e-12);
    close(r.r, 0.7378648, 1e-6);
  });
});

describe('bad input is named', () => {
  test('interval alpha on text values, correlation of unequal lengths, empty groups', () => {
    assert.throws(() => krippendorffAlpha([['a', 'b']], 'interval'), /interval level needs numeric values, got "a"/);
    assert.throws(() => pearson([1, 2, 3], [1, 2]), /x has 3 values, y has 2/);
    assert.ok(Number.isNaN(welchTTest([1], [2, 3]).p));
    assert.ok(Number.isNaN(mannWhitneyU([], [1]).p));
    assert.ok(Number.isNaN(auroc([], [1]).auc));
    assert.ok(Number.isNaN(holmAdjust([NaN, 0.01])[0]));
    assert.equal(holmAdjust([NaN, 0.01])[1], 0.01);
  });
});
