// Login rate limiting: failed attempts are counted per client address and per
// username in a sliding window; past the limit, logins are refused (429) until
// the oldest failure leaves the window. Kept in memory: a restart forgives, which
// is acceptable for a single-operator research server.
export interface RateLimitOptions {
  /** Failures allowed per window per key. */
  maxFailures: number;
  windowMs: number;
}

/** Per username: guessing one account's password is slow from anywhere. */
export const USERNAME_LIMIT: RateLimitOptions = { maxFailures: 8, windowMs: 15 * 60 * 1000 };
/** Per address: higher, since a lab's researchers may share one NAT address. */
export const ADDRESS_LIMIT: RateLimitOptions = { maxFailures: 30, windowMs: 15 * 60 * 1000 };

export class LoginRateLimiter {
  private failures = new Map<string, number[]>();
  constructor(private readonly options: RateLimitOptions = USERNAME_LIMIT) {}

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

  forget(key: string): void {
    this.failures.delete(key);
  }
}

/** The two limits a login passes: per client address and per username. */
export class LoginLimits {
  readonly byAddress: LoginRateLimiter;
  readonly byUsername: LoginRateLimiter;
  constructor(address: RateLimitOptions = ADDRESS_LIMIT, username: RateLimitOptions = USERNAME_LIMIT) {
    this.byAddress = new LoginRateLimiter(address);
    this.byUsername = new LoginRateLimiter(username);
  }

  retryAfterMs(address: string, username: string, now = Date.now()): number {
    return Math.max(this.byAddress.retryAfterMs([address], now), this.byUsername.retryAfterMs([username.toLowerCase()], now));
  }

  recordFailure(address: string, username: string, now = Date.now()): void {
    this.byAddress.recordFailure([address], now);
    this.byUsername.recordFailure([username.toLowerCase()], now);
  }

  /** A successful login clears that username's failures (not the address's). */
  recordSuccess(username: string): void {
    this.byUsername.forget(username.toLowerCase());
  }
}
