// Exact binomial test, two-sided as R's binom.test: the p-value sums the
// probabilities of every outcome no more likely than the one observed (with
// R's relative tolerance of 1 + 1e-7).
import { binomialPmf } from './distributions.ts';

export interface BinomialTest {
  x: number;
  n: number;
  p0: number;
  estimate: number;
  p: number;
}

export function binomialTest(x: number, n: number, p0 = 0.5): BinomialTest {
  if (!Number.isInteger(x) || !Number.isInteger(n) || x < 0 || x > n) throw new RangeError(`binomialTest: need integers 0 ≤ x ≤ n, got x=${x} n=${n}`);
  if (!(p0 >= 0 && p0 <= 1)) throw new RangeError(`binomialTest: p0 must be in [0, 1], got ${p0}`);
  const estimate = n > 0 ? x / n : NaN;
  if (n === 0) return { x, n, p0, estimate, p: 1 };
  const d = binomialPmf(x, n, p0);
  const relErr = 1 + 1e-7;
  const m = n * p0;
  let p: number;
  if (x === m) p = 1;
  else if (x < m) {
    // The other tail: outcomes above the mean with probability ≤ d.
    let y = 0;
    for (let k = Math.ceil(m); k <= n; k++) if (binomialPmf(k, n, p0) <= d * relErr) y++;
    p = cdf(x, n, p0) + upperTail(n - y + 1, n, p0);
  } else {
    let y = 0;
    for (let k = 0; k <= Math.floor(m); k++) if (binomialPmf(k, n, p0) <= d * relErr) y++;
    p = cdf(y - 1, n, p0) + upperTail(x, n, p0);
  }
  return { x, n, p0, estimate, p: Math.min(1, p) };
}

function cdf(k: number, n: number, p: number): number {
  let s = 0;
  for (let i = 0; i <= Math.min(k, n); i++) s += binomialPmf(i, n, p);
  return s;
}

function upperTail(k: number, n: number, p: number): number {
  let s = 0;
  for (let i = Math.max(0, k); i <= n; i++) s += binomialPmf(i, n, p);
  return s;
}
