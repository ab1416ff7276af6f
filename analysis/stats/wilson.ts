// Wilson score interval for a proportion (Wilson 1927; the interval Newcombe
// 1998 and Brown, Cai & DasGupta 2001 recommend over the Wald interval).
import { normalQuantile } from './distributions.ts';
import type { Interval } from './mean-ci.ts';

export interface Proportion extends Interval {
  x: number;
  n: number;
  p: number;
}

export function wilsonInterval(x: number, n: number, level = 0.95): Proportion {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`wilsonInterval: n must be a count (an integer ≥ 0), got ${n}`);
  if (!Number.isInteger(x) || x < 0 || x > n) throw new RangeError(`wilsonInterval: need a count 0 ≤ x ≤ n, got x=${x} n=${n}`);
  if (n === 0) return { x, n, p: NaN, lower: NaN, upper: NaN };
  const z = normalQuantile(1 - (1 - level) / 2);
  const p = x / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
    // At x = 0 (x = n) the bound is exactly 0 (1); rounding would leave a 1e-17 hair.
  return { x, n, p, lower: x === 0 ? 0 : Math.max(0, centre - half), upper: x === n ? 1 : Math.min(1, centre + half) };
}
