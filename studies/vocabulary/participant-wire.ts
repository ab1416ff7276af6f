// The participant wire contract over socket.io: what the browser (or a bot) may
// send, and what the server sends back. Shared by server, client and bots, so a
// change here is a change everywhere. Every inbound payload is parsed with these
// schemas before anything else looks at it.
import { z } from 'zod';
import type { Question } from '../protocol.ts';
import type { PageKind } from './pages.ts';
import type { EndStatus } from './statuses.ts';

/** Largest inbound payload the server accepts, in bytes of JSON. */
export const MAX_EVENT_BYTES = 64 * 1024;

/** socket.io handshake `auth` of a participant connection. */
export const JoinAuthSchema = z
  .object({
    study: z.string().min(1).max(100),
    /** Token from a previous visit (kept in localStorage), to resume. */
    token: z.string().max(200).optional(),
    prolific: z
      .object({
        PROLIFIC_PID: z.string().min(1).max(100),
        STUDY_ID: z.string().max(100).optional(),
        SESSION_ID: z.string().max(100).optional(),
      })
      .strict()
      .optional(),
    /** Preview walks the protocol and stores nothing (researcher only; checked against the session cookie). */
    preview: z.boolean().optional(),
    /** A pilot link (`?pilot=1`): a test run kept apart from real participants even with recruiter ids. */
    pilot: z.boolean().optional(),
    /** A simulated participant (`credence bots`). */
    bot: z.boolean().optional(),
  })
  .strict();
export type JoinAuth = z.infer<typeof JoinAuthSchema>;

/** A focus/blur/visibility/fullscreen event on the page, ms since first paint. */
export const PageEventSchema = z
  .object({
    type: z.enum(['focus', 'blur', 'visible', 'hidden', 'fullscreen-enter', 'fullscreen-exit', 'paint']),
    t: z.number().min(0).max(1e9),
  })
  .strict();

/** client → server `submit`, answered by ack(SubmitAck). */
export const SubmitSchema = z
  .object({
    /** Made by the client (uuid); a retry with the same id never writes twice. */
    clientId: z.string().min(8).max(64),
    /** The page index the client believes it answers; a stale index is refused. */
    pageIndex: z.number().int().min(0),
    /** Answers keyed by question id; each is checked by its question type's response schema. */
    answers: z.record(z.string().max(100), z.unknown()),
    /** performance.now() from first paint of the page to the answer. */
    rtMs: z.number().min(0).max(1e9),
    events: z.array(PageEventSchema).max(500).default([]),
  })
  .strict();
export type Submit = z.infer<typeof SubmitSchema>;

/** client → server `draft`: the answers given so far on a page (no ack); stored with the timeout if the page expires. */
export const DraftSchema = z
  .object({
    pageIndex: z.number().int().min(0),
    answers: z.record(z.string().max(100), z.unknown()),
  })
  .strict();
export type Draft = z.infer<typeof DraftSchema>;

export type SubmitAck =
  | { ok: true; duplicate?: boolean }
  | { ok: false; error: string; field?: string };

/** What a page shows; the server sends exactly one at a time. */
export interface PageView {
  index: number;
  /** Pages in this participant's sequence, for the progress bar. */
  total: number;
  kind: PageKind;
  title?: string;
  /** Plain text (never HTML). */
  text?: string;
  stimulus?: { id: string; text: string; gltr?: { token: string; rank: number }[]; sentences?: string[] };
  questions: Question[];
  /** Shown after a training answer, or after a failed comprehension attempt. */
  feedback?: string;
  /** Comprehension: attempts left including this one. */
  attemptsLeft?: number;
  /** Server epoch ms at which the page times out, if timed. */
  deadlineAt?: number;
  /** What deadlineAt ends: this page's time limit, or the whole study's. */
  deadlineFor?: 'page' | 'study';
  /** Server epoch ms when this view was sent, so the client can correct its clock. */
  serverNow: number;
  /** The minimum reading time before an answer is accepted, ms. */
  minReadMs?: number;
}

/** server → client events. */
export interface ServerToClient {
  /** The page to show now (on join, after each accepted submit, after a timeout). */
  page: (view: PageView) => void;
  /** The participant is finished; redirect only after this arrives (the final save is committed). */
  done: (end: { status: EndStatus; code?: string; redirectUrl?: string; message: string }) => void;
  /** Another tab or device took over this participant. */
  takeover: (info: { message: string }) => void;
  /** A refused or malformed event (unknown event, bad payload); nothing was stored. */
  error: (info: { event: string; message: string }) => void;
  /** Could not join: study full, closed, unknown, or bad parameters. */
  refused: (info: { reason: RefusedReason; message: string }) => void;
  /** Joined: the token to keep for resuming. */
  joined: (info: { token: string; participantId: string; preview: boolean }) => void;
}

/**
 * Why a join was refused: full, paused or closed by the researcher, no such study, a link still holding a placeholder id,
 * a recruiter id whose record continues in the browser that consented (resume_after_consent: same-browser), too many new
 * participants from one network (design.joins_per_address), a malformed request.
 */
export type RefusedReason = 'full' | 'paused' | 'closed' | 'unknown-study' | 'placeholder-id' | 'other-browser' | 'too-many-joins' | 'bad-request';

/** client → server events. Unknown events get an `error` reply and change nothing. */
export interface ClientToServer {
  submit: (payload: unknown, ack: (r: SubmitAck) => void) => void;
  /** Client-side clock/RTT probe; no state. */
  ping: (ack: (serverNow: number) => void) => void;
  /** The answers given so far on the current page (a partial answer is data when the page times out). */
  draft: (payload: unknown) => void;
}

export type { EndStatus };
