// The most recent N durations, for percentiles on /healthz and in the
// participants benchmark. Fixed memory however long the server runs.
export class LatencyRing {
  private readonly values: Float64Array;
  count = 0;

  constructor(size = 50_000) {
    this.values = new Float64Array(size);
  }

  add(ms: number): void {
    this.values[this.count++ % this.values.length] = ms;
  }

  /** Nearest-rank percentile (q in (0, 1]) of the values held; NaN when empty. */
  percentile(q: number): number {
    const n = Math.min(this.count, this.values.length);
    if (n === 0) return NaN;
    const sorted = this.values.slice(0, n).sort();
    return sorted[Math.min(n - 1, Math.ceil(q * n) - 1)];
  }
}
