// One simulated participant: a socket.io client that walks the same lifecycle
// as a person (join with a Prolific id, one page at a time, resume with its
// token after any disconnect), answering with each question type's botAnswer.
// It keeps an unacknowledged submit and re-sends it with the same clientId
// until the server either acknowledges it or has moved past that page.
import { io, type Socket } from 'socket.io-client';
import { randomUUID } from 'node:crypto';
import type { Protocol, Question } from '../../studies/protocol.ts';
import type { BotContext } from '../../studies/question-type.ts';
import { resolveQuestion } from '../../studies/questions/index.ts';
import type { Rng } from '../../studies/random.ts';
import type { ClientToServer, EndStatus, PageView, ServerToClient, Submit, SubmitAck } from '../../studies/vocabulary/participant-wire.ts';

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
  ackTimeoutMs?: number;
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
  const questions = questionIndex(opts.protocol);
  const result: BotResult = { pid: opts.pid, outcome: 'stuck', acked: [], ackMs: [], retries: 0, reconnects: 0, drops: [], resumes: [], errors: [], pagesSeen: 0 };
  const [thinkLo, thinkHi] = opts.thinkMs ?? [0, 10];
  const minRtMs = opts.protocol.exclusions.min_rt_ms ?? 0;
  const ackTimeout = opts.ackTimeoutMs ?? 10_000;

  return new Promise<BotResult>((resolveBot) => {
    let token: string | undefined;
    let current: PageView | undefined;
    let lastIndexBeforeDrop: number | undefined;
    let pendingAtDrop = false;
    let ackedAtDrop = false;
    let lastAckedIndex = -1;
    let pending: { payload: Submit; sentAt: number } | undefined;
    let finished = false;
    let answering = -1;
    let resumedCheck = false;

    const socket: Socket<ServerToClient, ClientToServer> = io(opts.url, {
      transports: ['websocket'],
      reconnection: true,
      reconnectionDelay: 150,
      reconnectionDelayMax: 1000,
      timeout: 20_000,
      forceNew: true,
      auth: (cb) => cb(token ? { study: opts.study, token } : { study: opts.study, bot: true, prolific: { PROLIFIC_PID: opts.pid, STUDY_ID: 'bots', SESSION_ID: opts.pid } }),
    });

    const finish = (outcome: BotResult['outcome']) => {
      if (finished) return;
      finished = true;
      result.outcome = outcome;
      result.token = token;
      clearTimeout(giveUp);
      socket.io.reconnection(false);
      socket.disconnect();
      resolveBot(result);
    };
    const giveUp = setTimeout(() => finish('stuck'), opts.maxMs ?? 120_000);

    const send = () => {
      if (!pending || finished || !socket.connected) return;
      const p = pending;
      const t0 = performance.now();
      socket.timeout(ackTimeout).emit('submit', p.payload, (err: Error | null, ack: SubmitAck) => {
        if (finished || pending !== p) return;
        if (err) {
          // No ack in time: resend the same clientId (idempotent on the server).
          result.retries++;
          send();
          return;
        }
        result.ackMs.push(performance.now() - t0);
        if (ack.ok) {
          result.acked.push(p.payload.clientId);
          lastAckedIndex = p.payload.pageIndex;
          pending = undefined;
        } else if (!/stale page/.test(ack.error)) {
          result.errors.push(`page ${p.payload.pageIndex}: ${ack.error}`);
          pending = undefined;
        } else pending = undefined; // the server moved on (e.g. a timeout); the next page is on its way
      });
    };

    const answerPage = async (view: PageView) => {
      answering = view.index;
      const shownAt = performance.now();
      // An attentive bot reads a text at least as long as the protocol's fastest credible answer, as an attentive person does.
      const floor = opts.profile === 'attentive' && view.stimulus ? minRtMs : 0;
      const think = floor + thinkLo + opts.rng.next() * (thinkHi - thinkLo);
      const leaveToTimeout =
        opts.profile === 'careless' && view.deadlineAt !== undefined && opts.rng.next() < (opts.timeoutShare ?? 0.3);
      if (leaveToTimeout) return; // the server's deadline will move this bot on
      await sleep(Math.max(think, view.minReadMs ?? 0));
      if (finished || current?.index !== view.index || answering !== view.index) return;
      const answers: Record<string, unknown> = {};
      if (view.kind === 'consent') answers.consent = true;
      for (const shown of view.questions) {
        const q = questions.get(shown.id) ?? shown;
        const ctx: BotContext & { view: PageView } = { rng: opts.rng, profile: opts.profile, view };
        if (opts.answer) {
          answers[q.id] = opts.answer(q, ctx);
          continue;
        }
        const { descriptor, params } = resolved(q);
        answers[q.id] = descriptor.botAnswer(params, ctx);
      }
      pending = {
        // The time actually spent on the page (reading wait and think time), as a browser would report it.
        payload: { clientId: randomUUID(), pageIndex: view.index, answers, rtMs: Math.round(performance.now() - shownAt), events: [{ type: 'paint', t: 0 }] },
        sentAt: Date.now(),
      };
      send();
    };

    socket.on('joined', (info) => {
      token = info.token;
      result.participantId = info.participantId;
    });
    socket.on('page', (view) => {
      if (finished) return;
      result.pagesSeen++;
      if (resumedCheck) {
        result.resumes.push({ before: lastIndexBeforeDrop ?? -1, after: view.index, pendingBefore: pendingAtDrop, ackedBefore: ackedAtDrop });
        resumedCheck = false;
      }
      const same = current?.index === view.index;
      current = view;
      if (pending && pending.payload.pageIndex !== view.index) pending = undefined; // it was stored before the drop
      if (opts.abandonAt !== undefined && view.index >= Math.max(1, Math.floor(opts.abandonAt * view.total))) {
        finish('abandoned');
        return;
      }
      if (pending) {
        send(); // a resume on the same page: re-send the unacknowledged answer
        return;
      }
      if (!same || answering !== view.index) void answerPage(view);
      else if (view.kind === 'comprehension') void answerPage(view); // another attempt
    });
    socket.on('done', (end) => finish(end.status));
    socket.on('refused', (info) => {
      result.refusedReason = info.reason;
      finish('refused');
    });
    socket.on('takeover', () => {
      result.errors.push('taken over');
      finish('stuck');
    });
    socket.on('error', (info) => {
      result.errors.push(`error event: ${info.message}`);
    });
    socket.on('disconnect', (reason) => {
      if (finished) return;
      result.drops.push(reason);
      if (reason === 'io server disconnect') return; // refused/takeover handle themselves
      lastIndexBeforeDrop = current?.index;
      pendingAtDrop = !!pending;
      ackedAtDrop = current !== undefined && lastAckedIndex === current.index;
      resumedCheck = true;
      answering = -1;
      // Drop socket.io's own buffer: re-sends happen once the server says which page is current.
      (socket as unknown as { sendBuffer: unknown[] }).sendBuffer = [];
    });
    socket.on('connect_error', (err) => {
      if (!finished) result.drops.push(`connect_error: ${err.message}`);
    });
    socket.io.on('reconnect', () => {
      result.reconnects++;
    });
  });
}
