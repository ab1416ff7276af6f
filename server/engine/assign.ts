// Between-subject assignment: the least-filled condition, counting completed
// participants plus those in progress who were active within the slot TTL (so
// abandoned slots come back). Ties are broken by the participant's seeded RNG.
import { createRng, deriveSeed } from '../../studies/random.ts';
import type { ConditionCount } from '../store/store.ts';

export type Assignment = { condition: string } | { full: true; reason: 'full' | 'busy' };

export function chooseCondition(counts: readonly ConditionCount[], seed: number): Assignment {
  const open = counts.filter((c) => c.completed + c.active < c.target);
  if (open.length === 0) {
    // 'full': every target met. 'busy': the remaining slots are held by people still in progress.
    return { full: true, reason: counts.every((c) => c.completed >= c.target) ? 'full' : 'busy' };
  }
  // Least filled relative to its target, so unequal targets fill in proportion.
  const fill = (c: ConditionCount) => (c.completed + c.active) / c.target;
  const least = Math.min(...open.map(fill));
  const tied = open.filter((c) => Math.abs(fill(c) - least) < 1e-12);
  const rng = createRng(deriveSeed(seed, 'assign'));
  return { condition: tied[rng.int(tied.length)].condition };
}
