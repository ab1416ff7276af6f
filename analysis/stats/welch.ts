// Welch's unequal-variance t-test (two-sided), as R's t.test(var.equal = FALSE).
import { summarize } from './describe.ts';
import { tCdf } from './distributions.ts';

export interface TTest {
  t: number;
  df: number;
  p: number;
  /** mean(x) − mean(y) */
  difference: number;
}

export function welchTTest(x: ArrayLike<number>, y: ArrayLike<number>): TTest {
  const a = summarize(x);
  const b = summarize(y);
  const difference = a.mean - b.mean;
  if (a.n < 2 || b.n < 2) return { t: NaN, df: NaN, p: NaN, difference };
  const va = a.variance / a.n;
  const vb = b.variance / b.n;
  const se = Math.sqrt(va + vb);
  if (se === 0) return { t: NaN, df: NaN, p: difference === 0 ? 1 : 0, difference };
  const t = difference / se;
  const df = (va + vb) ** 2 / (va ** 2 / (a.n - 1) + vb ** 2 / (b.n - 1));
  const p = 2 * tCdf(-Math.abs(t), df);
  return { t, df, p: Math.min(1, p), difference };
}
