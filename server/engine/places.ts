// Places go to people (issue 13). Opening a study link holds nothing: a record
// takes its place in a condition only when the participant consents, and, when
// the protocol declares a recruiter, only if they arrived with a well-formed
// recruiter id. Records that never take a place never count toward a target and
// end (as no-consent) a few minutes after their browser left. New records are limited
// per network address (an IPv6 /64) per study per window, so a script cannot
// fill the participants table either.
import type { Protocol } from '../../studies/protocol.ts';
import { buildPlan } from '../../studies/plan.ts';
import { addressKey } from '../http/client-address.ts';
import { overLimit, sharedLimiter } from '../http/shared-limiter.ts';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { ParticipantRecord, Store, StoreTx } from '../store/store.ts';
import { chooseCondition } from './assign.ts';
import type { Runtime } from './registry.ts';

/** A record without a place, unseen this long, is ended (its browser left before consenting). */
export const UNPLACED_TTL_MS = 5 * 60_000;

/** Joins that never consented end a few minutes after their browser left (they never held a place). */
export function sweepUnplaced(store: Store, now: () => number): NodeJS.Timeout {
  const sweep = setInterval(() => {
    const t = now();
    store.batch((tx) => tx.expireUnplaced(t - UNPLACED_TTL_MS, t)).catch(() => {
      // The store may be closing; the next sweep (or start) retries.
    });
  }, Math.min(60_000, UNPLACED_TTL_MS / 5));
  sweep.unref();
  return sweep;
}

/** Whether the participant's recruiter id lets them take a place (always, when the protocol declares no recruiter). */
export function recruiterIdOk(protocol: Protocol, pid: string | null): boolean {
  const prolific = protocol.recruitment.prolific;
  if (!prolific) return true;
  return pid != null && new RegExp(prolific.id_pattern).test(pid);
}

/** A protocol without a consent page gives the place at the join itself (nothing else to wait for). */
export function placeAtJoin(protocol: Protocol, pid: string | null, now: number): number | null {
  const consents = protocol.phases.some((ph) => ph.kind === 'consent');
  return !consents && recruiterIdOk(protocol, pid) ? now : null;
}

export type PlaceOutcome = 'placed' | 'moved' | 'full' | 'no-recruiter-id' | 'already' | 'needs-move';

/**
 * Runs inside a write transaction when a participant consents: the place in their
 * condition if it still has room, else in the condition assignment would choose
 * now (a new plan from the same seed and index), else none ('full').
 */
export async function takePlace(tx: StoreTx, p: ParticipantRecord, rt: Runtime, now: number, opts: { move: boolean }): Promise<PlaceOutcome> {
  if (p.placeAt != null) return 'already';
  if (!recruiterIdOk(rt.protocol, p.prolificPid)) return 'no-recruiter-id';
  const counts = await tx.conditionCounts(p.studyId, now, p.version);
  const own = counts.find((c) => c.condition === p.condition);
  if (own && own.completed + own.active < own.target) return (await tx.takePlace(p.id, now)) ? 'placed' : 'already';
  // Moving changes the plan the answer is checked against: the caller does it in a write of its own first.
  if (!opts.move) return 'needs-move';
  const a = chooseCondition(counts, p.seed);
  if ('full' in a) return 'full';
  const plan = buildPlan({ protocol: rt.protocol, stimuli: rt.list, condition: a.condition, seed: p.seed, participantIndex: p.index });
  // The consent page is answered now; the new plan must have it at the same position.
  if (plan[p.pageIndex]?.kind !== p.plan[p.pageIndex]?.kind) return 'full';
  return (await tx.takePlace(p.id, now, { condition: a.condition, plan })) ? 'moved' : 'already';
}

/** New participants per (study, address) per window, as each protocol says, counted across the server's processes. */
export class JoinLimits {
  private readonly limiters = new Map<string, RateLimiterAbstract>();

  /** Counts one new participant from this address; false when the address is past its limit. */
  async allow(protocol: Protocol, address: string): Promise<boolean> {
    const { limit, window_minutes } = protocol.design.joins_per_address;
    const key = `${protocol.id}\u0000${limit}\u0000${window_minutes}`;
    let limiter = this.limiters.get(key);
    if (!limiter) {
      // The prefix names the limit itself: workers count one limit together, and a changed limit starts afresh.
      limiter = sharedLimiter({ keyPrefix: `joins:${protocol.id}:${limit}:${window_minutes}`, points: limit, duration: Math.max(1, Math.round(window_minutes * 60)) });
      this.limiters.set(key, limiter);
    }
    try {
      await limiter.consume(addressKey(address));
      return true;
    } catch (r) {
      // Past the limit; a limiter that could not answer (the primary busy) lets the participant in.
      return !overLimit(r);
    }
  }
}
