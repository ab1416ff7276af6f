// Area under the ROC curve: P(score of a positive > score of a negative), ties
// counting one half (the Mann–Whitney U over n_pos · n_neg). The interval is
// Hanley & McNeil's (1982) standard error with a normal quantile, clipped to
// [0, 1].
import { rankSumCore } from './rank-sum.ts';
import { normalQuantile } from './distributions.ts';
import type { Interval } from './mean-ci.ts';

export interface Auroc extends Interval {
  auc: number;
  se: number;
  nPositive: number;
  nNegative: number;
}

export function auroc(positives: ArrayLike<number>, negatives: ArrayLike<number>, level = 0.95): Auroc {
  const n1 = positives.length, n2 = negatives.length;
  if (n1 === 0 || n2 === 0) return { auc: NaN, se: NaN, lower: NaN, upper: NaN, nPositive: n1, nNegative: n2 };
  const { u } = rankSumCore(positives, negatives);
  const a = u / (n1 * n2);
  const q1 = a / (2 - a);
  const q2 = (2 * a * a) / (1 + a);
  const se = Math.sqrt(Math.max(0, (a * (1 - a) + (n1 - 1) * (q1 - a * a) + (n2 - 1) * (q2 - a * a)) / (n1 * n2)));
  const z = normalQuantile(1 - (1 - level) / 2);
  return { auc: a, se, lower: Math.max(0, a - z * se), upper: Math.min(1, a + z * se), nPositive: n1, nNegative: n2 };
}
