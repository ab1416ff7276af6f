// One simulated participant: it walks the same lifecycle as a person (join
// with a Prolific id, one page at a time, resume with its token after any
// disconnect) on the browser's own connection and outbox code, answering with
// each question type's botAnswer. An unacknowledged submit stays in the outbox
// and is re-sent with the same clientId until the server answers it.
import { randomUUID } from 'node:crypto';
import { ParticipantConnection, type ConnectionOptions } from '../../client/participant/connection.ts';
import { memoryOutbox } from '../../client/participant/outbox.ts';
import type { Protocol, Question } from '../../studies/protocol.ts';
import type { BotContext } from '../../studies/question-type.ts';
import { resolveQuestion } from '../../studies/questions/index.ts';
import type { Rng } from '../../studies/random.ts';
import type { EndStatus, PageView, Submit } from '../../studies/vocabulary/participant-wire.ts';

export type BotProfile = 'attentive' | 'random' | 'careless';

export type AnswerFn = (q: Question, ctx: BotContext & { view: PageView }) => unknown;

export interface BotOptions {
  url: string;
  study: string;
  protocol: Protocol;
  pid: string;
  profile: BotProfile;
  rng: Rng;
  /** Share of its pages after which this bot closes its tab for good (abandons), e.g. 0.5 = midway. */
  abandonAt?: number;
  /** Think time per page, ms: uniform in [min, max]. */
  thinkMs?: [number, number];
  /** Careless bots leave this share of timed pages to time out. */
  timeoutShare?: number;
  answer?: AnswerFn;
  /** Give up (and report 'stuck') after this long. */
  maxMs?: number;
  /**
   * Connect from this local address (e.g. 127.0.1.7: all of 127/8 is this machine), so that a server's per-address
   * limits see bots on one machine as many clients, as they would see people (the participants benchmark).
   */
  localAddress?: string;
}

export interface BotResult {
  pid: string;
  outcome: EndStatus | 'abandoned' | 'refused' | 'stuck';
  refusedReason?: string;
  participantId?: string;
  token?: string;
  /** Client ids the server acknowledged (ok: true), to check against the database. */
  acked: string[];
  ackMs: number[];
  /** For each of ackMs: the page it answered, and when its ack came (performance.now()), to say where a tail is. */
  ackPage: number[];
  ackAt: number[];
  retries: number;
  reconnects: number;
  /** Why the connection dropped (socket.io's reasons), for diagnosing load problems. */
  drops: string[];
  /**
   * After each reconnect: the page the bot was on, the page the server resumed
   * it on, whether an answer to that page was unacknowledged (pendingBefore), and
   * whether its answer had been acknowledged while the next page was still on
   * the wire (ackedBefore): in both cases the server rightly resumes one page on.
   */
  resumes: { before: number; after: number; pendingBefore: boolean; ackedBefore: boolean }[];
  errors: string[];
  pagesSeen: number;
}

/** Every question of the protocol by id, with its full parameters (bots see the expected answers; people don't). */
export function questionIndex(protocol: Protocol): Map<string, Question> {
  const out = new Map<string, Question>();
  const add = (q: Question) => {
    if (!out.has(q.id)) out.set(q.id, q);
  };
  for (const ph of protocol.phases) {
    if (ph.kind === 'comprehension' || ph.kind === 'training' || ph.kind === 'questionnaire') ph.questions.forEach(add);
    if (ph.kind === 'trials') {
      ph.blocks.forEach((b) => b.questions.forEach(add));
      ph.attention_checks.forEach((c) => add(c.question));
    }
  }
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Parsing a question's parameters once per bot process, not once per answer (2,000 bots share one CPU with the server). */
const resolvedCache = new WeakMap<Question, ReturnType<typeof resolveQuestion>>();
function resolved(q: Question): ReturnType<typeof resolveQuestion> {
  let r = resolvedCache.get(q);
  if (!r) {
    r = resolveQuestion(q);
    resolvedCache.set(q, r);
  }
  return r;
}

export function runBot(opts: BotOptions): Promise<BotResult> {
  return new Bot(opts).run();
}

/**
 * A simulated participant on the browser's own connection and outbox
 * (client/participant): they join, resume with the token, re-send unacknowledged
 * answers with the same client id; the bot decides when and what to answer and
 * keeps the figures of the run.
 */
class Bot {
  private readonly questions: Map<string, Question>;
  private readonly result: BotResult;
  private readonly outbox = memoryOutbox();
  private readonly sentAt = new Map<string, number>();
  private conn: ParticipantConnection | undefined;
  private current: PageView | undefined;
  /** The page being answered (-1: none, e.g. after a drop, when the server will say which page is current). */
  private answering = -1;
  private lastAckedIndex = -1;
  /** Set at a drop, filled in by the page the server resumes the bot on. */
  private drop: { before: number; pendingBefore: boolean; ackedBefore: boolean } | undefined;
  private online = 0;
  private finished = false;
  private done: (r: BotResult) => void = () => {};
  private giveUp: NodeJS.Timeout | undefined;

  constructor(private readonly opts: BotOptions) {
    this.questions = questionIndex(opts.protocol);
    this.result = { pid: opts.pid, outcome: 'stuck', acked: [], ackMs: [], ackPage: [], ackAt: [], retries: 0, reconnects: 0, drops: [], resumes: [], errors: [], pagesSeen: 0 };
  }

  run(): Promise<BotResult> {
    const { opts, result } = this;
    return new Promise<BotResult>((resolve) => {
      this.done = resolve;
      this.giveUp = setTimeout(() => this.finish('stuck'), opts.maxMs ?? 120_000);
      this.conn = new ParticipantConnection(
        { study: opts.study, bot: true, prolific: { PROLIFIC_PID: opts.pid, STUDY_ID: 'bots', SESSION_ID: opts.pid } },
        this.outbox,
        {
          onJoined: (token, _preview, participantId) => {
            result.token = token;
            result.participantId = participantId;
          },
          onPage: (view) => this.onPage(view),
          onDone: (end) => this.finish(end.status),
          onRefused: (info) => {
            result.refusedReason = info.reason;
            this.finish('refused');
          },
          onTakeover: () => {
            result.errors.push('taken over');
            this.finish('stuck');
          },
          onStatus: (status) => {
            if (status === 'online' && ++this.online > 1) result.reconnects++;
          },
          onAcked: (s) => this.onAcked(s),
          onRejected: (s, ack) => {
            // A stale page: the server moved on (e.g. a timeout) and sends the current page.
            if (!/stale page/.test(ack.error)) result.errors.push(`page ${s.pageIndex}: ${ack.error}`);
          },
          onRetry: () => result.retries++,
          onDisconnect: (reason) => this.onDisconnect(reason),
          onConnectError: (message) => {
            if (!this.finished) result.drops.push(`connect_error: ${message}`);
          },
        },
        { url: opts.url, socket: this.socketOptions() },
      );
    });
  }

  private socketOptions(): ConnectionOptions['socket'] {
    const socket: ConnectionOptions['socket'] = { transports: ['websocket'], tryAllTransports: false, reconnectionDelay: 150, reconnectionDelayMax: 1000, randomizationFactor: 0.5, timeout: 20_000, forceNew: true };
    if (!this.opts.localAddress) return socket;
    // engine.io-client hands localAddress to the Node websocket (ws) it opens; its types do not list it.
    const from: { localAddress: string } = { localAddress: this.opts.localAddress };
    return { ...socket, ...from };
  }

  private finish(outcome: BotResult['outcome']): void {
    if (this.finished) return;
    this.finished = true;
    this.result.outcome = outcome;
    clearTimeout(this.giveUp);
    this.conn?.stop();
    this.done(this.result);
  }

  private onPage(view: PageView): void {
    if (this.finished) return;
    this.result.pagesSeen++;
    if (this.drop) {
      this.result.resumes.push({ ...this.drop, after: view.index });
      this.drop = undefined;
    }
    const same = this.current?.index === view.index;
    this.current = view;
    const { abandonAt } = this.opts;
    if (abandonAt !== undefined && view.index >= Math.max(1, Math.floor(abandonAt * view.total))) return this.finish('abandoned');
    // An answer to this page still waits for its ack: the connection re-sends it; answering again would be a second answer.
    if (this.outbox.pending().some((s) => s.pageIndex === view.index)) return;
    if (!same || this.answering !== view.index || view.kind === 'comprehension') void this.answerPage(view);
  }

  private onAcked(s: Submit): void {
    const t0 = this.sentAt.get(s.clientId);
    if (t0 !== undefined) {
      const at = performance.now();
      this.result.ackMs.push(at - t0);
      this.result.ackPage.push(s.pageIndex);
      this.result.ackAt.push(at);
    }
    this.sentAt.delete(s.clientId);
    this.result.acked.push(s.clientId);
    this.lastAckedIndex = s.pageIndex;
  }

  private onDisconnect(reason: string): void {
    if (this.finished) return;
    this.result.drops.push(reason);
    const before = this.current?.index ?? -1;
    this.drop = { before, pendingBefore: this.outbox.pending().length > 0, ackedBefore: this.current !== undefined && this.lastAckedIndex === before };
    this.answering = -1;
  }

  /** Waits as a person would (reading floor, think time, minimum reading time), then answers, unless the page moved on meanwhile. */
  private async answerPage(view: PageView): Promise<void> {
    const { opts } = this;
    this.answering = view.index;
    const shownAt = performance.now();
    // Careless bots leave some timed pages to the server's deadline, which moves them on.
    if (opts.profile === 'careless' && view.deadlineAt !== undefined && opts.rng.next() < (opts.timeoutShare ?? 0.3)) return;
    // Until the time has really passed: a timer may fire a millisecond early, and an answer at
    // 1,999 ms against a 2,000 ms minimum would be flagged too fast.
    const until = shownAt + this.thinkMs(view);
    while (performance.now() < until) await sleep(Math.max(1, until - performance.now()));
    if (this.finished || this.current?.index !== view.index || this.answering !== view.index) return;
    const submit: Submit = {
      clientId: randomUUID(),
      pageIndex: view.index,
      answers: this.answersFor(view),
      // The time actually spent on the page (reading wait and think time), as a browser would report it.
      rtMs: Math.round(performance.now() - shownAt),
      events: [{ type: 'paint', t: 0 }],
    };
    this.sentAt.set(submit.clientId, performance.now());
    this.conn!.submit(submit);
  }

  private thinkMs(view: PageView): number {
    const [lo, hi] = this.opts.thinkMs ?? [0, 10];
    // An attentive bot reads a text at least as long as the protocol's fastest credible answer, as an attentive person does.
    const floor = this.opts.profile === 'attentive' && view.stimulus ? (this.opts.protocol.exclusions.min_rt_ms ?? 0) : 0;
    return Math.max(floor + lo + this.opts.rng.next() * (hi - lo), view.minReadMs ?? 0);
  }

  /** Each shown question answered by its type's botAnswer (or the caller's), from the protocol's full question (bots see the expected answers). */
  private answersFor(view: PageView): Record<string, unknown> {
    const answers: Record<string, unknown> = {};
    if (view.kind === 'consent') answers.consent = true;
    for (const shown of view.questions) {
      const q = this.questions.get(shown.id) ?? shown;
      const ctx: BotContext & { view: PageView } = { rng: this.opts.rng, profile: this.opts.profile, view };
      if (this.opts.answer) answers[q.id] = this.opts.answer(q, ctx);
      else {
        const { descriptor, params } = resolved(q);
        answers[q.id] = descriptor.botAnswer(params, ctx);
      }
    }
    return answers;
  }
}
