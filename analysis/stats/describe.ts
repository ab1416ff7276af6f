// Mean, variance and standard deviation in one pass (Welford), the building
// block of every other statistic here.
export interface Summary {
  n: number;
  mean: number;
  /** Sample variance (n − 1 denominator); NaN when n < 2. */
  variance: number;
  sd: number;
}

export function summarize(values: ArrayLike<number>): Summary {
  let n = 0;
  let mean = 0;
  let m2 = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i];
    n++;
    const d = x - mean;
    mean += d / n;
    m2 += d * (x - mean);
  }
  const variance = n > 1 ? m2 / (n - 1) : NaN;
  return { n, mean: n > 0 ? mean : NaN, variance, sd: Math.sqrt(variance) };
}

/** Average ranks (1-based), ties sharing the mean of the ranks they span. */
export function averageRanks(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a] - values[b]);
  const ranks = new Float64Array(n);
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && values[order[j + 1]] === values[order[i]]) j++;
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k]] = r;
    i = j + 1;
  }
  return ranks;
}

/**
 * The values that are not NaN, and how many were dropped. Rank statistics
 * call this first: NaN compares false with everything, so sorting it gives an
 * order (and a result) that depends on where it happened to stand.
 */
export function withoutNaN(values: ArrayLike<number>): { values: ArrayLike<number>; removed: number } {
  let removed = 0;
  for (let i = 0; i < values.length; i++) if (Number.isNaN(values[i])) removed++;
  if (removed === 0) return { values, removed };
  const kept = new Float64Array(values.length - removed);
  let j = 0;
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i])) kept[j++] = values[i];
  return { values: kept, removed };
}

/** Throws a RangeError naming `what` when a value is NaN. */
export function refuseNaN(values: ArrayLike<number>, what: string): void {
  for (let i = 0; i < values.length; i++) {
    if (Number.isNaN(values[i])) throw new RangeError(`${what}: value ${i + 1} is NaN (remove missing values first)`);
  }
}
