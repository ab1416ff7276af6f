// The study runtime. The server owns progress and time (invariant 1, docs/architecture.md):
// which page a participant is on and when it expires live in the store; a timer
// records a timed-out response and moves on whether or not a browser is
// connected; on start every overdue deadline is swept. A submit is checked,
// written with the store's next group commit, and only acknowledged once that
// commit is durable (invariant 2). The rooms: registry.ts (served studies),
// join.ts, page-view.ts (what the participant sees), progress.ts and
// endings.ts (what happens next), answers.ts (answer checks), deadlines.ts,
// presence.ts, submits-under-way.ts. The store decides how writes reach the disk.
import { EventEmitter } from 'node:events';
import type { Draft, Submit, SubmitAck } from '../../studies/vocabulary/participant-wire.ts';
import type { ParticipantRecord, Store } from '../store/store.ts';
import { LatencyRing } from '../store/latency-ring.ts';
import { checkAnswers, timedOutAnswers } from './answers.ts';
import { Deadlines } from './deadlines.ts';
import { join, type JoinOptions, type JoinResult } from './join.ts';
import { SubmitsUnderWay } from './submits-under-way.ts';
import { JoinLimits, placesKey, sweepUnplaced, takePlace } from './places.ts';
import { Recorder } from './recording.ts';
import { outcomeOf, readContextOf, stimulusOf, type Outcome } from './page-view.ts';
import { Presence } from './presence.ts';
import { nextDeadline, timedOutNow } from './progress.ts';
import { StudyRegistry, type Runtime, type StudyDef } from './registry.ts';
import { PageWatch } from './response-time.ts';

export type { DoneView } from './endings.ts';
export type { Outcome } from './page-view.ts';
export type { StudyDef } from './registry.ts';
export { hashToken, type JoinResult } from './join.ts';

export interface SubmitResultView {
  ack: SubmitAck;
  /** What the participant should see now (after success, or to resynchronise after a stale submit). */
  next?: Outcome;
  /** The participant cannot go on: the study filled up while they read the consent page (they held no place). */
  refuse?: { reason: 'full'; message: string };
}

export interface EngineOptions {
  store: Store;
  /** Injected clock, for tests. */
  now?: () => number;
}

/** The server's own client ids (timed-out responses); a client may not claim one. */
const SERVER_CLIENT_ID = 'timeout:';
const timeoutClientId = (pageIndex: number, attempt: number) => `${SERVER_CLIENT_ID}${pageIndex}:${attempt}`;

/** A browser may see the page a little after the server started it; min reading time allows this slack. */
const MIN_READ_SLACK_MS = 250;

export interface Engine {
  on(event: 'outcome', listener: (participantId: string, outcome: Outcome) => void): this;
  on(event: 'timer-error', listener: (participantId: string, err: unknown) => void): this;
}

export class Engine extends EventEmitter {
  readonly store: Store;
  private readonly now: () => number;
  private readonly studies: StudyRegistry;
  private readonly deadlines: Deadlines;
  private readonly presence: Presence;
  /** Submit latency inside the server (receipt to durable commit). */
  private readonly submitMs = new LatencyRing();
  /** A retry of a submit under way waits for it (submits-under-way.ts). */
  private readonly underWay = new SubmitsUnderWay();
  /** When each page was last sent, and the answers given so far on it. */
  private readonly watch = new PageWatch();
  private readonly joinLimits = new JoinLimits();
  private readonly recorder: Recorder;
  private sweep: NodeJS.Timeout | undefined;

  constructor(opts: EngineOptions) {
    super();
    this.store = opts.store;
    this.now = opts.now ?? Date.now;
    this.studies = new StudyRegistry(this.store);
    // A failing deadline must not take the process down; the sweep retries it once its claim lapses.
    this.deadlines = new Deadlines({
      now: this.now,
      store: this.store,
      storeOf: (id) => this.studies.storeOf(id),
      expire: (id) => this.expire(id),
      failed: (id, err) => this.emit('timer-error', id, err),
    });
    this.presence = new Presence(this.store, this.now, (id) => this.studies.isPreview(id));
    this.recorder = new Recorder(this.studies, this.deadlines, this.presence);
  }

  // ---- studies ----

  /** Registers a study version in the store (a new version only when the protocol changed) and serves it. */
  openStudy(def: StudyDef): Promise<{ created: boolean }> {
    return this.studies.open(def);
  }

  servedStudies(): { studyId: string; version: string }[] {
    return this.studies.list();
  }

  isServed(studyId: string): boolean {
    return this.studies.versionOf(studyId) !== undefined;
  }

  /** Whether a new (non-resuming) participant would be refused because every slot is taken. */
  isFull(studyId: string): Promise<boolean> {
    return this.studies.isFull(studyId, this.now());
  }

  // ---- lifecycle ----

  /** Sweeps deadlines that passed while the server was down (and keeps sweeping, deadlines.ts), starts the slot heartbeat. */
  async start(): Promise<void> {
    await this.deadlines.start();
    this.presence.start(await this.studies.shortestSlotTtlMs());
    this.sweep = sweepUnplaced(this.store, this.now);
  }

  stop(): Promise<void> {
    if (this.sweep) clearInterval(this.sweep);
    this.deadlines.stop();
    this.presence.stop();
    return this.studies.close();
  }

  /** Another process has this participant now (they reconnected there): its timer takes their deadlines. */
  release(participantId: string): void {
    this.deadlines.disarm(participantId);
  }

  /** The realtime edge reports sockets so a present-but-slow participant keeps its slot. */
  setConnected(participantId: string, on: boolean): void {
    this.presence.setConnected(participantId, on);
  }

  // ---- participants ----

  /** Creates or resumes a participant; resolves once the record is committed. */
  join(auth: Parameters<typeof join>[1], opts: JoinOptions): Promise<JoinResult> {
    return join(
      {
        studies: this.studies,
        now: this.now,
        arm: (p) => this.deadlines.arm(p.id, nextDeadline(p)),
        expire: (id) => this.expire(id),
        outcome: (id) => this.outcome(id),
        joinLimits: this.joinLimits,
      },
      auth,
      opts,
    );
  }

  /** What the participant sees now. */
  async outcome(participantId: string): Promise<Outcome> {
    const p = await this.studies.storeOf(participantId).participant(participantId);
    return p ? this.outcomeFor(p) : Promise.reject(new Error(`unknown participant ${participantId}`));
  }
  /** What the participant whose record is p sees now (after a submit: what it wrote under the row lock, not read back); it is sent. */
  private async outcomeFor(p: ParticipantRecord, now = this.now()): Promise<Outcome> {
    const out = await outcomeOf(p, await this.runtimeOf(p), this.studies.storeOf(p.id), now);
    this.watch.sent(p.id, out, now);
    return out;
  }

  /** Keeps the participant's latest answers on their current page (drafts of other pages are ignored). */
  async draft(participantId: string, d: Draft): Promise<void> {
    this.watch.setDraft(await this.studies.storeOf(participantId).participant(participantId), d);
  }

  private runtimeOf(p: ParticipantRecord): Promise<Runtime> {
    return this.studies.runtime(p.studyId, p.version, p.preview);
  }

  // ---- submit ----

  /** Checks a submit and writes it with the next group commit; resolves (and the caller acks) only once that is durable. */
  async submit(participantId: string, s: Submit): Promise<SubmitResultView> {
    const t0 = performance.now();
    const r = await this.underWay.run(participantId, s.clientId, () => this.submitInner(participantId, s));
    this.submitMs.add(performance.now() - t0);
    return r;
  }

  /** Submit latency inside the server (receipt to durable commit) and its parts, for monitoring and the participants benchmark. */
  stats(): { submits: number; p50Ms: number; p99Ms: number; maxBatch: number; commitP99Ms: number; syncP99Ms: number } {
    return { submits: this.submitMs.count, p50Ms: this.submitMs.percentile(0.5), p99Ms: this.submitMs.percentile(0.99), ...this.store.commitStats() };
  }

  private async submitInner(participantId: string, s: Submit): Promise<SubmitResultView> {
    const store = this.studies.storeOf(participantId);
    if (s.clientId.startsWith(SERVER_CLIENT_ID)) {
      return { ack: { ok: false, error: `clientId: ids beginning '${SERVER_CLIENT_ID}' are the server's own`, field: 'clientId' } };
    }
    // Client ids are scoped to their participant: another participant's use of the same id is no concern of this one.
    const { participant: p, retry } = await store.submitTarget(participantId, s.clientId);
    // Idempotency comes first: a retry of an accepted submit is acknowledged again, whatever page is current.
    if (retry) {
      await store.durable(); // it may have been committed a moment ago and not yet synced
      return { ack: { ok: true, duplicate: true }, next: await this.outcome(participantId) };
    }
    if (!p) return { ack: { ok: false, error: 'unknown participant' } };
    if (p.status !== 'in-progress') {
      return { ack: { ok: false, error: `the study has ended for this participant (${p.status})` }, next: await this.outcome(p.id) };
    }
    const now = this.now();
    if (p.studyDeadlineAt != null && now >= p.studyDeadlineAt) {
      await this.expire(p.id);
      return { ack: { ok: false, error: 'the study time limit has passed' }, next: await this.outcome(p.id) };
    }
    // The server owns time: an answer after its page's deadline is not stored as given, whatever id it carries;
    // the page is recorded as timed out (if the timer has not done it yet) and the participant moves on.
    if (s.pageIndex === p.pageIndex && p.deadlineAt != null && now >= p.deadlineAt) {
      await this.expire(p.id);
      return { ack: { ok: false, error: 'the time limit of this page has passed; it was recorded as timed out' }, next: await this.outcome(p.id) };
    }
    const stale = async (current: number): Promise<SubmitResultView> => ({
      ack: { ok: false, error: `stale page index ${s.pageIndex}: the current page is ${current}`, field: 'pageIndex' },
      next: await this.outcome(p.id),
    });
    if (s.pageIndex !== p.pageIndex) return await stale(p.pageIndex);
    const page = p.plan[p.pageIndex];
    if (page.minReadMs && now - p.pageStartedAt < page.minReadMs - MIN_READ_SLACK_MS) {
      return { ack: { ok: false, error: `answered before the minimum reading time of ${page.minReadMs} ms`, field: 'rtMs' } };
    }
    const checked = checkAnswers(page, s.answers, readContextOf(await this.runtimeOf(p), page));
    if (!checked.ok) return { ack: { ok: false, error: checked.error, field: checked.field } };
    // Consenting is what takes a place in a condition (places.ts), in the same write as the answer.
    const agreed = page.kind === 'consent' && checked.answers.some((a) => a.questionType === 'consent' && a.valueJson === 'true');
    const place = agreed && p.placeAt == null && !p.preview;
    const result = await this.recorder.record(p, page, checked.answers, now, {
      clientId: s.clientId,
      rtMs: s.rtMs,
      ...this.watch.observe(p, s.rtMs, page.minReadMs, now),
      timedOut: false,
      eventsJson: JSON.stringify(s.events),
      blurCount: s.events.filter((e) => e.type === 'blur' || e.type === 'hidden').length,
    }, undefined, place);
    if (result.kind === 'needs-move') {
      // Their condition filled up while they read the consent page: another condition (a new plan), or none.
      const moved = await store.batch(async (tx) => {
        const fresh = await tx.participant(p.id);
        return fresh ? takePlace(tx, fresh, await this.runtimeOf(fresh), now, { move: true }) : 'already';
      }, placesKey(p.studyId));
      if (moved === 'full') {
        const message = 'This study has just become full. Thank you for your interest; please return it.';
        return { ack: { ok: false, error: message }, refuse: { reason: 'full', message } };
      }
      return this.submitInner(participantId, s);
    }
    if (result.kind === 'place-lost') return { ack: { ok: false, error: 'your place in this study went to someone else while you were away' }, next: await this.outcome(p.id) };
    if (result.kind === 'duplicate') return { ack: { ok: true, duplicate: true }, next: await this.outcome(p.id) };
    if (result.kind === 'stale') return await stale(result.pageIndex);
    if (result.kind === 'not-in-progress') return { ack: { ok: false, error: 'the study has ended for this participant' }, next: await this.outcome(p.id) };
    return { ack: { ok: true }, next: await this.outcomeFor({ ...p, ...result.next, lastSeenAt: now }) };
  }

  // ---- deadlines ----

  /**
   * Handles a passed deadline: the study limit ends the participant timed-out;
   * a page limit records a timed-out response and moves on. Safe to call at any
   * time: when nothing is due it only re-arms the timer.
   */
  async expire(participantId: string): Promise<void> {
    const store = this.studies.storeOf(participantId);
    const p = await store.participant(participantId);
    if (!p || p.status !== 'in-progress') return;
    const now = this.now();
    if (p.studyDeadlineAt != null && now >= p.studyDeadlineAt) {
      const next = timedOutNow(p, now);
      const changed = await store.batch(async (tx) => {
        const ok = await tx.setProgress(p.id, p.pageIndex, next);
        if (ok) await tx.logEvent({ participantId: p.id, type: 'study-timeout', pageIndex: p.pageIndex, at: now });
        return ok;
      }, p.id);
      if (changed) {
        this.recorder.afterAdvance(p, next);
        this.emit('outcome', p.id, await this.outcome(p.id));
      }
      return;
    }
    if (p.deadlineAt == null || now < p.deadlineAt) {
      this.deadlines.arm(p.id, nextDeadline(p));
      return;
    }
    const page = p.plan[p.pageIndex];
    const partial = timedOutAnswers(page, this.watch.draftOf(p.id, p.pageIndex), readContextOf(await this.runtimeOf(p), page));
    const result = await this.recorder.record(
      p,
      page,
      partial,
      now,
      { clientId: timeoutClientId(p.pageIndex, p.attempts), rtMs: null, rtServerMs: now - p.pageStartedAt, timedOut: true, eventsJson: '[]', blurCount: 0 },
      { participantId: p.id, type: 'timeout', pageIndex: p.pageIndex, data: { kind: page.kind, deadlineAt: p.deadlineAt }, at: now },
    );
    if (result.kind === 'stored' || result.kind === 'place-lost') this.emit('outcome', p.id, await this.outcome(p.id));
  }
}
