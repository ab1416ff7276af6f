// A study's locks on PostgreSQL (advisory locks, held to the end of the
// transaction, across the server's processes): 'places' serialises counting
// and taking its places, 'joins' making its new records (their index, a
// recruiter id's one record). A join that takes a place takes both, places
// first; nothing takes them the other way round, so the two never deadlock.
//
// The writes that take one commit in a lane of their own (group-commit.ts
// ownLane) whose key names the lock, and every group of that lane takes it
// with its BEGIN, in one round trip: a study's consents during a burst of
// arrivals are one group after another under that lock, and a round trip less
// per group was a turn less of a busy event loop for each of them.
import { ownLane, ownLaneName } from './group-commit.ts';

export type StudyLock = 'places' | 'joins';

/** The lock's name; the database locks hashtext() of it. */
export const studyLockName = (what: StudyLock, studyId: string): string => `credence:${what}:${studyId}`;

/** The statement that takes a lock by name until the transaction ends; `name` is SQL (a parameter or a literal). */
export const lockStatement = (name: string): string => `SELECT pg_advisory_xact_lock(hashtext(${name}))`;

/** The group-commit key (Store.batch) of writes that take the study's lock: a lane of its own. */
export const studyLockLane = (what: StudyLock, studyId: string): string => ownLane(`${what}\u0000${studyId}`);

/** The lock a lane's key names (studyLockLane); undefined for any other key. */
export function laneStudyLock(key: string | undefined): string | undefined {
  const m = key === undefined ? null : /^(places|joins)\u0000([^]*)$/.exec(ownLaneName(key) ?? '');
  return m ? studyLockName(m[1] as StudyLock, m[2]) : undefined;
}
