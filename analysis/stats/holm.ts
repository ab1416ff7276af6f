// Holm's step-down adjustment, as R's p.adjust(method = "holm").
export function holmAdjust(p: readonly number[]): number[] {
  const m = p.length;
  const order = p.map((_, i) => i).filter((i) => !Number.isNaN(p[i])).sort((a, b) => p[a] - p[b]);
  const k = order.length;
  const out = p.map(() => NaN);
  let running = 0;
  order.forEach((i, rank) => {
    running = Math.max(running, Math.min(1, (k - rank) * p[i]));
    out[i] = running;
  });
  void m;
  return out;
}
