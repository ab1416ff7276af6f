// Coverage designs (issue 16 item 3): every item of a pool rated by exactly k
// completed participants. The items are dealt into shares of
// `per_participant` (item i to share i mod S, so each share mixes the pool's
// models and prompts), and each share becomes a condition with target k whose
// `$condition` is just those items. Assignment then does the rest as for any
// design: a participant takes the least-filled share when they consent, and a
// share held by someone who leaves comes back once their slot TTL passes;
// a share stops taking people once k have completed it.
import type { Protocol } from './protocol.ts';
import { poolSize } from './pools.ts';

type Condition = Protocol['design']['conditions'][number];

/** The conditions a coverage design stands for (none when the pool or its size is unknown: the checks say so). */
export function coverageConditions(protocol: Protocol): Condition[] {
  const cov = protocol.design.coverage;
  if (!cov) return [];
  const pool = protocol.pools[cov.pool];
  const n = pool ? poolSize(pool) : null;
  if (!n) return [];
  const shares = Math.ceil(n / cov.per_participant);
  const width = String(shares).length;
  return Array.from({ length: shares }, (_, j) => ({
    id: `items-${String(j + 1).padStart(width, '0')}`,
    target: cov.raters,
    pools: [cov.pool],
    items: Array.from({ length: n }, (_, i) => i).filter((i) => i % shares === j).map((i) => `${cov.pool}-${i}`),
  }));
}

/** The protocol with a coverage design's conditions written out (as the version hashes it). */
export function withCoverage(protocol: Protocol): Protocol {
  if (!protocol.design.coverage || protocol.design.conditions.length > 0) return protocol;
  return { ...protocol, design: { ...protocol.design, conditions: coverageConditions(protocol) } };
}
