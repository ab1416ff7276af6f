// Standardised effect sizes for two independent samples.
import { summarize } from './describe.ts';
import { rankSumCore } from './rank-sum.ts';

/**
 * Cohen's d with the pooled standard deviation: (mean(x) − mean(y)) / s_pooled.
 * NaN (refused) when either group has fewer than two values or the pooled
 * standard deviation is 0: a difference in units of no spread has no size
 * (tables.ts says which, beside the empty cell).
 */
export function cohensD(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const a = summarize(x);
  const b = summarize(y);
  if (a.n < 2 || b.n < 2) return NaN;
  const pooled = Math.sqrt(((a.n - 1) * a.variance + (b.n - 1) * b.variance) / (a.n + b.n - 2));
  if (!(pooled > 0)) return NaN;
  return (a.mean - b.mean) / pooled;
}

/** Cliff's delta: P(x > y) − P(x < y). NaN values are refused (rankSumCore throws). */
export function cliffsDelta(x: ArrayLike<number>, y: ArrayLike<number>): number {
  if (x.length === 0 || y.length === 0) return NaN;
  const { u } = rankSumCore(x, y);
  return (2 * u) / (x.length * y.length) - 1;
}
