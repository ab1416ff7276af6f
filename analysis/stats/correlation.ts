// Pearson and Spearman correlation, with the two-sided t-test of r = 0 (the
// exact t distribution at any n). Pairs with a NaN on either side are dropped
// and counted (`removed`): ranking a NaN would give an order-dependent result.
import { summarize, averageRanks } from './describe.ts';
import { tCdf } from './distributions.ts';

export interface Correlation {
  r: number;
  /** Complete pairs used. */
  n: number;
  p: number;
  /** Pairs dropped because either value was NaN. */
  removed: number;
}

function completePairs(x: ArrayLike<number>, y: ArrayLike<number>, what: string): { x: ArrayLike<number>; y: ArrayLike<number>; removed: number } {
  if (x.length !== y.length) throw new RangeError(`${what}: x has ${x.length} values, y has ${y.length}`);
  let removed = 0;
  for (let i = 0; i < x.length; i++) if (Number.isNaN(x[i]) || Number.isNaN(y[i])) removed++;
  if (removed === 0) return { x, y, removed };
  const kx = new Float64Array(x.length - removed), ky = new Float64Array(x.length - removed);
  let j = 0;
  for (let i = 0; i < x.length; i++) {
    if (Number.isNaN(x[i]) || Number.isNaN(y[i])) continue;
    kx[j] = x[i];
    ky[j++] = y[i];
  }
  return { x: kx, y: ky, removed };
}

function pearsonComplete(x: ArrayLike<number>, y: ArrayLike<number>, removed: number): Correlation {
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
  return { r, n, p, removed };
}

export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): Correlation {
  const c = completePairs(x, y, 'pearson');
  return pearsonComplete(c.x, c.y, c.removed);
}

/** Pearson on average ranks (ties handled), p from the t approximation. */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): Correlation {
  const c = completePairs(x, y, 'spearman');
  return pearsonComplete(averageRanks(c.x), averageRanks(c.y), c.removed);
}
