// Krippendorff's alpha through the coincidence matrix (Krippendorff 2011,
// "Computing Krippendorff's Alpha-Reliability"): α = 1 − D_o / D_e. A unit is
// the list of values the coders gave one item (missing values left out); units
// with fewer than two values are not pairable and drop out.
export type AlphaLevel = 'nominal' | 'ordinal' | 'interval';

export interface Alpha {
  alpha: number;
  /** Pairable values. */
  n: number;
  units: number;
  level: AlphaLevel;
}

export function krippendorffAlpha(units: Iterable<readonly (number | string)[]>, level: AlphaLevel = 'nominal'): Alpha {
  const categories = new Map<number | string, number>();
  const catOf = (v: number | string): number => {
    let c = categories.get(v);
    if (c === undefined) categories.set(v, (c = categories.size));
    return c;
  };
  const pairable: Map<number, number>[] = [];
  for (const unit of units) {
    if (unit.length < 2) continue;
    const counts = new Map<number, number>();
    for (const v of unit) {
      const c = catOf(v);
      counts.set(c, (counts.get(c) ?? 0) + 1);
    }
    pairable.push(counts);
  }
  const K = categories.size;
  const o = new Float64Array(K * K);
  for (const counts of pairable) {
    let m = 0;
    for (const c of counts.values()) m += c;
    for (const [c, nc] of counts) {
      for (const [k, nk] of counts) o[c * K + k] += (c === k ? nc * (nc - 1) : nc * nk) / (m - 1);
    }
  }
  const nc = new Float64Array(K);
  let n = 0;
  for (let c = 0; c < K; c++) for (let k = 0; k < K; k++) nc[c] += o[c * K + k];
  for (let c = 0; c < K; c++) n += nc[c];
  const values = [...categories.keys()];
  const delta = distance(values, nc, level);
  let observed = 0, expected = 0;
  for (let c = 0; c < K; c++) {
    for (let k = 0; k < K; k++) {
      const d2 = delta(c, k);
      observed += o[c * K + k] * d2;
      expected += nc[c] * nc[k] * d2;
    }
  }
  const alpha = expected === 0 ? NaN : 1 - ((n - 1) * observed) / expected;
  return { alpha, n, units: pairable.length, level };
}

function distance(values: (number | string)[], nc: Float64Array, level: AlphaLevel): (c: number, k: number) => number {
  if (level === 'nominal') return (c, k) => (c === k ? 0 : 1);
  const nums = values.map((v) => {
    const x = typeof v === 'number' ? v : Number(v);
    if (!Number.isFinite(x)) throw new TypeError(`krippendorffAlpha: ${level} level needs numeric values, got ${JSON.stringify(v)}`);
    return x;
  });
  if (level === 'interval') return (c, k) => (nums[c] - nums[k]) ** 2;
  // Ordinal: the squared count of values between two ranks, half-counting the ends.
  const order = nums.map((_, i) => i).sort((a, b) => nums[a] - nums[b]);
  const pos = new Array<number>(nums.length);
  order.forEach((c, r) => (pos[c] = r));
  const cum = [0];
  for (const c of order) cum.push(cum[cum.length - 1] + nc[c]);
  return (c, k) => {
    if (c === k) return 0;
    const lo = Math.min(pos[c], pos[k]);
    const hi = Math.max(pos[c], pos[k]);
    const between = cum[hi + 1] - cum[lo];
    return (between - (nc[c] + nc[k]) / 2) ** 2;
  };
}
