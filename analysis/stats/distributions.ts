// The few distribution functions the statistics need, from jstat (no type
// declarations ship with it, so it is loaded through require and given the
// narrow typed surface used here).
import { createRequire } from 'node:module';

interface JStat {
  normal: { cdf(x: number, mean: number, sd: number): number; inv(p: number, mean: number, sd: number): number };
  studentt: { cdf(x: number, df: number): number; inv(p: number, df: number): number };
  binomial: { pdf(k: number, n: number, p: number): number };
  gammaln(x: number): number;
}

const jStat = createRequire(import.meta.url)('jstat') as JStat;

export function normalCdf(z: number): number {
  return jStat.normal.cdf(z, 0, 1);
}

export function normalQuantile(p: number): number {
  return jStat.normal.inv(p, 0, 1);
}

export function tCdf(t: number, df: number): number {
  if (!Number.isFinite(df)) return normalCdf(t);
  return jStat.studentt.cdf(t, df);
}

export function tQuantile(p: number, df: number): number {
  if (!Number.isFinite(df)) return normalQuantile(p);
  return jStat.studentt.inv(p, df);
}

/** ln Γ(x). */
export function logGamma(x: number): number {
  return jStat.gammaln(x);
}

/** Binomial probability mass through log-gamma, stable for large n. */
export function binomialPmf(k: number, n: number, p: number): number {
  if (k < 0 || k > n) return 0;
  if (p <= 0) return k === 0 ? 1 : 0;
  if (p >= 1) return k === n ? 1 : 0;
  const logC = logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1);
  return Math.exp(logC + k * Math.log(p) + (n - k) * Math.log1p(-p));
}
