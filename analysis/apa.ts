// Numbers as a results section prints them (APA 7th): p as "< .001" or "= .038"
// without the leading zero, other statistics to three significant digits
// (never in exponent form), percentages to one decimal, counts grouped.

/** "< .001", ".038", ".50" (p without its leading zero; two or three decimals as APA asks). */
export function apaP(p: number): string {
  if (!Number.isFinite(p)) return '—';
  if (p < 0.001) return '< .001';
  const s = p >= 0.995 ? '1.00' : p < 0.01 ? p.toFixed(3) : p.toFixed(p < 0.1 ? 3 : 2);
  return s.replace(/^0(?=\.)/, '');
}

/** "p < .001" or "p = .038". */
export function pPhrase(p: number): string {
  const s = apaP(p);
  return s.startsWith('<') ? `p ${s}` : `p = ${s}`;
}

/** Three significant digits; integers of 100 and more as they are, grouped; −∞/∞ spelled. */
export function sig3(x: number): string {
  if (Number.isNaN(x)) return '—';
  if (x === Infinity) return '∞';
  if (x === -Infinity) return '−∞';
  if (x === 0) return '0';
  const a = Math.abs(x);
  let s: string;
  if (a >= 100) s = Math.round(a).toLocaleString('en-US');
  else {
    const digits = Math.max(0, 2 - Math.floor(Math.log10(a)));
    s = a.toFixed(Math.min(digits, 20));
    // Rounding can carry into a new digit (9.995 → "10.00"): recount.
    if (Number(s) >= 10 ** (Math.floor(Math.log10(a)) + 1)) s = Number(s).toFixed(Math.max(0, digits - 1));
  }
  return (x < 0 && Number(s) !== 0 ? '−' : '') + s;
}

/** Statistics bounded by 1 (correlations, AUROC, α) without the leading zero: ".614". */
export function bounded(x: number): string {
  return sig3(x).replace(/^(−?)0(?=\.)/, '$1');
}

export function percent(share: number): string {
  return Number.isFinite(share) ? `${(100 * share).toFixed(1)}%` : '—';
}

export function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** "[2.71, 3.15]" */
export function interval(lower: number, upper: number, fmt: (x: number) => string = sig3): string {
  return `[${fmt(lower)}, ${fmt(upper)}]`;
}
