// Places go to people (issue 13). Opening a study link holds nothing: a record
// takes its place in a condition only when the participant consents, and, when
// the protocol declares a recruiter, only if they arrived with a well-formed
// recruiter id. Records that never take a place never count toward a target and
// end (as no-consent) a few minutes after their browser left. New records are limited
// per network address (an IPv6 /64) per study per window, so a script cannot
// fill the participants table either.
//
// A place held by someone idle past the slot TTL counts as free, and when a
// later arrival takes it, it is taken from its holder in the same write
// (releasePlaces): so a condition's places held never exceed its target, and
// the one who left and comes back (or merely looked idle, their last-seen time
// written late on a busy database) takes a place anew before anything more of
// theirs is stored, or, none left, ends timed-out instead of completing over
// the target (placeLost).
import type { Protocol } from '../../studies/protocol.ts';
import { buildPlan } from '../../studies/plan.ts';
import { studyLockLane } from '../store/study-locks.ts';
import { addressKey } from '../http/client-address.ts';
import { overLimit, sharedLimiter } from '../http/shared-limiter.ts';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { ConditionCount, ParticipantRecord, Progress, Store, StoreTx } from '../store/store.ts';
import { chooseCondition } from './assign.ts';
import { timedOutNow } from './progress.ts';
import type { Runtime } from './registry.ts';

/**
 * The group-commit key (Store.batch) of every write that counts a study's places and may take one (a join
 * that takes one, a consent, a move, a place taken again): they commit in one line, so concurrent group
 * transactions (PostgreSQL's lanes) never wait for one another's place lock, and in a lane of its own
 * (study-locks.ts: each group takes the lock with its BEGIN) the participants' other writes, keyed by their
 * id, never wait behind them.
 */
export const placesKey = (studyId: string): string => studyLockLane('places', studyId);
/**
 * The group-commit key of a join that takes no place yet (it waits for the consent page): it needs no place
 * lock (its condition is a first choice; consent decides), so such joins commit in a line of their own,
 * beside the consents rather than behind them.
 */
export const joinsKey = (studyId: string): string => studyLockLane('joins', studyId);

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

/**
 * Whether the participant should hold a place now: past their consent page (from the start when the protocol
 * has none) with a recruiter id that counts; preview never does. Such a one without a place lost it (placeLost).
 */
export function placeExpected(p: ParticipantRecord, protocol: Protocol): boolean {
  if (p.preview || !recruiterIdOk(protocol, p.prolificPid)) return false;
  const consent = p.plan.findIndex((page) => page.kind === 'consent');
  return consent < 0 || p.pageIndex > consent;
}

/**
 * Before someone takes a place in a condition whose places are all held (completed, active, or idle past the
 * TTL): releases as many idle holders' places as that needs. False when they could not be released (on
 * PostgreSQL a write for one of them is under way: not gone after all), and then there is no room.
 */
export async function releaseIdlePlaces(tx: StoreTx, c: ConditionCount, p: Pick<ParticipantRecord, 'id' | 'studyId' | 'version'>, protocol: Protocol, now: number): Promise<boolean> {
  const count = c.completed + c.active + c.idle + 1 - c.target;
  if (count <= 0) return true;
  const seenBefore = now - protocol.design.slot_ttl_minutes * 60_000;
  return (await tx.releasePlaces({ studyId: p.studyId, version: p.version, condition: c.condition, count, seenBefore, takerId: p.id, now })) === count;
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
  if (own && own.completed + own.active < own.target && (await releaseIdlePlaces(tx, own, p, rt.protocol, now))) {
    return (await tx.takePlace(p, now)) ? 'placed' : 'already';
  }
  // Moving changes the plan the answer is checked against: the caller does it in a write of its own first.
  if (!opts.move) return 'needs-move';
  const a = chooseCondition(counts, p.seed);
  if ('full' in a) return 'full';
  const plan = buildPlan({ protocol: rt.protocol, stimuli: rt.list, condition: a.condition, seed: p.seed, participantIndex: p.index });
  // The consent page is answered now; the new plan must have it at the same position.
  if (plan[p.pageIndex]?.kind !== p.plan[p.pageIndex]?.kind) return 'full';
  if (!(await releaseIdlePlaces(tx, counts.find((c) => c.condition === a.condition)!, p, rt.protocol, now))) return 'full';
  return (await tx.takePlace(p, now, { condition: a.condition, plan })) ? 'moved' : 'already';
}

/** The event of a participant whose place was released and who found none left when they came back. */
export const PLACE_LOST = 'place-lost';

/**
 * Runs in a write transaction when a participant who should hold a place (placeExpected) has none (a write of
 * theirs was refused 'place-lost'): they take one again if their condition still has room ('kept'), else they
 * end timed-out, their answers kept, and never complete over the target ('ended', with the progress written).
 */
export async function placeLost(tx: StoreTx, participantId: string, rt: Runtime, now: number): Promise<'kept' | { ended: Progress } | 'gone'> {
  const p = await tx.participant(participantId);
  if (!p || p.status !== 'in-progress') return 'gone';
  const placed = await takePlace(tx, p, rt, now, { move: false });
  if (placed === 'placed' || placed === 'already') return 'kept';
  const ended = timedOutNow(p, now);
  if (!(await tx.setProgress(p.id, p.pageIndex, ended))) return 'gone';
  await tx.logEvent({ participantId: p.id, type: PLACE_LOST, pageIndex: p.pageIndex, data: { condition: p.condition }, at: now });
  await tx.logEvent({ participantId: p.id, type: 'ended', pageIndex: p.pageIndex, data: { status: ended.status }, at: now });
  return { ended };
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
