// Mann–Whitney U / Wilcoxon rank-sum (two-sided), normal approximation with
// the tie correction and R's continuity correction, as wilcox.test(exact =
// FALSE, correct = TRUE). U counts pairs x > y plus half the ties, so U/(n1 n2)
// is also the AUROC and 2U/(n1 n2) − 1 is Cliff's delta.
import { normalCdf } from './distributions.ts';

export interface RankSum {
  /** R's W: U for the first sample. */
  u: number;
  z: number;
  p: number;
  n1: number;
  n2: number;
}

export interface RankSumOptions {
  continuity?: boolean;
}

/** U statistic and the tie term Σ(t³ − t), from one sort of the pooled values. */
export function rankSumCore(x: ArrayLike<number>, y: ArrayLike<number>): { u: number; ties: number } {
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

export function mannWhitneyU(x: ArrayLike<number>, y: ArrayLike<number>, opts: RankSumOptions = {}): RankSum {
  const n1 = x.length, n2 = y.length;
  if (n1 === 0 || n2 === 0) return { u: NaN, z: NaN, p: NaN, n1, n2 };
  const { u, ties } = rankSumCore(x, y);
  const n = n1 + n2;
  const mu = (n1 * n2) / 2;
  const sigma = Math.sqrt((n1 * n2 / 12) * (n + 1 - ties / (n * (n - 1))));
  if (sigma === 0) return { u, z: 0, p: 1, n1, n2 };
  const d = u - mu;
  const cc = opts.continuity === false ? 0 : 0.5 * Math.sign(d);
  const z = (d - cc) / sigma;
  return { u, z, p: Math.min(1, 2 * normalCdf(-Math.abs(z))), n1, n2 };
}
