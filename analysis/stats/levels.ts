// Two samples as their distinct values (ascending) and how often each sample
// has each one. Answers on a scale (Likert points, 0–10 sliders, judgment
// scales) take a handful of values however many there are: rank statistics
// then walk the levels instead of sorting a million values, with the same
// sums in the same order as walking the sorted values (see rank-sum.ts, auroc.ts).

export interface Levels {
  /** Distinct values, ascending (−0 and 0 are one value, as === has them). */
  values: Float64Array;
  countX: Float64Array;
  countY: Float64Array;
}

/** Levels of x and y, or null when they have more than `max` distinct values (sort them instead). NaN must be gone. */
export function levelsOf(x: ArrayLike<number>, y: ArrayLike<number>, max = 256): Levels | null {
  const index = new Map<number, number>();
  const cx: number[] = [];
  const cy: number[] = [];
  const count = (values: ArrayLike<number>, own: number[], other: number[]): boolean => {
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      let k = index.get(v);
      if (k === undefined) {
        if (index.size === max) return false;
        index.set(v, (k = index.size));
        own.push(0);
        other.push(0);
      }
      own[k]++;
    }
    return true;
  };
  if (!count(x, cx, cy) || !count(y, cy, cx)) return null;
  const keys = [...index.keys()];
  const order = keys.map((_, k) => k).sort((a, b) => keys[a] - keys[b]);
  return {
    values: Float64Array.from(order, (k) => keys[k]),
    countX: Float64Array.from(order, (k) => cx[k]),
    countY: Float64Array.from(order, (k) => cy[k]),
  };
}
