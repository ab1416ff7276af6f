// Submits under way, by participant and client id. A client's retry of one
// still being written (its ack timed out: the database is slow) waits for it
// instead of reading and writing again: at 6,000 bots on PostgreSQL every retry
// was new work, the acks slowed further and the retries multiplied (110,288 for
// 6,000 bots, none of them done within the benchmark's limit).
import type { SubmitResultView } from './engine.ts';

export class SubmitsUnderWay {
  private readonly running = new Map<string, Promise<SubmitResultView>>();

  /** Runs submit unless the same one is under way; a retry gets its answer, as a duplicate when accepted (as any retry of a stored submit). */
  run(participantId: string, clientId: string, submit: () => Promise<SubmitResultView>): Promise<SubmitResultView> {
    const key = `${participantId}\u0000${clientId}`;
    const running = this.running.get(key);
    if (running) return running.then((r) => (r.ack.ok ? { ...r, ack: { ok: true, duplicate: true } } : r));
    const r = submit().finally(() => this.running.delete(key));
    this.running.set(key, r);
    return r;
  }
}
