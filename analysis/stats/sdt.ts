// Signal detection: sensitivity d′ = z(H) − z(F) and criterion
// c = −(z(H) + z(F)) / 2, with "machine" as the signal. The log-linear
// correction (Hautus 1995) adds 0.5 to the hit and false-alarm counts and 1 to
// the signal and noise trial counts, so rates of 0 or 1 stay finite; it is
// applied to every cell (the less biased choice in Hautus' simulations), or
// only when a rate is extreme, or not at all.
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
}

export function sdt(counts: SdtCounts, correction: SdtCorrection = 'loglinear'): Sdt {
  const { hits, misses, falseAlarms, correctRejections } = counts;
  const signal = hits + misses;
  const noise = falseAlarms + correctRejections;
  const rawH = hits / signal;
  const rawF = falseAlarms / noise;
  const extreme = rawH === 0 || rawH === 1 || rawF === 0 || rawF === 1;
  const corrected = correction === 'loglinear' || (correction === 'loglinear-when-extreme' && extreme);
  const H = corrected ? (hits + 0.5) / (signal + 1) : rawH;
  const F = corrected ? (falseAlarms + 0.5) / (noise + 1) : rawF;
  const zH = normalQuantile(H);
  const zF = normalQuantile(F);
  return { hitRate: H, falseAlarmRate: F, dPrime: zH - zF, criterion: -(zH + zF) / 2, corrected };
}
