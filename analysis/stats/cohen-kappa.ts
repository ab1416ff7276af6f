// Cohen's kappa: agreement of two raters on nominal labels beyond chance
// (Cohen 1960), with its large-sample standard error under the alternative
// (Fleiss, Cohen & Everitt 1969) and a normal interval. Used for people against
// a lexicon; several raters per item are Krippendorff's α (krippendorff.ts).
import { normalQuantile } from './distributions.ts';

export interface Kappa {
  kappa: number;
  /** Items both raters labelled. */
  n: number;
  observed: number;
  chance: number;
  se: number;
  lower: number;
  upper: number;
}

/** κ over paired labels; pairs with a missing label (null) are left out. NaN when n = 0 or chance agreement is 1. */
export function cohenKappa(pairs: Iterable<readonly [string | null, string | null]>, level = 0.95): Kappa {
  const labels = new Map<string, number>();
  const idx = (l: string) => {
    let i = labels.get(l);
    if (i === undefined) { i = labels.size; labels.set(l, i); }
    return i;
  };
  const kept: [number, number][] = [];
  for (const [a, b] of pairs) if (a !== null && b !== null) kept.push([idx(a), idx(b)]);
  const k = labels.size, n = kept.length;
  const nan = { kappa: NaN, n, observed: NaN, chance: NaN, se: NaN, lower: NaN, upper: NaN };
  if (n === 0) return nan;
  const p = Array.from({ length: k }, () => new Float64Array(k));
  for (const [a, b] of kept) p[a][b] += 1 / n;
  const rowM = p.map((r) => r.reduce((s, v) => s + v, 0));
  const colM = Array.from({ length: k }, (_, j) => p.reduce((s, r) => s + r[j], 0));
  const po = p.reduce((s, r, i) => s + r[i], 0);
  const pe = rowM.reduce((s, r, i) => s + r * colM[i], 0);
  if (pe === 1) return { ...nan, observed: po, chance: pe };
  const kappa = (po - pe) / (1 - pe);
  // Fleiss, Cohen & Everitt (1969), eq. 13: the variance of κ̂ under the alternative.
  let a = 0;
  for (let i = 0; i < k; i++) a += p[i][i] * (1 - (rowM[i] + colM[i]) * (1 - kappa)) ** 2;
  let b = 0;
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) if (i !== j) b += p[i][j] * (colM[i] + rowM[j]) ** 2;
  b *= (1 - kappa) ** 2;
  const c = (kappa - pe * (1 - kappa)) ** 2;
  const se = Math.sqrt(Math.max(0, a + b - c)) / ((1 - pe) * Math.sqrt(n));
  const z = normalQuantile(1 - (1 - level) / 2);
  return { kappa, n, observed: po, chance: pe, se, lower: kappa - z * se, upper: kappa + z * se };
}
