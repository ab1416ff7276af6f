// The statistics of the bias-probe analysis against values computed outside
// JavaScript: fixtures/category-reference.json is printed by
// fixtures/category-reference.py (scipy's chi2_contingency and fisher_exact;
// the r × c exact test by brute-force enumeration; κ and the log-odds from
// their published formulas in numpy).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { chiSquareIndependence, exactIndependence } from '../../analysis/stats/contingency.ts';
import { cohenKappa } from '../../analysis/stats/cohen-kappa.ts';
import { logOddsDirichlet } from '../../analysis/stats/log-odds.ts';

const ref = JSON.parse(readFileSync(new URL('./fixtures/category-reference.json', import.meta.url), 'utf8'));
const close = (got: number, want: number, tol: number, what: string) =>
  assert.ok(Math.abs(got - want) <= tol * Math.max(1, Math.abs(want)), `${what}: got ${got}, want ${want}`);

test('chi-square test of independence matches scipy.stats.chi2_contingency (no continuity correction)', () => {
  assert.ok(ref.chi2.length >= 5);
  for (const r of ref.chi2) {
    const got = chiSquareIndependence(r.table);
    assert.equal(got.df, r.df, JSON.stringify(r.table));
    close(got.statistic, r.statistic, 1e-12, `statistic ${JSON.stringify(r.table)}`);
    close(got.p, r.p, 1e-10, `p ${JSON.stringify(r.table)}`);
  }
});

test('exact test: Fisher for 2 × 2 as scipy, Freeman–Halton for r × c as brute-force enumeration', () => {
  for (const r of ref.fisher2x2) close(exactIndependence(r.table).p, r.p, 1e-10, `fisher ${JSON.stringify(r.table)}`);
  assert.ok(ref.exact.length >= 4);
  for (const r of ref.exact) {
    const got = exactIndependence(r.table);
    assert.equal(got.method, 'exact');
    close(got.p, r.p, 1e-10, `exact ${JSON.stringify(r.table)}`);
  }
});

test('exact test past the enumeration limit: a seeded Monte Carlo estimate that says so and lands near the exact value', () => {
  const r = ref.exact.find((e: { table: number[][] }) => e.table.length === 3 && e.table[0].length === 3);
  const mc = exactIndependence(r.table, { maxTables: 10, draws: 40_000, seed: 3 });
  assert.equal(mc.method, 'monte-carlo');
  assert.equal(mc.tables, 40_000);
  // Binomial SE of the estimate at 40,000 draws is about 0.0004 here; allow 5 SE.
  close(mc.p, r.p, 0.002, 'Monte Carlo p');
  assert.deepEqual(exactIndependence(r.table, { maxTables: 10, draws: 5000, seed: 9 }), exactIndependence(r.table, { maxTables: 10, draws: 5000, seed: 9 }), 'same seed, same p');
});

test('contingency tables: zero rows and columns are dropped and reported; bad counts are refused', () => {
  const got = chiSquareIndependence([[5, 0, 7], [0, 0, 0], [6, 0, 2]]);
  assert.deepEqual([got.droppedRows, got.droppedColumns, got.df], [[1], [1], 1]);
  assert.ok(chiSquareIndependence([[1, 1], [1, 2]]).small, 'expected counts under 5: Cochran says use the exact test');
  assert.ok(Number.isNaN(chiSquareIndependence([[4, 5]]).p), 'one row: no test');
  assert.throws(() => chiSquareIndependence([[1, 2], [3]]), /row 1 has 1 cells, row 0 has 2/);
  assert.throws(() => exactIndependence([[1, -2], [3, 4]]), /cell \[0\]\[1\] must be a count/);
  assert.throws(() => chiSquareIndependence([[1.5, 2], [3, 4]]), /cell \[0\]\[0\] must be a count/);
});

test("Cohen's kappa and its standard error match the formulas (Cohen 1960; Fleiss, Cohen & Everitt 1969)", () => {
  for (const r of ref.kappa) {
    const got = cohenKappa(r.pairs);
    close(got.kappa, r.kappa, 1e-12, 'kappa');
    close(got.observed, r.observed, 1e-12, 'observed agreement');
    close(got.chance, r.chance, 1e-12, 'chance agreement');
    close(got.se, r.se, 1e-10, 'se');
    assert.equal(got.n, r.pairs.length);
  }
  const withMissing = cohenKappa([['a', 'a'], ['b', null], [null, 'a'], ['b', 'b']]);
  assert.equal(withMissing.n, 2, 'pairs with a missing label are left out');
  assert.ok(Number.isNaN(cohenKappa([['a', 'a'], ['a', 'a']]).kappa), 'one label only: chance agreement is 1, kappa not estimable');
});

test('log-odds with an informative Dirichlet prior matches Monroe, Colaresi & Quinn (2008) eqs. 16–22', () => {
  for (const r of ref.logodds) {
    const got = logOddsDirichlet(new Map(Object.entries(r.a)), new Map(Object.entries(r.b)), { priorTotal: r.prior_total ?? undefined });
    assert.equal(got.length, Object.keys(r.terms).length);
    for (const t of got) {
      close(t.delta, r.terms[t.term].delta, 1e-12, `delta ${t.term}`);
      close(t.z, r.terms[t.term].z, 1e-12, `z ${t.term}`);
    }
  }
});
