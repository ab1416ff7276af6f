// Signal detection: sensitivity d′ = z(H) − z(F) and criterion
// c = −(z(H) + z(F)) / 2, with "machine" as the signal. The log-linear
// correction (Hautus 1995) adds 0.5 to the hit and false-alarm counts and 1 to
// the signal and noise trial counts, so rates of 0 or 1 stay finite; it is
// applied to every cell (the less biased choice in Hautus' simulations), or
// only when a rate is extreme, or not at all ('none': a rate of 0 or 1 gives
// an infinite d′, as the definition says).
//
// Without signal trials there is no hit rate, and without noise trials no
// false-alarm rate: d′ and c are then not estimable (the correction would
// otherwise invent a rate of 0.5 and report d′ as if it had been measured).
import { normalQuantile } from './distributions.ts';

export type SdtCorrection = 'loglinear' | 'loglinear-when-extreme' | 'none';

export interface SdtCounts {
  hits: number;
  misses: number;
  falseAlarms: number;
  correctRejections: number;
}

export interface Sdt {
  hitRate: number;
  falseAlarmRate: number;
  dPrime: number;
  criterion: number;
  corrected: boolean;
  /** Why d′ and c are NaN, when they are. */
  notEstimable?: string;
}

export function sdt(counts: SdtCounts, correction: SdtCorrection = 'loglinear'): Sdt {
  const { hits, misses, falseAlarms, correctRejections } = counts;
  for (const [name, v] of Object.entries(counts)) {
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`sdt: ${name} must be a count (an integer ≥ 0), got ${v}`);
  }
  const signal = hits + misses;
  const noise = falseAlarms + correctRejections;
  if (signal === 0 || noise === 0) {
    const why = signal === 0 && noise === 0 ? 'no trials' : signal === 0 ? 'no machine trials' : 'no human trials';
    return { hitRate: signal ? hits / signal : NaN, falseAlarmRate: noise ? falseAlarms / noise : NaN, dPrime: NaN, criterion: NaN, corrected: false, notEstimable: why };
  }
  const rawH = hits / signal;
  const rawF = falseAlarms / noise;
  const extreme = rawH === 0 || rawH === 1 || rawF === 0 || rawF === 1;
  const corrected = correction === 'loglinear' || (correction === 'loglinear-when-extreme' && extreme);
  const H = corrected ? (hits + 0.5) / (signal + 1) : rawH;
  const F = corrected ? (falseAlarms + 0.5) / (noise + 1) : rawF;
  const zH = normalQuantile(H);
  const zF = normalQuantile(F);
  const dPrime = zH - zF;
  const criterion = -(zH + zF) / 2;
  const out: Sdt = { hitRate: H, falseAlarmRate: F, dPrime, criterion, corrected };
  // ∞ − ∞: both rates 0 or both 1 without correction.
  if (Number.isNaN(dPrime)) out.notEstimable = 'hit and false-alarm rates both 0 or both 1';
  return out;
}
