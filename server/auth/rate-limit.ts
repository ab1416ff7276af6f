// Login rate limiting with rate-limiter-flexible. An attempt is counted BEFORE
// its password is hashed (reserve) and settled after (a success gives its point
// back), so a burst of concurrent guesses cannot all be evaluated while the slow
// hash runs. Two limits:
// - per (account, address): guessing one account from one address is slow, with
//   a backoff that doubles each time the pair is blocked again;
// - per address overall: one address cannot spray many accounts.
// Nothing is counted per account alone, so an attacker elsewhere cannot lock the
// researcher out. Kept in memory (a restart forgives); rate-limiter-flexible has
// PostgreSQL and other stores for several processes.
import { createHash } from 'node:crypto';
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { sharedLimiter } from '../http/shared-limiter.ts';

export interface LoginLimitOptions {
  /** Attempts per (account, address) per window before a block. */
  perPair: number;
  /** Attempts per address (any accounts) per window; higher, since a lab may share one NAT address. */
  perAddress: number;
  windowS: number;
  /** The first block of a pair lasts this long; each further block within a day doubles, up to a day. */
  blockS: number;
}

export const LOGIN_LIMITS: LoginLimitOptions = { perPair: 8, perAddress: 30, windowS: 15 * 60, blockS: 15 * 60 };

const DAY_S = 24 * 60 * 60;

export type Reservation =
  | { ok: true; settle(success: boolean): Promise<void> }
  | { ok: false; retryAfterMs: number };

/**
 * One key per (account, address), unambiguous whatever the username holds, of
 * fixed length and free of NUL: on PostgreSQL the counts live in a VARCHAR(255)
 * column (shared-limiter.ts), which refuses a NUL byte and longer keys.
 */
const pairKey = (account: string, address: string) => createHash('sha256').update(JSON.stringify([account.toLowerCase(), address])).digest('hex');
const msOf = (r: unknown) => (r instanceof RateLimiterRes ? Math.max(1000, r.msBeforeNext) : 60_000);

export class LoginLimits {
  // Shared by the server's processes (`serve --workers`): a login attempt counts whichever worker takes it.
  private readonly pair: RateLimiterAbstract;
  private readonly address: RateLimiterAbstract;
  /** How many times a pair was blocked within a day: the exponent of its backoff. */
  private readonly strikes: RateLimiterAbstract;

  constructor(private readonly opts: LoginLimitOptions = LOGIN_LIMITS) {
    this.pair = sharedLimiter({ keyPrefix: 'pair', points: opts.perPair, duration: opts.windowS });
    this.address = sharedLimiter({ keyPrefix: 'addr', points: opts.perAddress, duration: opts.windowS });
    this.strikes = sharedLimiter({ keyPrefix: 'strike', points: 1_000_000, duration: DAY_S });
  }

  /**
   * Counts one attempt for (account, address) before the password is checked.
   * Refused: the caller answers 429 without hashing. Reserved: call settle()
   * with the outcome once the password has been checked.
   */
  async reserve(account: string, address: string): Promise<Reservation> {
    const key = pairKey(account, address);
    // Both consume calls update the counters synchronously, so concurrent attempts see each other.
    const [pair, addr] = await Promise.allSettled([this.pair.consume(key), this.address.consume(address)]);
    if (pair.status === 'rejected' || addr.status === 'rejected') {
      let wait = 0;
      if (pair.status === 'rejected') wait = Math.max(wait, await this.backoff(key, pair.reason));
      if (addr.status === 'rejected') wait = Math.max(wait, msOf(addr.reason));
      return { ok: false, retryAfterMs: wait };
    }
    return {
      ok: true,
      settle: async (success: boolean) => {
        if (!success) return;
        // The right password: this pair starts afresh, and the address gets its point back.
        await Promise.all([this.pair.delete(key), this.strikes.delete(key), this.address.reward(address, 1)]);
      },
    };
  }

  /** The pair just ran out: block it for blockS × 2^(strikes), once per exhaustion. */
  private async backoff(key: string, rejection: unknown): Promise<number> {
    const res = rejection instanceof RateLimiterRes ? rejection : undefined;
    // Already blocked (consumedPoints past the limit by more than this attempt): keep the current block.
    if (res && res.consumedPoints > this.opts.perPair + 1) return msOf(res);
    const strike = await this.strikes.consume(key);
    const seconds = Math.min(DAY_S, this.opts.blockS * 2 ** (strike.consumedPoints - 1));
    await this.pair.block(key, seconds);
    return seconds * 1000;
  }
}
