// Real or Fake Text boundary picks: how often people hit the first machine
// sentence exactly (against chance = 1 / number of sentences, averaged over
// the passages shown), the mean signed distance (positive = guessed late) and
// RoFT points: 5 for the exact sentence, max(0, 5 − distance) after it, 0 before.
import type { Collected } from './collect.ts';
import { kept, type Exclusions } from './exclusions.ts';
import { wilsonInterval, type Proportion } from './stats/wilson.ts';
import { binomialTest } from './stats/binomial-test.ts';
import { meanTCi, type MeanCi } from './stats/mean-ci.ts';

export interface RoftAnalysis {
  picks: number;
  dropped: number;
  exact: Proportion;
  /** Mean of 1 / sentences over the picks; the exact test uses it as p0. */
  chance: number;
  binomialP: number;
  signedDistance: MeanCi;
  points: MeanCi;
  distances: { distance: number; count: number }[];
}

export function roftPoints(guess: number, boundary: number): number {
  return guess < boundary ? 0 : Math.max(0, 5 - (guess - boundary));
}

export function analyzeRoft(c: Collected, ex: Exclusions): RoftAnalysis | null {
  const picks = c.boundaries.filter((b) => kept(ex, b));
  if (picks.length === 0) return null;
  let exact = 0, chanceSum = 0, chanceN = 0;
  const dist: number[] = [], pts: number[] = [];
  const counts = new Map<number, number>();
  for (const b of picks) {
    const d = b.guess - b.boundary;
    if (d === 0) exact++;
    if (b.sentences != null && b.sentences > 0) {
      chanceSum += 1 / b.sentences;
      chanceN++;
    }
    dist.push(d);
    pts.push(roftPoints(b.guess, b.boundary));
    counts.set(d, (counts.get(d) ?? 0) + 1);
  }
  const chance = chanceN ? chanceSum / chanceN : NaN;
  return {
    picks: picks.length,
    dropped: c.boundaries.length - picks.length,
    exact: wilsonInterval(exact, picks.length),
    chance,
    binomialP: Number.isFinite(chance) ? binomialTest(exact, picks.length, chance).p : NaN,
    signedDistance: meanTCi(dist),
    points: meanTCi(pts),
    distances: [...counts.keys()].sort((a, b) => a - b).map((distance) => ({ distance, count: counts.get(distance)! })),
  };
}
