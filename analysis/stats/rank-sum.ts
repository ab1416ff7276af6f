// Mann–Whitney U / Wilcoxon rank-sum (two-sided), as R's wilcox.test: exact
// when both samples are under 50 and there are no ties, otherwise the normal
// approximation with the tie correction and the continuity correction. U counts pairs x > y plus half the ties, so U/(n1 n2)
// is also the AUROC and 2U/(n1 n2) − 1 is Cliff's delta. NaN values are
// dropped and counted (`removed`); the core refuses them.
import { normalCdf } from './distributions.ts';
import { withoutNaN, refuseNaN } from './describe.ts';
import { levelsOf, type Levels } from './levels.ts';

export interface RankSum {
  /** R's W: U for the first sample. */
  u: number;
  /** NaN for the exact test. */
  z: number;
  p: number;
  n1: number;
  n2: number;
  exact: boolean;
  /** NaN values dropped from both samples before ranking. */
  removed: number;
}

export interface RankSumOptions {
  continuity?: boolean;
  /** Default: exact when both n < 50 and no ties (R's rule). */
  exact?: boolean;
}

/** U statistic and the tie term Σ(t³ − t), from one sort of the pooled values. */
export function rankSumCore(x: ArrayLike<number>, y: ArrayLike<number>): { u: number; ties: number } {
  refuseNaN(x, 'rank sum, first sample');
  refuseNaN(y, 'rank sum, second sample');
  const levels = levelsOf(x, y);
  return levels ? rankSumOfLevels(levels, x.length) : rankSumSorted(x, y);
}

/** rankSumCore by sorting the pooled values (any number of distinct values; exported to test the level walk against it). */
export function rankSumSorted(x: ArrayLike<number>, y: ArrayLike<number>): { u: number; ties: number } {
  const n1 = x.length, n2 = y.length;
  const pooled = new Float64Array(n1 + n2);
  const fromX = new Uint8Array(n1 + n2);
  const idx = new Uint32Array(n1 + n2);
  for (let i = 0; i < n1; i++) pooled[i] = x[i];
  for (let i = 0; i < n2; i++) pooled[n1 + i] = y[i];
  for (let i = 0; i < n1 + n2; i++) idx[i] = i;
  idx.sort((a, b) => pooled[a] - pooled[b]);
  for (let i = 0; i < n1; i++) fromX[i] = 1;
  let rankSumX = 0;
  let ties = 0;
  let i = 0;
  const n = n1 + n2;
  while (i < n) {
    let j = i;
    while (j + 1 < n && pooled[idx[j + 1]] === pooled[idx[i]]) j++;
    const r = (i + j) / 2 + 1;
    let inX = 0;
    for (let k = i; k <= j; k++) inX += fromX[idx[k]];
    rankSumX += r * inX;
    const t = j - i + 1;
    if (t > 1) ties += t * t * t - t;
    i = j + 1;
  }
  return { u: rankSumX - (n1 * (n1 + 1)) / 2, ties };
}

/** rankSumCore over the samples' levels: each level is one tie group, taken in the same order with the same arithmetic. */
function rankSumOfLevels({ countX, countY }: Levels, n1: number): { u: number; ties: number } {
  let rankSumX = 0;
  let ties = 0;
  let i = 0;
  for (let l = 0; l < countX.length; l++) {
    const t = countX[l] + countY[l];
    const j = i + t - 1;
    const r = (i + j) / 2 + 1;
    rankSumX += r * countX[l];
    if (t > 1) ties += t * t * t - t;
    i = j + 1;
  }
  return { u: rankSumX - (n1 * (n1 + 1)) / 2, ties };
}

export function mannWhitneyU(xIn: ArrayLike<number>, yIn: ArrayLike<number>, opts: RankSumOptions = {}): RankSum {
  const cx = withoutNaN(xIn), cy = withoutNaN(yIn);
  const x = cx.values, y = cy.values;
  const removed = cx.removed + cy.removed;
  const n1 = x.length, n2 = y.length;
  if (n1 === 0 || n2 === 0) return { u: NaN, z: NaN, p: NaN, n1, n2, exact: false, removed };
  const { u, ties } = rankSumCore(x, y);
  const exact = opts.exact ?? (n1 < 50 && n2 < 50 && ties === 0);
  if (exact && ties === 0) {
    const p = u > (n1 * n2) / 2 ? 1 - uCdf(u - 1, n1, n2) : uCdf(u, n1, n2);
    return { u, z: NaN, p: Math.min(1, 2 * p), n1, n2, exact: true, removed };
  }
  const n = n1 + n2;
  const mu = (n1 * n2) / 2;
  const sigma = Math.sqrt((n1 * n2 / 12) * (n + 1 - ties / (n * (n - 1))));
  if (sigma === 0) return { u, z: 0, p: 1, n1, n2, exact: false, removed };
  const d = u - mu;
  const cc = opts.continuity === false ? 0 : 0.5 * Math.sign(d);
  const z = (d - cc) / sigma;
  return { u, z, p: Math.min(1, 2 * normalCdf(-Math.abs(z))), n1, n2, exact: false, removed };
}

/**
 * P(U ≤ u) under the null without ties: the counts of U are the coefficients
 * of the Gaussian binomial [m+n choose m]_q = Π_{i=1..m} (1 − q^(n+i)) / (1 − q^i).
 */
export function uCdf(u: number, m: number, n: number): number {
  if (u < 0) return 0;
  const max = m * n;
  if (u >= max) return 1;
  let c = new Float64Array(max + 1);
  c[0] = 1;
  for (let i = 1; i <= m; i++) {
    const next = new Float64Array(max + 1);
    // multiply by (1 − q^(n+i))
    for (let k = 0; k <= max; k++) next[k] = c[k] - (k >= n + i ? c[k - n - i] : 0);
    // divide by (1 − q^i)
    for (let k = i; k <= max; k++) next[k] += next[k - i];
    c = next;
  }
  let total = 0, below = 0;
  for (let k = 0; k <= max; k++) {
    total += c[k];
    if (k <= u) below += c[k];
  }
  return below / total;
}
