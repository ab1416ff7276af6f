// Rate limits that hold across the server's processes. One process on SQLite
// keeps its counts in memory; inside a `serve --workers N` worker on SQLite the
// counts live in the primary (rate-limiter-flexible's cluster limiter, answered
// by the RateLimiterClusterMaster that cluster.ts starts), so N workers do not
// give an address N times its allowance. On PostgreSQL the counts live in the
// database (rate-limiter-flexible's PostgreSQL store), so every process on it —
// on any machine — counts together. Limiters with the same keyPrefix share
// their counts: each prefix names one limit.
import cluster from 'node:cluster';
import type pg from 'pg';
import { RateLimiterCluster, RateLimiterMemory, RateLimiterPostgres, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { LIMITS_TABLE } from '../realtime/postgres-link.ts';

export interface LimiterOptions {
  keyPrefix: string;
  points: number;
  /** Window, seconds. */
  duration: number;
}

/**
 * The database the limits of this process count in, set while a server on
 * PostgreSQL runs (server.ts). A process serves one database, and the limiters
 * are made where they are used (logins, joins, /api/detect), so this is the one
 * per-process setting they read when they are made.
 */
let countsIn: pg.Pool | undefined;

/** Limits made from now on count in this pool's database (its LIMITS_TABLE exists: postgres-link.ts); returns the undo. */
export function countLimitsIn(pool: pg.Pool): () => void {
  countsIn = pool;
  return () => {
    if (countsIn === pool) countsIn = undefined;
  };
}

export function sharedLimiter(opts: LimiterOptions): RateLimiterAbstract {
  if (countsIn) {
    return new RateLimiterPostgres({ ...opts, storeClient: countsIn, storeType: 'pool', tableName: LIMITS_TABLE, tableCreated: true, clearExpiredByTimeout: true });
  }
  return cluster.isWorker ? new RateLimiterCluster({ ...opts, timeoutMs: 2000 }) : new RateLimiterMemory(opts);
}

/** Whether a rejected consume() means "over the limit" (a RateLimiterRes), not that the primary or the database did not answer (an Error). */
export const overLimit = (rejection: unknown): rejection is RateLimiterRes => rejection instanceof RateLimiterRes;
