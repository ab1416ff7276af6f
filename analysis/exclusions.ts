// Exclusions are data: every reason is flagged and counted whether or not it
// removes anyone, and a reason removes data only when the protocol declares
// the rule (exclusions.failed_attention, timed_out_trials_max, min_rt_ms).
// failed attention and too many timed-out trials remove the participant;
// min_rt_ms removes the single too-fast answer.
import type { Collected } from './collect.ts';
import type { ResponseRow } from './rows.ts';

/**
 * A trial answer faster than the protocol's min_rt_ms: the fastest credible
 * answer to reading a text and judging it. A consent, attention or
 * questionnaire page answered faster is no sign of skimming.
 */
export function isTooFast(r: Pick<ResponseRow, 'timed_out' | 'page_kind' | 'rt_ms'>, minRtMs: number | null): boolean {
  return !r.timed_out && r.page_kind === 'trial' && minRtMs != null && r.rt_ms != null && r.rt_ms < minRtMs;
}

/** An attention check answered wrongly or left to time out (the engine ends such a participant when the rule says so). */
export function failsAttention(r: Pick<ResponseRow, 'page_kind' | 'question_type' | 'correct' | 'timed_out'>): boolean {
  return (r.page_kind === 'attention' || r.question_type === 'attention') && (r.correct === false || r.timed_out);
}

export interface ExclusionReason {
  reason: 'unfinished' | 'failed_attention' | 'too_many_timeouts' | 'too_fast' | 'rt_inconsistent';
  /** The rule as the protocol declares it, or why nothing is applied. */
  rule: string;
  applied: boolean;
  /** Participants with the flag (for too_fast: with at least one too-fast answer). */
  participantsFlagged: number;
  /** Participants removed by the rule. */
  participantsExcluded: number;
  /** Answers affected (too-fast answers; timed-out answers). */
  answersFlagged: number;
}

export interface Exclusions {
  reasons: ExclusionReason[];
  participantsTotal: number;
  participantsExcluded: number;
  /** Participant indexes removed from the analysis. */
  excluded: Set<number>;
  /** Whether too-fast answers are dropped. */
  dropFast: boolean;
  timedOutAnswers: number;
  statusCounts: Record<string, number>;
}

export function applyExclusions(c: Collected): Exclusions {
  const rules = c.protocol.exclusions;
  const excluded = new Set<number>();
  // Only people who reached an ending are analysed; those still in progress or gone are counted beside.
  const unfinished = c.participants.filter((p) => p.status === 'in-progress' || p.status === 'abandoned');
  unfinished.forEach((p) => excluded.add(p.index));
  const failed = c.participants.filter((p) => p.attentionFailed > 0 || p.status === 'failed-attention');
  if (rules.failed_attention) failed.forEach((p) => excluded.add(p.index));
  const maxTimeouts = rules.timed_out_trials_max;
  const withTimeouts = c.participants.filter((p) => p.trialTimeouts > 0);
  const tooMany = maxTimeouts == null ? [] : c.participants.filter((p) => p.trialTimeouts > maxTimeouts);
  tooMany.forEach((p) => excluded.add(p.index));
  const fastPeople = c.participants.filter((p) => p.fastAnswers > 0);
  const fastAnswers = c.participants.reduce((s, p) => s + p.fastAnswers, 0);
  const statusCounts: Record<string, number> = {};
  for (const p of c.participants) statusCounts[p.status ?? 'unknown'] = (statusCounts[p.status ?? 'unknown'] ?? 0) + 1;
  const reasons: ExclusionReason[] = [
    {
      reason: 'unfinished',
      rule: 'in progress or abandoned: reported beside, not analysed',
      applied: true,
      participantsFlagged: unfinished.length,
      participantsExcluded: unfinished.length,
      answersFlagged: 0,
    },
    {
      reason: 'failed_attention',
      rule: rules.failed_attention ? 'exclusions.failed_attention: true' : 'exclusions.failed_attention: false (flag only)',
      applied: rules.failed_attention,
      participantsFlagged: failed.length,
      participantsExcluded: rules.failed_attention ? failed.length : 0,
      answersFlagged: c.participants.reduce((s, p) => s + p.attentionFailed, 0),
    },
    {
      reason: 'too_many_timeouts',
      rule: maxTimeouts == null ? 'no exclusions.timed_out_trials_max (flag only: participants with any timed-out trial)' : `exclusions.timed_out_trials_max: ${maxTimeouts}`,
      applied: maxTimeouts != null,
      participantsFlagged: maxTimeouts == null ? withTimeouts.length : tooMany.length,
      participantsExcluded: tooMany.length,
      answersFlagged: c.timedOutRows,
    },
    {
      reason: 'too_fast',
      rule: c.minRtMs == null ? 'no exclusions.min_rt_ms (nothing to compare)' : `exclusions.min_rt_ms: ${c.minRtMs} (drops a trial answer given faster)`,
      applied: c.minRtMs != null,
      participantsFlagged: fastPeople.length,
      participantsExcluded: 0,
      answersFlagged: fastAnswers,
    },
    {
      reason: 'rt_inconsistent',
      rule: "flag only: the reported response time contradicts the server's observation of the page",
      applied: false,
      participantsFlagged: c.participants.filter((p) => p.rtInconsistent > 0).length,
      participantsExcluded: 0,
      answersFlagged: c.participants.reduce((s, p) => s + p.rtInconsistent, 0),
    },
  ];
  return {
    reasons,
    participantsTotal: c.participants.length,
    participantsExcluded: excluded.size,
    excluded,
    dropFast: c.minRtMs != null,
    timedOutAnswers: c.timedOutRows,
    statusCounts,
  };
}

/** Whether an observation stays in the analysis. */
export function kept(ex: Exclusions, obs: { p: number; fast: boolean }): boolean {
  return keeps(ex, obs.p, obs.fast);
}

/** kept() for an observation held in columns: participant index `p`, too fast or not. */
export function keeps(ex: Exclusions, p: number, fast: boolean): boolean {
  return !ex.excluded.has(p) && !(ex.dropFast && fast);
}
