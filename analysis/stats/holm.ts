// Holm's step-down adjustment, as R's p.adjust(method = "holm"); NaN
// p-values (tests that could not run) stay NaN and do not count in the family.
export function holmAdjust(p: readonly number[]): number[] {
  const order = p.map((_, i) => i).filter((i) => !Number.isNaN(p[i])).sort((a, b) => p[a] - p[b]);
  const k = order.length;
  const out = p.map(() => NaN);
  let running = 0;
  order.forEach((i, rank) => {
    running = Math.max(running, Math.min(1, (k - rank) * p[i]));
    out[i] = running;
  });
  return out;
}
