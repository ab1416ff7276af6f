// Login rate limiting: failed attempts are counted per client address and per
// username in a sliding window; past the limit, logins are refused (429) until
// the oldest failure leaves the window. Kept in memory: a restart forgives, which
// is acceptable for a single-operator research server.
export interface RateLimitOptions {
  /** Failures allowed per window per key. */
  maxFailures: number;
  windowMs: number;
}

export const DEFAULT_LOGIN_LIMIT: RateLimitOptions = { maxFailures: 8, windowMs: 15 * 60 * 1000 };

export class LoginRateLimiter {
  private failures = new Map<string, number[]>();
  constructor(private readonly options: RateLimitOptions = DEFAULT_LOGIN_LIMIT) {}

  private recent(key: string, now: number): number[] {
    const list = (this.failures.get(key) ?? []).filter((t) => now - t < this.options.windowMs);
    if (list.length) this.failures.set(key, list);
    else this.failures.delete(key);
    return list;
  }

  /** ms until a login may be tried for these keys, 0 when allowed now. */
  retryAfterMs(keys: string[], now = Date.now()): number {
    let wait = 0;
    for (const key of keys) {
      const list = this.recent(key, now);
      if (list.length >= this.options.maxFailures) {
        wait = Math.max(wait, list[list.length - this.options.maxFailures] + this.options.windowMs - now);
      }
    }
    return wait;
  }

  recordFailure(keys: string[], now = Date.now()): void {
    for (const key of keys) {
      const list = this.recent(key, now);
      list.push(now);
      this.failures.set(key, list);
    }
    // Bound memory under a flood of distinct addresses or usernames.
    if (this.failures.size > 10_000) {
      for (const key of [...this.failures.keys()]) this.recent(key, now);
      while (this.failures.size > 10_000) this.failures.delete(this.failures.keys().next().value!);
    }
  }

  /** A successful login clears that username's failures (not the address's). */
  recordSuccess(usernameKey: string): void {
    this.failures.delete(usernameKey);
  }
}
