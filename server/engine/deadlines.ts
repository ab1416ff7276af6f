// Deadline timers: one per in-progress participant with a page or study limit.
// The server owns time (invariant 1, docs/architecture.md): a timer fires whether or not a
// browser is connected, and the engine's startup sweep handles deadlines that
// passed while the process was down.

/** setTimeout's longest delay; later deadlines re-arm when it fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class Deadlines {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  /** `due` is called when a participant's deadline (or the longest timer delay) has passed. */
  constructor(
    private readonly now: () => number,
    private readonly due: (participantId: string) => void,
  ) {}

  /** Sets the participant's one timer to `at` (epoch ms); Infinity only clears it. */
  arm(participantId: string, at: number): void {
    this.disarm(participantId);
    if (!Number.isFinite(at)) return;
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, at - this.now()));
    const t = setTimeout(() => {
      this.timers.delete(participantId);
      this.due(participantId);
    }, delay);
    t.unref?.();
    this.timers.set(participantId, t);
  }

  disarm(participantId: string): void {
    const t = this.timers.get(participantId);
    if (t) clearTimeout(t);
    this.timers.delete(participantId);
  }

  clear(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
