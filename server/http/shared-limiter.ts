// Rate limits that hold across the server's processes. One process keeps its
// counts in memory; inside a `serve --workers N` worker the counts live in the
// primary (rate-limiter-flexible's cluster limiter, answered by the
// RateLimiterClusterMaster that cluster.ts starts), so N workers do not give
// an address N times its allowance. Limiters with the same keyPrefix share
// their counts across workers: each prefix names one limit.
import cluster from 'node:cluster';
import { RateLimiterCluster, RateLimiterMemory, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';

export interface LimiterOptions {
  keyPrefix: string;
  points: number;
  /** Window, seconds. */
  duration: number;
}

export function sharedLimiter(opts: LimiterOptions): RateLimiterAbstract {
  return cluster.isWorker ? new RateLimiterCluster({ ...opts, timeoutMs: 2000 }) : new RateLimiterMemory(opts);
}

/** Whether a rejected consume() means "over the limit" (a RateLimiterRes), not that the primary did not answer in time (an Error). */
export const overLimit = (rejection: unknown): rejection is RateLimiterRes => rejection instanceof RateLimiterRes;
