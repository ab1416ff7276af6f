// Who is connected. A present-but-slow participant keeps their slot: the
// realtime edge reports sockets here, and a heartbeat writes last-seen times in
// bulk (they only decide slot TTLs, so they are not written per event).
import type { Store } from '../store/store.ts';
import { ownLane } from '../store/group-commit.ts';

/**
 * Last-seen times per write. Each write holds its rows' locks until it commits, and an answer of one of them
 * waits for that (PostgreSQL, where other group transactions run meanwhile): a few hundred rows at a time,
 * not the thousands connected at once.
 */
const TOUCH_CHUNK = 250;
/** Heartbeats commit in a lane of their own: nobody's answer waits behind one in the queue. */
const PRESENCE_KEY = ownLane('presence');

export class Presence {
  /** Open sockets per participant. */
  private readonly connected = new Map<string, number>();
  /** Last activity of participants who disconnected since the last heartbeat. */
  private readonly seen = new Map<string, number>();
  /**
   * Participants with a response stored since the last heartbeat: that write set their last-seen time, so this
   * beat leaves them out (the next one writes them if they answer nothing more; a third of the TTL apart, a
   * last-seen time is never older than two thirds of it). Busy participants answer every few seconds: a beat
   * then writes almost nothing, and holds no locks their answers would wait for.
   */
  private readonly answered = new Set<string>();
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Store,
    private readonly now: () => number,
    /** Preview participants are not in the store, so they are never touched. */
    private readonly isPreview: (participantId: string) => boolean,
  ) {}

  setConnected(participantId: string, on: boolean): void {
    const n = (this.connected.get(participantId) ?? 0) + (on ? 1 : -1);
    if (n > 0) this.connected.set(participantId, n);
    else this.connected.delete(participantId);
    if (!this.isPreview(participantId)) this.seen.set(participantId, this.now());
  }

  /** A response of theirs was stored now (an answer or a timed-out page), with their last-seen time. */
  markAnswered(participantId: string): void {
    this.answered.add(participantId);
  }

  /** Beats a third of the shortest slot TTL apart (between 0.2 and 15 s), so a slot never lapses under a present participant. */
  start(slotTtlMs: number): void {
    const every = Math.max(200, Math.min(15_000, slotTtlMs / 3));
    this.heartbeat = setInterval(() => this.beat(), every);
    this.heartbeat.unref();
  }

  stop(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
  }

  private beat(): void {
    const now = this.now();
    // Who was seen since the last beat, at their time; who is connected now, at now. One entry each: one write.
    const seen = new Map(this.seen);
    this.seen.clear();
    for (const id of this.connected.keys()) if (!this.isPreview(id) && !this.answered.has(id)) seen.set(id, now);
    this.answered.clear();
    if (seen.size === 0) return;
    const all = [...seen];
    void (async () => {
      // A line of its own (the key), one chunk after another: a heartbeat never holds up anyone's answer for long.
      for (let i = 0; i < all.length; i += TOUCH_CHUNK) await this.store.batch((tx) => tx.touchMany(all.slice(i, i + TOUCH_CHUNK)), PRESENCE_KEY);
    })().catch(() => {
      // The store may be closing during shutdown; nothing is lost but a last-seen time.
    });
  }
}
