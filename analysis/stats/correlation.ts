// Pearson and Spearman correlation, with the two-sided t-test of r = 0.
import { summarize, averageRanks } from './describe.ts';
import { tCdf } from './distributions.ts';

export interface Correlation {
  r: number;
  n: number;
  p: number;
}

export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): Correlation {
  if (x.length !== y.length) throw new RangeError(`pearson: x has ${x.length} values, y has ${y.length}`);
  const n = x.length;
  const sx = summarize(x), sy = summarize(y);
  let sxy = 0;
  for (let i = 0; i < n; i++) sxy += (x[i] - sx.mean) * (y[i] - sy.mean);
  const r = sxy / ((n - 1) * sx.sd * sy.sd);
  let p = NaN;
  if (n > 2 && Number.isFinite(r)) {
    if (Math.abs(r) >= 1) p = 0;
    else {
      const t = r * Math.sqrt((n - 2) / (1 - r * r));
      p = 2 * tCdf(-Math.abs(t), n - 2);
    }
  }
  return { r, n, p };
}

/** Pearson on average ranks (ties handled), p from the t approximation. */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): Correlation {
  return pearson(averageRanks(x), averageRanks(y));
}
