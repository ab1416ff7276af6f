// The study runtime. The server owns progress and time (DESIGN invariant 1):
// which page a participant is on and when it expires live in the store; a timer
// records a timed-out response and moves on whether or not a browser is
// connected; on start every overdue deadline is swept. A submit is checked,
// committed in one transaction, and only then acknowledged (invariant 2).
import { EventEmitter } from 'node:events';
import { createHash, randomBytes } from 'node:crypto';
import type { Protocol } from '../../studies/protocol.ts';
import { deriveSeed } from '../../studies/random.ts';
import type { EndStatus, JoinAuth, PageView, Submit, SubmitAck } from '../realtime/events.ts';
import type {
  PageEventInput,
  ParticipantRecord,
  PlannedPage,
  Progress,
  StimulusInput,
  Store,
  StoredStimulus,
  SubmissionInput,
  SubmitResult,
} from '../store/store.ts';
import { SqliteStore } from '../store/sqlite.ts';
import { buildPlan } from './plan.ts';
import { LatencyRing } from './latency-ring.ts';
import { chooseCondition } from './assign.ts';
import { checkAnswers, publicQuestion, timedOutAnswers } from './answers.ts';

export interface DoneView {
  status: EndStatus;
  code?: string;
  redirectUrl?: string;
  message: string;
}
export type Outcome = { page: PageView } | { done: DoneView };

export interface StudyDef {
  protocol: Protocol;
  /** Hash of the normalised protocol. */
  version: string;
  file: string | null;
  stimuli: StimulusInput[];
}

export type JoinResult =
  | { kind: 'refused'; reason: 'full' | 'closed' | 'unknown-study' | 'bad-request'; message: string }
  | { kind: 'joined'; token: string; participantId: string; preview: boolean; outcome: Outcome };

export interface SubmitResultView {
  ack: SubmitAck;
  /** What the participant should see now (after success, or to resynchronise after a stale submit). */
  next?: Outcome;
}

export interface EngineOptions {
  store: Store;
  /** Injected clock, for tests. */
  now?: () => number;
}

const MESSAGES: Record<EndStatus, string> = {
  completed: 'Thank you. Your answers are saved and the study is complete.',
  'no-consent': 'You chose not to take part, so the study has ended. Thank you for your time.',
  'failed-attention': 'The study has ended because an attention check was not passed.',
  'timed-out': 'The study has ended because its time limit has passed.',
  'failed-comprehension': 'The study has ended because the comprehension questions were not answered correctly. Please return your submission.',
};

const CODE_KEY: Partial<Record<EndStatus, 'completed' | 'no_consent' | 'failed_attention' | 'timed_out'>> = {
  completed: 'completed',
  'no-consent': 'no_consent',
  'failed-attention': 'failed_attention',
  'timed-out': 'timed_out',
};

/** setTimeout's longest delay; later deadlines re-arm when it fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** A browser may see the page a little after the server started it; min reading time allows this slack. */
const MIN_READ_SLACK_MS = 250;

export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

interface Runtime {
  protocol: Protocol;
  stimuli: Map<string, StoredStimulus>;
  list: StoredStimulus[];
}

export interface Engine {
  on(event: 'outcome', listener: (participantId: string, outcome: Outcome) => void): this;
  on(event: 'timer-error', listener: (participantId: string, err: unknown) => void): this;
}

export class Engine extends EventEmitter {
  readonly store: Store;
  /** Preview participants live here and vanish with the process: preview stores nothing. */
  readonly previewStore: SqliteStore;
  private readonly now: () => number;
  private readonly served = new Map<string, string>();
  private readonly runtimes = new Map<string, Runtime>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly previewIds = new Set<string>();
  private readonly connected = new Map<string, number>();
  private heartbeat: NodeJS.Timeout | undefined;
  /** Writes waiting for the next group commit. */
  private queue: { op: () => unknown; ok: (v: unknown) => void; fail: (e: unknown) => void }[] = [];
  private flushScheduled = false;
  /** A group commit is waiting for its sync; the next one waits for it. */
  private syncing = false;
  /** Submit latency inside the server (receipt to durable commit). */
  private readonly submitMs = new LatencyRing();
  /** Group-commit transactions on the event loop, and the wait for their sync after it. */
  private readonly commitMs = new LatencyRing();
  private readonly syncMs = new LatencyRing();
  private maxBatch = 0;
  /** Last activity of participants who disconnected since the last heartbeat. */
  private readonly seen = new Map<string, number>();

  constructor(opts: EngineOptions) {
    super();
    this.store = opts.store;
    this.now = opts.now ?? Date.now;
    this.previewStore = new SqliteStore(':memory:');
  }

  // ---- studies ----

  /** Registers a study version in the store (a new version only when the protocol changed) and serves it. */
  openStudy(def: StudyDef): { created: boolean } {
    const r = this.store.registerStudy(def);
    this.previewStore.registerStudy(def);
    this.served.set(def.protocol.id, def.version);
    return r;
  }

  servedStudies(): { studyId: string; version: string }[] {
    return [...this.served].map(([studyId, version]) => ({ studyId, version }));
  }

  isServed(studyId: string): boolean {
    return this.served.has(studyId);
  }

  /** Whether a new (non-resuming) participant would be refused because every slot is taken. */
  isFull(studyId: string): boolean {
    const version = this.served.get(studyId);
    if (!version) return false;
    const a = chooseCondition(this.store.conditionCounts(studyId, this.now(), version), 0);
    return 'full' in a;
  }

  private runtime(studyId: string, version: string, preview = false): Runtime {
    const key = `${preview ? 'p' : 'm'}\u0000${studyId}\u0000${version}`;
    let rt = this.runtimes.get(key);
    if (!rt) {
      const store = preview ? this.previewStore : this.store;
      const study = store.studyVersion(studyId, version);
      if (!study) throw new Error(`unknown study ${studyId} version ${version}`);
      const list = store.stimuliOf(studyId, version);
      rt = { protocol: study.protocol, list, stimuli: new Map(list.map((s) => [s.id, s])) };
      this.runtimes.set(key, rt);
    }
    return rt;
  }

  private storeOf(participantId: string): Store {
    return this.previewIds.has(participantId) ? this.previewStore : this.store;
  }

  // ---- lifecycle ----

  /** Sweeps deadlines that passed while the server was down, arms the rest, starts the slot heartbeat. */
  async start(): Promise<void> {
    await Promise.all(this.store.overdue(this.now()).map((p) => this.expire(p.id).catch((err) => this.emit('timer-error', p.id, err))));
    for (const { id, deadlineAt } of this.store.pendingDeadlines()) this.arm(id, deadlineAt, this.store);
    let ttl = Infinity;
    for (const [studyId, version] of this.served) {
      ttl = Math.min(ttl, this.runtime(studyId, version).protocol.design.slot_ttl_minutes * 60_000);
    }
    const every = Math.max(200, Math.min(15_000, ttl / 3));
    this.heartbeat = setInterval(() => this.beat(), every);
    this.heartbeat.unref();
  }

  stop(): void {
    this.flush();
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.previewStore.close();
  }

  /** Last-seen times only decide slot TTLs, so they are written in bulk, not per event. */
  private beat(): void {
    const now = this.now();
    const ids = [...this.connected.keys()].filter((id) => !this.previewIds.has(id));
    const left = [...this.seen];
    this.seen.clear();
    if (ids.length === 0 && left.length === 0) return;
    this.batched(this.store, () => {
      this.store.touchMany(ids, now);
      for (const [id, at] of left) this.store.touch(id, at);
    }).catch(() => {
      // The store may be closing during shutdown; nothing is lost but a last-seen time.
    });
  }

  /** The realtime edge reports sockets so a present-but-slow participant keeps its slot. */
  setConnected(participantId: string, on: boolean): void {
    const n = (this.connected.get(participantId) ?? 0) + (on ? 1 : -1);
    if (n > 0) this.connected.set(participantId, n);
    else this.connected.delete(participantId);
    if (!this.previewIds.has(participantId)) this.seen.set(participantId, this.now());
  }

  // ---- join ----

  /** Creates or resumes a participant; resolves once the record is committed. */
  async join(auth: JoinAuth, opts: { researcher: boolean }): Promise<JoinResult> {
    const version = this.served.get(auth.study);
    if (!version) return { kind: 'refused', reason: 'unknown-study', message: `There is no open study '${auth.study}'.` };
    const preview = auth.preview === true;
    if (preview && !opts.researcher) {
      return { kind: 'refused', reason: 'bad-request', message: 'Preview needs a researcher login.' };
    }
    const store = preview ? this.previewStore : this.store;
    const now = this.now();
    let p: ParticipantRecord | undefined;
    let token = auth.token;
    if (token && !preview) {
      p = store.participantByToken(hashToken(token));
      if (p && p.studyId !== auth.study) p = undefined;
    }
    if (!p && auth.prolific && !preview) {
      p = store.participantByPid(auth.study, auth.prolific.PROLIFIC_PID);
      if (p) token = randomBytes(16).toString('base64url');
    }
    if (!p) {
      const fresh = randomBytes(16).toString('base64url');
      token = fresh;
      const rt = this.runtime(auth.study, version, preview);
      const protocol = rt.protocol;
      const limit = protocol.timing.study_limit_minutes;
      const made = await this.batched(store, () => {
        const r = store.createParticipant({
        studyId: auth.study,
        version,
        tokenHash: hashToken(fresh),
        prolificPid: preview ? null : auth.prolific?.PROLIFIC_PID ?? null,
        prolificStudyId: preview ? null : auth.prolific?.STUDY_ID ?? null,
        prolificSessionId: preview ? null : auth.prolific?.SESSION_ID ?? null,
        now,
        studyLimitMs: limit ? limit * 60_000 : null,
        choose: ({ counts, index }) => {
          const seed = deriveSeed(protocol.design.seed, `participant:${index}`);
          const a = chooseCondition(counts, seed);
          // Preview never fills a study: it walks the first condition with room, or the first one.
          const condition = 'full' in a ? (preview ? protocol.design.conditions[0].id : null) : a.condition;
          if (!condition) return { full: true };
          const plan = buildPlan({ protocol, stimuli: rt.list, condition, seed, participantIndex: index });
          return { condition, seed, plan, deadlineAt: plan[0]?.timeLimitMs ? now + plan[0].timeLimitMs : null };
        },
        });
        // Two tabs with the same new Prolific id raced: the later one takes the record over with its own token.
        if (!('full' in r) && !r.created) store.rotateToken(r.participant.id, hashToken(fresh));
        if (!('full' in r) && !preview) store.logEvent({ participantId: r.participant.id, type: r.created ? 'joined' : 'resumed', pageIndex: r.participant.pageIndex, at: now });
        return r;
      });
      if ('full' in made) {
        return { kind: 'refused', reason: 'full', message: 'This study is full. Thank you for your interest; please return it.' };
      }
      p = made.participant;
      if (preview) this.previewIds.add(p.id);
      if (p.status === 'in-progress') this.arm(p.id, this.nextDeadline(p), store);
    } else {
      const id = p.id;
      const pageIndex = p.pageIndex;
      const rotate = token !== auth.token;
      await this.batched(store, () => {
        if (rotate) store.rotateToken(id, hashToken(token!));
        store.touch(id, now);
        store.logEvent({ participantId: id, type: 'resumed', pageIndex, at: now });
      });
      if (p.status === 'in-progress' && this.nextDeadline(p) <= now) await this.expire(p.id);
    }
    return { kind: 'joined', token: token!, participantId: p.id, preview, outcome: this.outcome(p.id) };
  }

  // ---- views ----

  /** What the participant sees now. */
  outcome(participantId: string): Outcome {
    const store = this.storeOf(participantId);
    const p = store.participant(participantId);
    if (!p) throw new Error(`unknown participant ${participantId}`);
    if (p.status !== 'in-progress') return { done: this.doneView(p) };
    return { page: this.pageView(p) };
  }

  private doneView(p: ParticipantRecord): DoneView {
    const status = p.status as EndStatus;
    const protocol = this.runtime(p.studyId, p.version, this.previewIds.has(p.id)).protocol;
    const prolific = protocol.recruitment.prolific;
    const key = CODE_KEY[status];
    const code = prolific && key ? prolific.completion_codes[key] : undefined;
    return {
      status,
      message: MESSAGES[status],
      ...(code ? { code } : {}),
      // Preview never sends the researcher to Prolific.
      ...(code && prolific && !p.preview ? { redirectUrl: prolific.redirect.replace('{code}', encodeURIComponent(code)) } : {}),
    };
  }

  private pageView(p: ParticipantRecord): PageView {
    const rt = this.runtime(p.studyId, p.version, p.preview);
    const page = p.plan[p.pageIndex];
    const view: PageView = {
      index: p.pageIndex,
      total: p.plan.length,
      kind: page.kind,
      // The consent answer is the page's own agree/decline buttons, not a rendered question.
      questions: page.questions.filter((q) => q.type !== 'consent').map(publicQuestion),
      serverNow: this.now(),
    };
    if (page.title) view.title = page.title;
    if (page.text) view.text = page.text;
    const stim = this.stimulusOf(rt, page);
    if (stim) {
      view.stimulus = { id: stim.id, text: stim.text };
      if (stim.sentences) view.stimulus.sentences = stim.sentences;
      if (page.gltr && stim.gltr) view.stimulus.gltr = stim.gltr;
    }
    const fb = this.trainingFeedback(p);
    if (fb) view.feedback = fb;
    if (page.kind === 'comprehension') {
      view.attemptsLeft = (page.attempts ?? 2) - p.attempts;
      if (p.attempts > 0) view.feedback = this.comprehensionFeedback(page);
    }
    const deadline = Math.min(p.deadlineAt ?? Infinity, p.studyDeadlineAt ?? Infinity);
    if (deadline !== Infinity) view.deadlineAt = deadline;
    if (page.minReadMs) view.minReadMs = page.minReadMs;
    return view;
  }

  private comprehensionFeedback(page: PlannedPage): string {
    const notes = page.questions.map((q) => (q as { feedback?: string }).feedback).filter((f): f is string => !!f);
    return notes.length ? notes.join(' ') : 'Not quite. Please read the instructions again and try once more.';
  }

  private stimulusOf(rt: Runtime, page: PlannedPage): (StimulusInput & { id: string }) | undefined {
    if (page.inlineStimulus) {
      const s = page.inlineStimulus;
      return { id: s.id, pool: '', text: s.text, label: (s.label as StimulusInput['label']) ?? { source: 'human' }, length_words: 0 };
    }
    return page.stimulusId ? rt.stimuli.get(page.stimulusId) : undefined;
  }

  // ---- submit ----

  /**
   * Checks a submit and writes it with the next group commit; resolves (and the
   * caller acks) only after that transaction committed.
   */
  async submit(participantId: string, s: Submit): Promise<SubmitResultView> {
    const t0 = performance.now();
    const r = await this.submitInner(participantId, s);
    this.submitMs.add(performance.now() - t0);
    return r;
  }

  /** Submit latency inside the server (receipt to durable commit) and its parts, for monitoring and the participants benchmark. */
  stats(): { submits: number; p50Ms: number; p99Ms: number; maxBatch: number; commitP99Ms: number; syncP99Ms: number } {
    return {
      submits: this.submitMs.count,
      p50Ms: this.submitMs.percentile(0.5),
      p99Ms: this.submitMs.percentile(0.99),
      maxBatch: this.maxBatch,
      commitP99Ms: this.commitMs.percentile(0.99),
      syncP99Ms: this.syncMs.percentile(0.99),
    };
  }

  private async submitInner(participantId: string, s: Submit): Promise<SubmitResultView> {
    const store = this.storeOf(participantId);
    const used = store.clientIdStatus(participantId, s.clientId);
    if (used === 'other') {
      return { ack: { ok: false, error: 'clientId was used by another participant', field: 'clientId' } };
    }
    // Idempotency comes first: a retry of an accepted submit is acknowledged again, whatever page is current.
    if (used === 'mine') {
      await store.durable(); // it may have been committed a moment ago and not yet synced
      return { ack: { ok: true, duplicate: true }, next: this.outcome(participantId) };
    }
    const p = store.participant(participantId);
    if (!p) return { ack: { ok: false, error: 'unknown participant' } };
    if (p.status !== 'in-progress') {
      return { ack: { ok: false, error: `the study has ended for this participant (${p.status})` }, next: this.outcome(p.id) };
    }
    const now = this.now();
    if (p.studyDeadlineAt != null && now >= p.studyDeadlineAt) {
      await this.expire(p.id);
      return { ack: { ok: false, error: 'the study time limit has passed' }, next: this.outcome(p.id) };
    }
    if (s.pageIndex !== p.pageIndex) {
      return {
        ack: { ok: false, error: `stale page index ${s.pageIndex}: the current page is ${p.pageIndex}`, field: 'pageIndex' },
        next: this.outcome(p.id),
      };
    }
    const page = p.plan[p.pageIndex];
    if (page.minReadMs && now - p.pageStartedAt < page.minReadMs - MIN_READ_SLACK_MS) {
      return { ack: { ok: false, error: `answered before the minimum reading time of ${page.minReadMs} ms`, field: 'rtMs' } };
    }
    const rt = this.runtime(p.studyId, p.version, p.preview);
    const stim = this.stimulusOf(rt, page);
    const checked = checkAnswers(page, s.answers, stim ? { stimulus: { label: stim.label, boundary: stim.boundary } } : {});
    if (!checked.ok) return { ack: { ok: false, error: checked.error, field: checked.field } };

    const next = this.nextProgress(p, page, checked.answers, rt.protocol, now, false);
    const result = await this.write(store, p.id, next, {
      participantId: p.id,
      clientId: s.clientId,
      pageIndex: p.pageIndex,
      pageKind: page.kind,
      block: page.block,
      trialIndex: page.trialIndex,
      stimulusId: stim?.id ?? null,
      rtMs: s.rtMs,
      timedOut: false,
      eventsJson: JSON.stringify(s.events),
      blurCount: s.events.filter((e) => e.type === 'blur' || e.type === 'hidden').length,
      answers: checked.answers,
      now,
      next,
    });
    if (result.kind === 'duplicate') return { ack: { ok: true, duplicate: true }, next: this.outcome(p.id) };
    if (result.kind === 'stale') {
      return { ack: { ok: false, error: `stale page index ${s.pageIndex}: the current page is ${result.pageIndex}`, field: 'pageIndex' }, next: this.outcome(p.id) };
    }
    if (result.kind === 'not-in-progress') return { ack: { ok: false, error: 'the study has ended for this participant' }, next: this.outcome(p.id) };
    this.afterAdvance(p, next);
    return { ack: { ok: true }, next: this.outcome(p.id) };
  }

  /**
   * Group commit. Writes arriving while the event loop is busy, or while the
   * previous transaction's sync is under way, share the next transaction and
   * its one sync: the slower the disk, the larger the groups, so the pages
   * written per response fall exactly when the disk is the bottleneck. No ack
   * before its data is on disk.
   */
  private batched<T>(store: Store, op: () => T): Promise<T> {
    if (store !== this.store) {
      try {
        return Promise.resolve(op());
      } catch (err) {
        return Promise.reject(err);
      }
    }
    return new Promise<T>((ok, fail) => {
      this.queue.push({ op, ok: ok as (v: unknown) => void, fail });
      this.scheduleFlush();
    });
  }

  private scheduleFlush(): void {
    if (this.flushScheduled || this.syncing || this.queue.length === 0) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  /** A response, and the end event when it ends the participant, in one write. */
  private write(store: Store, participantId: string, next: Progress, input: SubmissionInput, event?: PageEventInput): Promise<SubmitResult> {
    return this.batched(store, () => {
      const r = store.submit(input);
      if (r.kind === 'stored' && event) store.logEvent(event);
      if (r.kind === 'stored' && next.status !== 'in-progress') {
        store.logEvent({ participantId, type: 'ended', pageIndex: input.pageIndex, data: { status: next.status }, at: input.now });
      }
      return r;
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.queue.splice(0);
    if (batch.length === 0) return;
    if (batch.length > this.maxBatch) this.maxBatch = batch.length;
    const out: { ok: boolean; v: unknown }[] = [];
    const t0 = performance.now();
    try {
      this.store.transaction(() => {
        for (const b of batch) {
          try {
            out.push({ ok: true, v: this.store.transaction(b.op) }); // its own savepoint
          } catch (err) {
            out.push({ ok: false, v: err });
          }
        }
      });
    } catch (err) {
      for (const b of batch) b.fail(err);
      return;
    }
    // Committed; answered only once it is on disk (the store may sync off this thread).
    const t1 = performance.now();
    this.commitMs.add(t1 - t0);
    this.syncing = true;
    this.store.durable().then(
      () => {
        this.syncMs.add(performance.now() - t1);
        batch.forEach((b, i) => (out[i].ok ? b.ok(out[i].v) : b.fail(out[i].v)));
      },
      (err) => batch.forEach((b) => b.fail(err)),
    ).finally(() => {
      this.syncing = false;
      this.scheduleFlush();
    });
  }

  /** Where a participant goes after answering (or timing out on) the current page. */
  private nextProgress(
    p: ParticipantRecord,
    page: PlannedPage,
    answers: { questionType: string; correct: boolean | null; valueJson: string | null }[],
    protocol: Protocol,
    now: number,
    timedOut: boolean,
  ): Progress {
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
      if (i >= p.plan.length) return { ...end('completed', flagged), pageIndex: p.pageIndex };
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
      const timedOutTrials = this.timedOutTrialCount(p.id) + 1;
      if (timedOutTrials > protocol.exclusions.timed_out_trials_max) return end('timed-out');
    }
    return advance();
  }

  private timedOutTrialCount(participantId: string): number {
    let n = 0;
    const store = this.storeOf(participantId);
    for (const e of store.events(participantId)) if (e.type === 'timeout' && (e.data as { kind?: string })?.kind === 'trial') n++;
    return n;
  }

  /**
   * Feedback on the training item just answered, shown on the page after it.
   * Read back from the stored response, so a reload or a server restart shows it too.
   */
  private trainingFeedback(p: ParticipantRecord): string | undefined {
    const before = p.plan[p.pageIndex - 1];
    if (!before || before.kind !== 'training') return undefined;
    const last = this.storeOf(p.id).lastAnswerChecks(p.id, p.pageIndex - 1);
    if (!last.answered) return undefined;
    const verdict = last.correct.some((c) => c === false) ? 'Not quite.' : last.correct.some((c) => c === true) ? 'Correct.' : '';
    return [verdict, before.feedback ?? ''].filter(Boolean).join(' ') || undefined;
  }

  private afterAdvance(p: ParticipantRecord, next: Progress): void {
    if (next.status !== 'in-progress') {
      this.disarm(p.id);
    } else {
      this.arm(p.id, Math.min(next.deadlineAt ?? Infinity, p.studyDeadlineAt ?? Infinity), this.storeOf(p.id));
    }
  }

  // ---- deadlines ----

  private nextDeadline(p: ParticipantRecord): number {
    return Math.min(p.deadlineAt ?? Infinity, p.studyDeadlineAt ?? Infinity);
  }

  private disarm(id: string): void {
    const t = this.timers.get(id);
    if (t) clearTimeout(t);
    this.timers.delete(id);
  }

  private arm(id: string, at: number, store: Store): void {
    this.disarm(id);
    if (!Number.isFinite(at)) return;
    if (store === this.previewStore) this.previewIds.add(id);
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, at - this.now()));
    const t = setTimeout(() => {
      this.timers.delete(id);
      this.expireSafely(id);
    }, delay);
    t.unref?.();
    this.timers.set(id, t);
  }

  /**
   * Handles a passed deadline: the study limit ends the participant timed-out;
   * a page limit records a timed-out response and moves on. Safe to call at any
   * time: when nothing is due it only re-arms the timer.
   */
  /** A failing deadline must not take the process down; the startup sweep retries it. */
  private expireSafely(id: string): void {
    this.expire(id).catch((err) => this.emit('timer-error', id, err));
  }

  async expire(participantId: string): Promise<void> {
    const store = this.storeOf(participantId);
    const p = store.participant(participantId);
    if (!p || p.status !== 'in-progress') return;
    const now = this.now();
    if (p.studyDeadlineAt != null && now >= p.studyDeadlineAt) {
      const next: Progress = { pageIndex: p.pageIndex, pageStartedAt: p.pageStartedAt, deadlineAt: null, attempts: p.attempts, status: 'timed-out', endedAt: now, flagged: p.flagged };
      const changed = await this.batched(store, () => {
        const ok = store.setProgress(p.id, p.pageIndex, next);
        if (ok) store.logEvent({ participantId: p.id, type: 'study-timeout', pageIndex: p.pageIndex, at: now });
        return ok;
      });
      if (changed) {
        this.afterAdvance(p, next);
        this.emit('outcome', p.id, this.outcome(p.id));
      }
      return;
    }
    if (p.deadlineAt == null || now < p.deadlineAt) {
      this.arm(p.id, this.nextDeadline(p), store);
      return;
    }
    const page = p.plan[p.pageIndex];
    const rt = this.runtime(p.studyId, p.version, p.preview);
    const answers = timedOutAnswers(page);
    const next = this.nextProgress(p, page, answers, rt.protocol, now, true);
    const stim = this.stimulusOf(rt, page);
    const timeoutEvent: PageEventInput = { participantId: p.id, type: 'timeout', pageIndex: p.pageIndex, data: { kind: page.kind, deadlineAt: p.deadlineAt }, at: now };
    const result = await this.write(store, p.id, next, {
      participantId: p.id,
      clientId: `timeout:${p.pageIndex}:${p.attempts}`,
      pageIndex: p.pageIndex,
      pageKind: page.kind,
      block: page.block,
      trialIndex: page.trialIndex,
      stimulusId: stim?.id ?? null,
      rtMs: null,
      timedOut: true,
      eventsJson: '[]',
      blurCount: 0,
      answers,
      now,
      next,
    }, timeoutEvent);
    if (result.kind !== 'stored') return;
    this.afterAdvance(p, next);
    this.emit('outcome', p.id, this.outcome(p.id));
  }
}
