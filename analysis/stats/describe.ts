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
