// What happens next: where a participant goes after answering (or timing out
// on) the current page — the next page, another comprehension attempt, or an
// ending. Pure: the caller reads the record and writes the result.
import type { Protocol } from '../../studies/protocol.ts';
import type { ParticipantRecord, PlannedPage, Progress } from '../store/store.ts';

export interface CheckedAnswer {
  questionType: string;
  correct: boolean | null;
  valueJson: string | null;
}

export interface NextInput {
  p: ParticipantRecord;
  page: PlannedPage;
  answers: CheckedAnswer[];
  protocol: Protocol;
  now: number;
  timedOut: boolean;
  /** Trial pages this participant timed out on before this one (read only when the protocol limits them). */
  timedOutTrialsBefore: () => number;
}

export function nextProgress({ p, page, answers, protocol, now, timedOut, timedOutTrialsBefore }: NextInput): Progress {
  const end = (status: Progress['status'], flagged = p.flagged): Progress => ({
    pageIndex: p.pageIndex,
    pageStartedAt: p.pageStartedAt,
    deadlineAt: null,
    attempts: p.attempts,
    status,
    endedAt: now,
    flagged,
  });
  const advance = (flagged = p.flagged): Progress => {
    const i = p.pageIndex + 1;
    if (i >= p.plan.length) return end('completed', flagged);
    const limit = p.plan[i].timeLimitMs;
    return { pageIndex: i, pageStartedAt: now, deadlineAt: limit ? now + limit : null, attempts: 0, status: 'in-progress', endedAt: null, flagged };
  };
  if (page.kind === 'consent' && !timedOut) {
    const consent = answers.find((a) => a.questionType === 'consent');
    if (consent && consent.valueJson === 'false') return end('no-consent');
  }
  if (page.kind === 'consent' && timedOut) return end('no-consent');
  if (page.kind === 'comprehension') {
    if (answers.every((a) => a.correct !== false) && !timedOut) return advance();
    const used = p.attempts + 1;
    if (used >= (page.attempts ?? 2)) return end('failed-comprehension');
    return { pageIndex: p.pageIndex, pageStartedAt: now, deadlineAt: null, attempts: used, status: 'in-progress', endedAt: null, flagged: p.flagged };
  }
  const failedAttention = answers.some((a) => a.correct === false && (page.kind === 'attention' || a.questionType === 'attention'));
  if (failedAttention) {
    if (protocol.exclusions.failed_attention) return end('failed-attention', true);
    return advance(true);
  }
  if (timedOut && page.kind === 'trial' && protocol.exclusions.timed_out_trials_max != null) {
    if (timedOutTrialsBefore() + 1 > protocol.exclusions.timed_out_trials_max) return end('timed-out');
  }
  return advance();
}

/** Timed out where they stand, outside any answer: the study limit passed, or their place is gone (places.ts). */
export function timedOutNow(p: Pick<ParticipantRecord, 'pageIndex' | 'pageStartedAt' | 'attempts' | 'flagged'>, now: number): Progress {
  return { pageIndex: p.pageIndex, pageStartedAt: p.pageStartedAt, deadlineAt: null, attempts: p.attempts, status: 'timed-out', endedAt: now, flagged: p.flagged };
}

/** The earlier of the page's and the whole study's deadline (Infinity: none). */
export function nextDeadline(p: { deadlineAt: number | null; studyDeadlineAt: number | null }): number {
  return Math.min(p.deadlineAt ?? Infinity, p.studyDeadlineAt ?? Infinity);
}
