// The log-odds ratio with an informative Dirichlet prior (Monroe, Colaresi &
// Quinn 2008, "Fightin' Words", eqs. 16–22): how much more one corpus uses a
// word than another, shrunk towards a background rate so rare words do not
// dominate, with a z-score that accounts for the word's frequency.
//
//   δ_w = ln[(y_wa + α_w) / (n_a + α₀ − y_wa − α_w)] − ln[(y_wb + α_w) / (n_b + α₀ − y_wb − α_w)]
//   σ²(δ_w) ≈ 1/(y_wa + α_w) + 1/(y_wb + α_w),   z_w = δ_w / σ(δ_w)
//
// α_w = α₀ · π_w, with π_w the word's rate in the background corpus: here the
// two corpora pooled unless another is given. α₀ is the prior's weight in
// words; by default the background's vocabulary size, so the prior adds about
// one pseudo-count per distinct term, spread by the pooled rates: enough to
// tame words seen once or twice, weak beside the counts of common words.

export interface LogOddsTerm {
  term: string;
  countA: number;
  countB: number;
  /** δ_w: positive when corpus A uses the term more. */
  delta: number;
  se: number;
  z: number;
}

export function logOddsDirichlet(
  countsA: ReadonlyMap<string, number>,
  countsB: ReadonlyMap<string, number>,
  opts: { background?: ReadonlyMap<string, number>; priorTotal?: number } = {},
): LogOddsTerm[] {
  const total = (m: ReadonlyMap<string, number>) => { let s = 0; for (const v of m.values()) s += v; return s; };
  const nA = total(countsA), nB = total(countsB);
  let background = opts.background;
  if (!background) {
    const pooled = new Map(countsA);
    for (const [w, c] of countsB) pooled.set(w, (pooled.get(w) ?? 0) + c);
    background = pooled;
  }
  const nBg = total(background);
  if (nBg === 0) return [];
  const alpha0 = opts.priorTotal ?? [...background.values()].filter((c) => c > 0).length;
  if (!(alpha0 > 0)) throw new RangeError(`logOddsDirichlet: the prior's weight must be > 0, got ${alpha0}`);
  const out: LogOddsTerm[] = [];
  for (const [term, bg] of background) {
    if (bg <= 0) continue;
    const aw = (alpha0 * bg) / nBg;
    const ya = countsA.get(term) ?? 0, yb = countsB.get(term) ?? 0;
    const delta = Math.log((ya + aw) / (nA + alpha0 - ya - aw)) - Math.log((yb + aw) / (nB + alpha0 - yb - aw));
    const se = Math.sqrt(1 / (ya + aw) + 1 / (yb + aw));
    out.push({ term, countA: ya, countB: yb, delta, se, z: delta / se });
  }
  return out;
}
