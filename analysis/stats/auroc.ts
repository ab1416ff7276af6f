// Area under the ROC curve: P(score of a positive > score of a negative), ties
// counting one half (the Mann–Whitney U over n_pos · n_neg). The interval
// uses DeLong, DeLong & Clarke-Pearson's (1988) variance from the placement
// values (exact for ties; the default), or Hanley & McNeil's (1982) formula,
// with a normal quantile, clipped to [0, 1]. NaN scores are dropped and
// counted (`removed`).
import { rankSumCore } from './rank-sum.ts';
import { levelsOf, type Levels } from './levels.ts';
import { withoutNaN } from './describe.ts';
import { normalQuantile } from './distributions.ts';
import type { Interval } from './mean-ci.ts';

export interface Auroc extends Interval {
  auc: number;
  se: number;
  nPositive: number;
  nNegative: number;
  method: 'delong' | 'hanley-mcneil';
  /** NaN scores dropped from both groups. */
  removed: number;
}

export function auroc(positivesIn: ArrayLike<number>, negativesIn: ArrayLike<number>, level = 0.95, method: 'delong' | 'hanley-mcneil' = 'delong'): Auroc {
  const cp = withoutNaN(positivesIn), cn = withoutNaN(negativesIn);
  const positives = cp.values, negatives = cn.values;
  const removed = cp.removed + cn.removed;
  const n1 = positives.length, n0 = negatives.length;
  if (n1 === 0 || n0 === 0) return { auc: NaN, se: NaN, lower: NaN, upper: NaN, nPositive: n1, nNegative: n0, method, removed };
  let a: number;
  let variance: number;
  if (method === 'hanley-mcneil') {
    a = rankSumCore(positives, negatives).u / (n1 * n0);
    const q1 = a / (2 - a);
    const q2 = (2 * a * a) / (1 + a);
    variance = (a * (1 - a) + (n1 - 1) * (q1 - a * a) + (n0 - 1) * (q2 - a * a)) / (n1 * n0);
  } else {
    const levels = levelsOf(positives, negatives);
    ({ a, variance } = levels ? delongOfLevels(levels, n1, n0) : delong(positives, negatives));
  }
  const se = Math.sqrt(Math.max(0, variance));
  const z = normalQuantile(1 - (1 - level) / 2);
  return { auc: a, se, lower: Math.max(0, a - z * se), upper: Math.min(1, a + z * se), nPositive: n1, nNegative: n0, method, removed };
}

/** The AUC and DeLong's variance from the placement values, by sorting (exported to test the level walk against it). */
export function delong(positives: ArrayLike<number>, negatives: ArrayLike<number>): { a: number; variance: number } {
  const n1 = positives.length, n0 = negatives.length;
  const pos = Float64Array.from(positives).sort();
  const neg = Float64Array.from(negatives).sort();
  // Placement of each positive among the negatives, and of each negative among the positives.
  const v10 = new Float64Array(n1);
  const v01 = new Float64Array(n0);
  for (let i = 0; i < n1; i++) v10[i] = (lowerBound(neg, pos[i]) + 0.5 * (upperBound(neg, pos[i]) - lowerBound(neg, pos[i]))) / n0;
  for (let j = 0; j < n0; j++) v01[j] = (n1 - upperBound(pos, neg[j]) + 0.5 * (upperBound(pos, neg[j]) - lowerBound(pos, neg[j]))) / n1;
  let a = 0;
  for (const v of v10) a += v;
  a /= n1;
  let s10 = 0, s01 = 0;
  for (const v of v10) s10 += (v - a) ** 2;
  for (const v of v01) s01 += (v - a) ** 2;
  s10 = n1 > 1 ? s10 / (n1 - 1) : 0;
  s01 = n0 > 1 ? s01 / (n0 - 1) : 0;
  return { a, variance: s10 / n1 + s01 / n0 };
}

/**
 * delong() over the levels of the scores: values at one level share their
 * placement, so the placements come from the counts below each level, and the
 * sums add each placement once per value in ascending order, as delong() does.
 */
function delongOfLevels({ countX: cPos, countY: cNeg }: Levels, n1: number, n0: number): { a: number; variance: number } {
  const L = cPos.length;
  const v10 = new Float64Array(L);
  const v01 = new Float64Array(L);
  let negBelow = 0, posBelow = 0;
  for (let l = 0; l < L; l++) {
    // delong()'s lowerBound and upperBound at this level are the counts below it and those plus its own.
    v10[l] = (negBelow + 0.5 * cNeg[l]) / n0;
    v01[l] = (n1 - (posBelow + cPos[l]) + 0.5 * cPos[l]) / n1;
    negBelow += cNeg[l];
    posBelow += cPos[l];
  }
  let a = 0;
  for (let l = 0; l < L; l++) for (let k = 0; k < cPos[l]; k++) a += v10[l];
  a /= n1;
  let s10 = 0, s01 = 0;
  for (let l = 0; l < L; l++) {
    const d = (v10[l] - a) ** 2;
    for (let k = 0; k < cPos[l]; k++) s10 += d;
  }
  for (let l = 0; l < L; l++) {
    const d = (v01[l] - a) ** 2;
    for (let k = 0; k < cNeg[l]; k++) s01 += d;
  }
  s10 = n1 > 1 ? s10 / (n1 - 1) : 0;
  s01 = n0 > 1 ? s01 / (n0 - 1) : 0;
  return { a, variance: s10 / n1 + s01 / n0 };
}

/** Number of sorted values < x. */
function lowerBound(sorted: Float64Array, x: number): number {
  let lo = 0, hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Number of sorted values ≤ x. */
function upperBound(sorted: Float64Array, x: number): number {
  let lo = 0, hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
