// Deadlines: the server owns time (invariant 1, docs/architecture.md). A page
// or study deadline is recorded as passed whether or not a browser is
// connected, and, with several server processes on one database, by exactly
// one of them: whoever expires a deadline first claims it in the database
// (store.claimDeadlines), and a claim lapses after a lease, so a process that
// died holding one does not take it along.
//
// Two ways reach a due deadline. The process a participant is on arms a timer
// for them (when they join, resume or move on) and claims their deadline the
// moment it passes, with their draft answers at hand. Every process also
// sweeps the database for deadlines some time past due that nobody took: those
// of a process that died, or that passed while the server was down (swept at
// start).
import { nextDeadline } from './progress.ts';
import type { Store } from '../store/store.ts';

/** setTimeout's longest delay; later deadlines re-arm when it fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** A claim lapses after this long: the claimer died (or hung) before it recorded the deadline. */
export const CLAIM_LEASE_MS = 15_000;
/** How long a passed deadline is left to the participant's own process before any process sweeps it. */
export const SWEEP_GRACE_MS = 1_000;
const SWEEP_EVERY_MS = 500;
const SWEEP_BATCH = 200;

export interface DeadlineOptions {
  now: () => number;
  /** The store every process shares (swept). */
  store: Store;
  /** The store a participant lives in (preview participants live in this process only). */
  storeOf: (participantId: string) => Store;
  /** Records a claimed deadline (engine.expire). */
  expire: (participantId: string) => Promise<void>;
  /** A deadline that failed to record (logged; the sweep retries it once the claim lapses). */
  failed: (participantId: string, err: unknown) => void;
}

export class Deadlines {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private sweeper: NodeJS.Timeout | undefined;
  private sweeping = false;

  constructor(private readonly opts: DeadlineOptions) {}

  /** Sets the participant's one timer in this process to `at` (epoch ms); Infinity only clears it. */
  arm(participantId: string, at: number): void {
    this.disarm(participantId);
    if (!Number.isFinite(at)) return;
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, at - this.opts.now()));
    const t = setTimeout(() => {
      this.timers.delete(participantId);
      this.fire(participantId).catch((err) => this.opts.failed(participantId, err));
    }, delay);
    t.unref?.();
    this.timers.set(participantId, t);
  }

  /** Stops this process's timer (the participant ended, or another process took them over). */
  disarm(participantId: string): void {
    const t = this.timers.get(participantId);
    if (t) clearTimeout(t);
    this.timers.delete(participantId);
  }

  /** Sweeps every deadline already past (startup), then keeps sweeping those past by more than the grace. */
  async start(): Promise<void> {
    await this.sweep(this.opts.now());
    this.sweeper = setInterval(() => void this.sweep(this.opts.now() - SWEEP_GRACE_MS), SWEEP_EVERY_MS);
    this.sweeper.unref();
  }

  stop(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  private async fire(participantId: string): Promise<void> {
    const store = this.opts.storeOf(participantId);
    const now = this.opts.now();
    const [mine] = await store.claimDeadlines({ dueBefore: now, now, leaseMs: CLAIM_LEASE_MS, limit: 1, only: participantId });
    if (mine) return this.opts.expire(participantId);
    // Not claimed: another process holds it, or it is not due yet (a delay longer than a timer takes).
    const p = await store.participant(participantId);
    if (p?.status === 'in-progress' && nextDeadline(p) > now) this.arm(participantId, nextDeadline(p));
  }

  private async sweep(dueBefore: number): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      for (;;) {
        const claimed = await this.opts.store.claimDeadlines({ dueBefore, now: this.opts.now(), leaseMs: CLAIM_LEASE_MS, limit: SWEEP_BATCH });
        await Promise.all(claimed.map((id) => this.opts.expire(id).catch((err) => this.opts.failed(id, err))));
        if (claimed.length < SWEEP_BATCH) break;
      }
    } catch {
      // The store may be closing during shutdown; the next sweep (here or in another process) retries.
    } finally {
      this.sweeping = false;
    }
  }
}
