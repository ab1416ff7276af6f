// Tests of independence for an r × c table of counts (rows: e.g. model sizes;
// columns: categories). Pearson's chi-square (scipy.stats.chi2_contingency
// without Yates' correction) and, for small expected counts, the exact
// alternative: Fisher's test for 2 × 2 and its Freeman–Halton extension for
// larger tables, summing the hypergeometric probabilities of every table with
// the observed margins that is no more probable than the observed one (as R's
// fisher.test). When the tables are too many to enumerate, the p-value is a
// seeded Monte Carlo estimate over random tables with the same margins (R's
// simulate.p.value), and says so.
import { chiSquareSurvival, logGamma } from './distributions.ts';
import { createRng } from '../../studies/random.ts';

export interface ChiSquare {
  statistic: number;
  df: number;
  p: number;
  /** Expected counts under independence (over the rows and columns kept). */
  expected: number[][];
  minExpected: number;
  /** Cochran's rule fails (an expected count < 1, or over 20% of them < 5): prefer the exact test. */
  small: boolean;
  /** Rows and columns left out because their total is 0 (they carry no information), by index. */
  droppedRows: number[];
  droppedColumns: number[];
}

export interface ExactTest {
  p: number;
  method: 'exact' | 'monte-carlo';
  /** Tables enumerated (exact) or drawn (Monte Carlo). */
  tables: number;
}

/** Checks that `table` is a rectangle of counts; drops all-zero rows and columns. */
function reduce(table: readonly (readonly number[])[]): { t: number[][]; droppedRows: number[]; droppedColumns: number[] } {
  if (table.length === 0) throw new RangeError('contingency table: no rows');
  const c = table[0].length;
  table.forEach((row, i) => {
    if (row.length !== c) throw new RangeError(`contingency table: row ${i} has ${row.length} cells, row 0 has ${c}`);
    row.forEach((v, j) => {
      if (!Number.isInteger(v) || v < 0) throw new RangeError(`contingency table: cell [${i}][${j}] must be a count (an integer ≥ 0), got ${v}`);
    });
  });
  const rowSum = table.map((r) => r.reduce((a, b) => a + b, 0));
  const colSum = Array.from({ length: c }, (_, j) => table.reduce((a, r) => a + r[j], 0));
  const keepRows = rowSum.flatMap((s, i) => (s > 0 ? [i] : []));
  const keepCols = colSum.flatMap((s, j) => (s > 0 ? [j] : []));
  return {
    t: keepRows.map((i) => keepCols.map((j) => table[i][j])),
    droppedRows: rowSum.flatMap((s, i) => (s > 0 ? [] : [i])),
    droppedColumns: colSum.flatMap((s, j) => (s > 0 ? [] : [j])),
  };
}

function margins(t: number[][]): { rows: number[]; cols: number[]; n: number } {
  const rows = t.map((r) => r.reduce((a, b) => a + b, 0));
  const cols = t[0]?.map((_, j) => t.reduce((a, r) => a + r[j], 0)) ?? [];
  return { rows, cols, n: rows.reduce((a, b) => a + b, 0) };
}

/** Pearson's chi-square test of independence; NaN statistic and p when fewer than 2 rows or columns carry counts. */
export function chiSquareIndependence(table: readonly (readonly number[])[]): ChiSquare {
  const { t, droppedRows, droppedColumns } = reduce(table);
  const { rows, cols, n } = margins(t);
  const expected = rows.map((r) => cols.map((c) => (r * c) / n));
  const flat = expected.flat();
  const minExpected = flat.length ? Math.min(...flat) : NaN;
  const small = flat.some((e) => e < 1) || flat.filter((e) => e < 5).length > 0.2 * flat.length;
  const df = (rows.length - 1) * (cols.length - 1);
  if (df === 0) return { statistic: NaN, df, p: NaN, expected, minExpected, small, droppedRows, droppedColumns };
  let statistic = 0;
  t.forEach((row, i) => row.forEach((o, j) => { statistic += (o - expected[i][j]) ** 2 / expected[i][j]; }));
  return { statistic, df, p: chiSquareSurvival(statistic, df), expected, minExpected, small, droppedRows, droppedColumns };
}

/** ln of the probability of table `t` given its margins (multivariate hypergeometric). */
function logTableProb(t: number[][], logConst: number, lf: (k: number) => number): number {
  let s = logConst;
  for (const row of t) for (const v of row) s -= lf(v);
  return s;
}

/**
 * The exact test of independence (Fisher; Freeman–Halton beyond 2 × 2). Tables
 * are enumerated while there are at most `maxTables`; beyond that, `draws`
 * random tables with the same margins estimate the p-value as (1 + hits) / (1 + draws).
 */
export function exactIndependence(
  table: readonly (readonly number[])[],
  opts: { maxTables?: number; draws?: number; seed?: number } = {},
): ExactTest {
  const { t } = reduce(table);
  if (t.length < 2 || (t[0]?.length ?? 0) < 2) return { p: 1, method: 'exact', tables: 1 };
  const { rows, cols, n } = margins(t);
  const logFact = Array.from({ length: n + 1 }, (_, k) => logGamma(k + 1));
  const lf = (k: number) => logFact[k];
  const logConst = rows.reduce((a, r) => a + lf(r), 0) + cols.reduce((a, c) => a + lf(c), 0) - lf(n);
  const observed = logTableProb(t, logConst, lf);
  // Tables as probable as the observed one, up to rounding, count as "as extreme" (R uses 1 + 1e-7).
  const cut = observed + Math.log1p(1e-7);
  const maxTables = opts.maxTables ?? 2_000_000;

  const exact = enumerate(rows, cols, logConst, lf, cut, maxTables);
  if (exact) return { p: Math.min(1, exact.p), method: 'exact', tables: exact.tables };

  const draws = opts.draws ?? 20_000;
  const rng = createRng(opts.seed ?? 1);
  // Random tables with fixed margins: the column labels of the n observations, shuffled against their row labels.
  const colOf: number[] = cols.flatMap((c, j) => Array<number>(c).fill(j));
  let hits = 0;
  const cells = rows.map(() => cols.map(() => 0));
  for (let d = 0; d < draws; d++) {
    for (let k = n - 1; k > 0; k--) {
      const m = rng.int(k + 1);
      [colOf[k], colOf[m]] = [colOf[m], colOf[k]];
    }
    for (const row of cells) row.fill(0);
    let k = 0;
    rows.forEach((r, i) => { for (let x = 0; x < r; x++) cells[i][colOf[k++]]++; });
    if (logTableProb(cells, logConst, lf) <= cut) hits++;
  }
  return { p: (1 + hits) / (1 + draws), method: 'monte-carlo', tables: draws };
}

/** Sums P(table) over the tables with these margins whose probability is ≤ exp(cut); null past maxTables. */
function enumerate(
  rows: number[], cols: number[], logConst: number, lf: (k: number) => number, cut: number, maxTables: number,
): { p: number; tables: number } | null {
  const r = rows.length, c = cols.length;
  const left = rows.slice(); // what each row still has to place
  let p = 0, tables = 0;
  // Fill column by column; within a column, row by row; the last row of a column takes what is left.
  const fillColumn = (j: number, logSoFar: number): boolean => {
    if (j === c - 1) {
      // The last column is forced: each row's remainder.
      let s = logSoFar;
      for (let i = 0; i < r; i++) s -= lf(left[i]);
      tables++;
      if (s <= cut) p += Math.exp(s);
      return tables <= maxTables;
    }
    const fillCell = (i: number, remaining: number, logCol: number): boolean => {
      if (i === r - 1) {
        if (remaining > left[i]) return true;
        left[i] -= remaining;
        const ok = fillColumn(j + 1, logCol - lf(remaining));
        left[i] += remaining;
        return ok;
      }
      // Rows below must be able to absorb what this one does not take.
      let capacityBelow = 0;
      for (let k = i + 1; k < r; k++) capacityBelow += left[k];
      const lo = Math.max(0, remaining - capacityBelow);
      const hi = Math.min(left[i], remaining);
      for (let v = lo; v <= hi; v++) {
        left[i] -= v;
        const ok = fillCell(i + 1, remaining - v, logCol - lf(v));
        left[i] += v;
        if (!ok) return false;
      }
      return true;
    };
    return fillCell(0, cols[j], logSoFar);
  };
  const ok = fillColumn(0, logConst);
  return ok ? { p, tables } : null;
}
