// Honest response times: the server's own observation of each page (when it
// was last sent) beside what the browser reports, and the participant's
// latest draft of the page, kept in memory for the timeout. A process that
// restarted (or another worker) knows only when the page started, which the
// record holds, so the check then uses that alone.
import type { Draft } from '../../studies/vocabulary/participant-wire.ts';

/**
 * How far a reported response time may fall outside the server's own
 * observation of the page: the page's trip to the browser and its first paint,
 * plus the answer's trip back, on a slow phone connection under load.
 * Measured (test/e2e/trust.test.ts prints it): Chromium on loopback, on two
 * cores shared with a load average of about 20, showed gaps of 182 and 221 ms between
 * the server's observation and the browser's. A phone adds its round trips (a
 * slow 3G link: 0.3–0.6 s each way with socket.io's frames) and a slower first
 * paint, which the 2 s keep clear of, while a forged time (the bots' old 0–10 ms
 * after a 5–20 s reading wait) stays far outside it.
 */
export const RT_SLACK_MS = 2000;

/**
 * Whether a reported response time contradicts the server's observation. The
 * browser counts from its first paint of the page, which came after some
 * sending of it (the first, or a later one after a reload) and within the
 * slack of it: so it cannot exceed the time since the first sending, nor fall
 * short of the time since the last sending, nor of a minimum reading time the
 * browser itself enforces.
 */
export function rtInconsistent(o: { reportedMs: number; sinceFirstSentMs: number; sinceLastSentMs: number | null; minReadMs?: number }): boolean {
  if (o.reportedMs > o.sinceFirstSentMs + RT_SLACK_MS) return true;
  if (o.sinceLastSentMs !== null && o.reportedMs < o.sinceLastSentMs - RT_SLACK_MS) return true;
  return o.minReadMs !== undefined && o.reportedMs < o.minReadMs - RT_SLACK_MS;
}

export class PageWatch {
  private readonly lastSent = new Map<string, { pageIndex: number; at: number }>();
  private readonly drafts = new Map<string, Draft>();

  /** The participant was sent a page (again) now, or their ending: then nothing more is watched. */
  sent(participantId: string, outcome: { page: { index: number } } | { done: unknown }, at: number): void {
    if ('page' in outcome) this.lastSent.set(participantId, { pageIndex: outcome.page.index, at });
    else {
      this.lastSent.delete(participantId);
      this.drafts.delete(participantId);
    }
  }

  /**
   * The server's observation of an answer to the page the participant is on
   * (started at `pageStartedAt`), and whether the reported time contradicts it.
   */
  observe(p: { id: string; pageIndex: number; pageStartedAt: number }, reportedMs: number, minReadMs: number | undefined, now: number): { rtServerMs: number; rtInconsistent: boolean } {
    const s = this.lastSent.get(p.id);
    const lastSent = s && s.pageIndex === p.pageIndex ? s.at : null;
    const rtServerMs = now - p.pageStartedAt;
    return {
      rtServerMs,
      rtInconsistent: rtInconsistent({ reportedMs, sinceFirstSentMs: rtServerMs, sinceLastSentMs: lastSent === null ? null : now - lastSent, minReadMs }),
    };
  }

  /** Keeps the participant's latest answers on their current page (drafts of other pages, or after the end, are ignored). */
  setDraft(p: { id: string; status: string; pageIndex: number } | undefined, d: Draft): void {
    if (p && p.status === 'in-progress' && p.pageIndex === d.pageIndex) this.drafts.set(p.id, d);
  }

  /** The answers given so far on this page ({} when none). */
  draftOf(participantId: string, pageIndex: number): Record<string, unknown> {
    const d = this.drafts.get(participantId);
    return d && d.pageIndex === pageIndex ? d.answers : {};
  }
}
