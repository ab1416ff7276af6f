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
  if (n <= 0) return { x, n, p: NaN, lower: NaN, upper: NaN };
  const z = normalQuantile(1 - (1 - level) / 2);
  const p = x / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / denom;
  return { x, n, p, lower: Math.max(0, centre - half), upper: Math.min(1, centre + half) };
}
