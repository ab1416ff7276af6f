// Confidence intervals for a mean: Student t, and a seeded percentile
// bootstrap. For data with few distinct values (Likert points, 0–10 sliders)
// the bootstrap resamples category counts from a multinomial instead of
// n single draws: the same distribution of resampled means, at a cost that
// does not grow with n, which is what keeps 1M responses fast.
import { createRng, type Rng } from '../../studies/random.ts';
import { summarize } from './describe.ts';
import { tQuantile, binomialPmf } from './distributions.ts';

export interface Interval {
  lower: number;
  upper: number;
}

export interface MeanCi extends Interval {
  n: number;
  mean: number;
  sd: number;
}

export function meanTCi(values: ArrayLike<number>, level = 0.95): MeanCi {
  const s = summarize(values);
  if (s.n < 2) return { n: s.n, mean: s.mean, sd: s.sd, lower: NaN, upper: NaN };
  const half = tQuantile(1 - (1 - level) / 2, s.n - 1) * (s.sd / Math.sqrt(s.n));
  return { n: s.n, mean: s.mean, sd: s.sd, lower: s.mean - half, upper: s.mean + half };
}

export interface BootstrapOptions {
  level?: number;
  resamples?: number;
  seed?: number;
}

const MULTINOMIAL_MAX_LEVELS = 64;

export function meanBootstrapCi(values: ArrayLike<number>, opts: BootstrapOptions = {}): MeanCi {
  const level = opts.level ?? 0.95;
  const B = opts.resamples ?? 2000;
  const rng = createRng(opts.seed ?? 1);
  const s = summarize(values);
  if (s.n < 2) return { n: s.n, mean: s.mean, sd: s.sd, lower: NaN, upper: NaN };
  const levels = distinctCounts(values, MULTINOMIAL_MAX_LEVELS);
  const means = new Float64Array(B);
  if (levels) {
    const probs = levels.counts.map((c) => c / s.n);
    for (let b = 0; b < B; b++) {
      const counts = multinomialDraw(s.n, probs, rng);
      let sum = 0;
      for (let k = 0; k < counts.length; k++) sum += counts[k] * levels.values[k];
      means[b] = sum / s.n;
    }
  } else {
    for (let b = 0; b < B; b++) {
      let sum = 0;
      for (let i = 0; i < s.n; i++) sum += values[rng.int(s.n)];
      means[b] = sum / s.n;
    }
  }
  means.sort();
  const alpha = 1 - level;
  return { n: s.n, mean: s.mean, sd: s.sd, lower: quantileSorted(means, alpha / 2), upper: quantileSorted(means, 1 - alpha / 2) };
}

/** Type-7 quantile (R's default) of sorted data. */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

function distinctCounts(values: ArrayLike<number>, max: number): { values: number[]; counts: number[] } | null {
  const map = new Map<number, number>();
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    map.set(v, (map.get(v) ?? 0) + 1);
    if (map.size > max) return null;
  }
  const keys = [...map.keys()].sort((a, b) => a - b);
  return { values: keys, counts: keys.map((k) => map.get(k)!) };
}

/** Category counts of n draws, through conditional binomials. */
export function multinomialDraw(n: number, probs: readonly number[], rng: Rng): number[] {
  const out = new Array<number>(probs.length).fill(0);
  let left = n;
  let mass = 1;
  for (let k = 0; k < probs.length - 1 && left > 0; k++) {
    const p = mass > 0 ? Math.min(1, probs[k] / mass) : 0;
    const x = binomialDraw(left, p, rng);
    out[k] = x;
    left -= x;
    mass -= probs[k];
  }
  if (probs.length > 0) out[probs.length - 1] += left;
  return out;
}

/**
 * Exact binomial draw by inversion, searching outward from the mode: the
 * expected number of steps is about sqrt(n p (1 − p)), so it stays cheap for
 * large n.
 */
export function binomialDraw(n: number, p: number, rng: Rng): number {
  if (n <= 0 || p <= 0) return 0;
  if (p >= 1) return n;
  if (n < 32) {
    let x = 0;
    for (let i = 0; i < n; i++) if (rng.next() < p) x++;
    return x;
  }
  const m = Math.min(n, Math.floor((n + 1) * p));
  const pm = binomialPmf(m, n, p);
  let u = rng.next() - pm;
  if (u <= 0) return m;
  const ratio = p / (1 - p);
  let lo = m, hi = m, plo = pm, phi = pm;
  while (lo > 0 || hi < n) {
    if (hi < n) {
      phi *= ((n - hi) / (hi + 1)) * ratio;
      hi++;
      u -= phi;
      if (u <= 0) return hi;
    }
    if (lo > 0) {
      plo *= (lo / (n - lo + 1)) / ratio;
      lo--;
      u -= plo;
      if (u <= 0) return lo;
    }
    if (phi < 1e-300 && plo < 1e-300) break;
  }
  return m; // only reached through floating-point slack in the tail sums
}
