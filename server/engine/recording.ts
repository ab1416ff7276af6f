// Recording a response: the answer (or the timeout) is written with the next
// group commit together with where it moves the participant (progress.ts) and
// the events it causes; once durable, the participant's deadline timer moves.
import type { PageEventInput, ParticipantRecord, PlannedPage, Progress, SubmissionInput, SubmitResult } from '../store/store.ts';
import type { Deadlines } from './deadlines.ts';
import type { Presence } from './presence.ts';
import { stimulusOf } from './page-view.ts';
import { placeExpected, placeLost, placesKey, takePlace } from './places.ts';
import { nextDeadline, nextProgress, type CheckedAnswer } from './progress.ts';
import type { StudyRegistry } from './registry.ts';

/**
 * A stored response carries the progress it wrote: the participant's record is `{ ...p, ...next }` now.
 * 'place-lost': the participant's place went to someone else while they were away and none was left, so
 * they ended timed-out instead (places.ts); nothing of this write was stored.
 */
export type RecordResult = Exclude<SubmitResult, { kind: 'stored' }> | { kind: 'stored'; next: Progress } | { kind: 'needs-move' };

export class Recorder {
  constructor(
    private readonly studies: StudyRegistry,
    private readonly deadlines: Deadlines,
    /** A stored response wrote the participant's last-seen time: the next heartbeat may leave them out. */
    private readonly presence: Pick<Presence, 'markAnswered'>,
  ) {}

  /**
   * Writes a response on the participant's current page (and the end event when
   * it ends them) with the next group commit, then moves their deadline timer.
   * `place`: the answer is a consent that takes a place in a condition (places.ts), in the same write.
   */
  async record(
    p: ParticipantRecord,
    page: PlannedPage,
    answers: SubmissionInput['answers'],
    now: number,
    response: Pick<SubmissionInput, 'clientId' | 'rtMs' | 'rtServerMs' | 'rtInconsistent' | 'timedOut' | 'eventsJson' | 'blurCount'>,
    event?: PageEventInput,
    place = false,
  ): Promise<RecordResult> {
    const store = this.studies.storeOf(p.id);
    const rt = await this.studies.runtime(p.studyId, p.version, p.preview);
    const next = await this.next(p, page, answers, now, response.timedOut);
    const input: SubmissionInput = {
      participantId: p.id,
      pageIndex: p.pageIndex,
      pageKind: page.kind,
      block: page.block,
      trialIndex: page.trialIndex,
      stimulusId: stimulusOf(rt, page)?.id ?? null,
      ...response,
      answers,
      now,
      next,
      // Checked where it is written: their place may be released to someone else until then (places.ts).
      needsPlace: placeExpected(p, rt.protocol),
    };
    const result = await store.batch(async (tx): Promise<SubmitResult | { kind: 'needs-move' }> => {
      if (place && (await takePlace(tx, p, rt, now, { move: false })) === 'needs-move') return { kind: 'needs-move' };
      const r = await tx.submit(input);
      if (r.kind === 'stored' && event) await tx.logEvent(event);
      if (r.kind === 'stored' && next.status !== 'in-progress') {
        await tx.logEvent({ participantId: p.id, type: 'ended', pageIndex: input.pageIndex, data: { status: next.status }, at: now });
      }
      return r;
    }, place ? placesKey(p.studyId) : p.id);
    // Their place was released: with one taken anew, the same write again; else they ended.
    if (result.kind === 'place-lost' && (await this.placeLost(p, now)) === 'kept') return this.record(p, page, answers, now, response, event, place);
    if (result.kind !== 'stored') return result;
    this.presence.markAnswered(p.id);
    this.afterAdvance(p, next);
    return { kind: 'stored', next };
  }

  /** A write of theirs was refused 'place-lost': they take a place again ('kept'), or end timed-out and their timer stops. */
  private async placeLost(p: ParticipantRecord, now: number): Promise<'kept' | 'ended'> {
    const rt = await this.studies.runtime(p.studyId, p.version, p.preview);
    const r = await this.studies.storeOf(p.id).batch((tx) => placeLost(tx, p.id, rt, now), placesKey(p.studyId));
    if (r === 'kept') return 'kept';
    if (r !== 'gone') this.afterAdvance(p, r.ended);
    return 'ended';
  }

  /** The participant's timer follows their progress: the next deadline, or none once they ended. */
  afterAdvance(p: ParticipantRecord, next: Progress): void {
    if (next.status !== 'in-progress') this.deadlines.disarm(p.id);
    else this.deadlines.arm(p.id, nextDeadline({ deadlineAt: next.deadlineAt, studyDeadlineAt: p.studyDeadlineAt }));
  }

  private async next(p: ParticipantRecord, page: PlannedPage, answers: CheckedAnswer[], now: number, timedOut: boolean): Promise<Progress> {
    const store = this.studies.storeOf(p.id);
    const protocol = (await this.studies.runtime(p.studyId, p.version, p.preview)).protocol;
    // Read only when the protocol limits timed-out trials and this is one.
    const limited = timedOut && page.kind === 'trial' && protocol.exclusions.timed_out_trials_max != null;
    const before = limited
      ? (await store.events(p.id)).filter((e) => e.type === 'timeout' && (e.data as { kind?: string })?.kind === 'trial').length
      : 0;
    return nextProgress({ p, page, answers, protocol, now, timedOut, timedOutTrialsBefore: () => before });
  }
}
