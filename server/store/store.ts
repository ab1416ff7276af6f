// The storage interface. Everything durable goes through it: study versions,
// their stimuli, participants and their server-owned progress, the append-only
// response log, page events, detector scores, and researcher accounts and
// sessions. Two engines implement it, SQLite (sqlite.ts) and PostgreSQL
// (postgres.ts), and run the same tests; the interface is free of either's
// types. Stores are opened through open.ts, the one place that names the database.
import type { Protocol } from '../../studies/protocol.ts';
import type { PageKind, PlannedPage } from '../../studies/vocabulary/pages.ts';
import type { ParticipantStatus } from '../../studies/vocabulary/statuses.ts';
import type { StimulusInput } from '../../studies/vocabulary/stimuli.ts';
import type { LiveParticipant } from '../../studies/vocabulary/admin-views.ts';

// The store's interface speaks the shared vocabulary (studies/vocabulary); re-exported for its implementations.
export type { LiveParticipant, PageKind, ParticipantStatus, PlannedPage, StimulusInput };
import type { AnalysisParticipantRow, AnalysisResponseRow, DetectorScoreRow, ParticipantRow, ResponseRow, RowStream, StimulusRow } from '../../analysis/rows.ts';
import type { ParticipantKind, StudyState } from '../../studies/vocabulary/participant-kinds.ts';
import type { CommitStats } from './group-commit.ts';

export type { CommitStats };

export interface StudyVersionRecord {
  studyId: string;
  version: string;
  protocol: Protocol;
  file: string | null;
  createdAt: number;
}

export interface StoredStimulus extends StimulusInput {
  studyId: string;
  version: string;
}

export interface ParticipantRecord {
  id: string;
  studyId: string;
  version: string;
  /** 0-based arrival order within the study (all versions); drives Latin squares. */
  index: number;
  /** real (recruiter ids), pilot (a link without them) or bot. */
  kind: ParticipantKind;
  prolificPid: string | null;
  prolificStudyId: string | null;
  prolificSessionId: string | null;
  condition: string;
  seed: number;
  plan: PlannedPage[];
  pageIndex: number;
  pageStartedAt: number;
  deadlineAt: number | null;
  /** Whole-study deadline, epoch ms. */
  studyDeadlineAt: number | null;
  /** Attempts used on the current page (comprehension). */
  attempts: number;
  status: ParticipantStatus;
  /** Set when failed attention only flags (exclusions.failed_attention: false). */
  flagged: boolean;
  startedAt: number;
  endedAt: number | null;
  lastSeenAt: number;
  preview: boolean;
  /** When the participant took a place in their condition (consented, with a recruiter id when one is required); null: holds none. */
  placeAt: number | null;
}

export interface NewParticipant {
  studyId: string;
  version: string;
  /** sha256 of the bearer token; the token itself is never stored. */
  tokenHash: string;
  /** Default: real with a Prolific id, else pilot. */
  kind?: ParticipantKind;
  prolificPid: string | null;
  prolificStudyId: string | null;
  prolificSessionId: string | null;
  now: number;
  studyLimitMs: number | null;
  /** When the record takes its place: null = not yet (the engine's joins: at consent); default `now`. */
  placeAt?: number | null;
  /** Called inside the creating transaction with fresh counts, so two arrivals never race for one slot. */
  choose: (ctx: { counts: ConditionCount[]; index: number }) =>
    | { condition: string; seed: number; plan: PlannedPage[]; deadlineAt: number | null }
    | { full: true };
}

export interface DeadlineClaim {
  dueBefore: number;
  now: number;
  leaseMs: number;
  limit: number;
  only?: string;
}

export interface ConditionCount {
  condition: string;
  target: number;
  completed: number;
  /** In progress, holding a place, and seen within the slot TTL. Only participants who hold a place are counted at all. */
  active: number;
  /** In progress but idle past the TTL (their slot is free again). */
  idle: number;
  /** Ended without completing (no-consent, failed-*, timed-out). */
  ended: number;
}

export interface StudySummary {
  /** open, paused or closed by the researcher (new arrivals only). */
  state: StudyState;
  studyId: string;
  title: string;
  /** The newest version. */
  version: string;
  versions: string[];
  file: string | null;
  conditions: ConditionCount[];
  participants: number;
  /** Takeover events: a record resumed by its recruiter id from another browser. */
  takeovers: number;
  full: boolean;
}

/** One question's answer inside a submission. */
export interface AnswerInput {
  questionId: string;
  questionType: string;
  valueJson: string | null;
  valueNum: number | null;
  valueText: string | null;
  correct: boolean | null;
}

/** What a participant's record becomes after a submission (or timeout). */
export interface Progress {
  pageIndex: number;
  pageStartedAt: number;
  deadlineAt: number | null;
  attempts: number;
  status: ParticipantStatus;
  endedAt: number | null;
  flagged: boolean;
}

export interface SubmissionInput {
  participantId: string;
  clientId: string;
  /** The page answered; the write is refused unless the record is still on it. */
  pageIndex: number;
  pageKind: PageKind;
  block: string | null;
  trialIndex: number | null;
  stimulusId: string | null;
  rtMs: number | null;
  /** The server's own observation of the page: from its (last) sending to this answer, ms. */
  rtServerMs?: number | null;
  /** The reported rtMs contradicts the server's observation beyond the latency slack. */
  rtInconsistent?: boolean;
  timedOut: boolean;
  eventsJson: string;
  blurCount: number;
  answers: AnswerInput[];
  now: number;
  next: Progress;
  /**
   * The participant is past the point where they take a place (places.ts): the write is refused as
   * 'place-lost' when their place was released to a later arrival meanwhile (releasePlaces).
   */
  needsPlace?: boolean;
}

export type SubmitResult =
  | { kind: 'stored' }
  | { kind: 'duplicate' }
  | { kind: 'stale'; pageIndex: number }
  | { kind: 'not-in-progress' }
  /** needsPlace, and the participant holds no place: it went to someone else while they were away. */
  | { kind: 'place-lost' };

/** What a submit reads before it is checked (Store.submitTarget). */
export interface SubmitTarget {
  participant: ParticipantRecord | undefined;
  /** The submit's client id is stored for this participant already: a retry of an accepted submit. */
  retry: boolean;
}

/** The event a participant gets when their idle place is given to someone else (releasePlaces). */
export const PLACE_RELEASED = 'place-released';

/** Which idle places to release so that someone may take one (releasePlaces). */
export interface PlaceRelease {
  studyId: string;
  version: string;
  condition: string;
  /** How many places; all or none are released. */
  count: number;
  /** Only holders not seen since this time (the slot TTL before now). */
  seenBefore: number;
  /** Who takes the place (named in each released participant's event). */
  takerId: string;
  now: number;
}

export interface PageEventInput {
  participantId: string;
  type: string;
  pageIndex: number | null;
  data?: unknown;
  at: number;
}

/**
 * A download's rows: SQLite hands out a synchronous cursor on a second connection,
 * PostgreSQL a server-side cursor read in batches (for await works on both).
 */
export interface RowSource {
  rows: RowStream;
  /** Ends the read early or after the last row; safe to call twice. */
  close(): void;
}

/**
 * Everything a caller reads and writes, on either engine. Every method returns a
 * promise: SQLite answers at once, PostgreSQL over the network. Inside
 * transaction()/batch() the callback gets a StoreTx bound to that transaction;
 * calling the outer Store from inside the callback would run outside it (on
 * SQLite it waits for the transaction to end, i.e. deadlocks), so use the tx.
 */
export interface StoreTx {
  /** Registers a study version (a new row only when the protocol hash is new) with its stimuli. */
  registerStudy(input: { protocol: Protocol; version: string; file: string | null; stimuli: StimulusInput[] }): Promise<{
    created: boolean;
  }>;
  studyVersion(studyId: string, version?: string): Promise<StudyVersionRecord | undefined>;
  studyVersions(studyId: string): Promise<StudyVersionRecord[]>;
  studyIds(): Promise<string[]>;
  studySummaries(now?: number): Promise<StudySummary[]>;
  /** Counts of the given version (default: the newest). */
  conditionCounts(studyId: string, now?: number, version?: string): Promise<ConditionCount[]>;
  stimuliOf(studyId: string, version: string): Promise<StoredStimulus[]>;

  /** `created: false` when the Prolific id already had a record (a race between two tabs): that record is returned. */
  createParticipant(p: NewParticipant): Promise<{ participant: ParticipantRecord; created: boolean } | { full: true }>;
  participantByToken(tokenHash: string): Promise<ParticipantRecord | undefined>;
  participantByPid(studyId: string, prolificPid: string): Promise<ParticipantRecord | undefined>;
  participant(id: string): Promise<ParticipantRecord | undefined>;
  touch(participantId: string, now: number): Promise<void>;
  /**
   * Last-seen times, each its own (a heartbeat: the connected participants at its time, those who left at
   * theirs), so a slow but present participant keeps its slot. A time never moves back.
   */
  touchMany(seen: readonly (readonly [participantId: string, at: number])[]): Promise<void>;
  /** A resume by Prolific id hands out a fresh token; the old one stops working. */
  rotateToken(participantId: string, tokenHash: string): Promise<void>;
  /**
   * Claims due deadlines for the caller to expire: in-progress participants whose page or study deadline
   * is at or before `dueBefore` (earliest first, at most `limit`; `only`: just this participant) and whose
   * deadline nobody else holds a claim on. A claim is for one deadline and lapses at `now + leaseMs`, so the
   * deadlines a dead process claimed are claimed again by another. Across processes each claim goes to exactly
   * one caller (SQLite: one IMMEDIATE transaction; PostgreSQL: rows locked FOR UPDATE SKIP LOCKED, or an
   * upsert whose WHERE decides). Returns the claimed participants' ids.
   */
  claimDeadlines(c: DeadlineClaim): Promise<string[]>;

  /**
   * Gives a participant their place (once; false when they already hold one), moving them first to
   * another condition and plan when theirs filled up while they read the consent page. `p.condition`: the
   * condition they hold now (PostgreSQL counts a group's places taken before they are written, and in a
   * group answers true without waiting: the write, with the group's submits, keeps a place they took since).
   */
  takePlace(p: Pick<ParticipantRecord, 'id' | 'studyId' | 'version' | 'condition'>, now: number, move?: { condition: string; plan: PlannedPage[] }): Promise<boolean>;
  /**
   * Takes their places from `count` participants of a condition who are in progress but idle past the slot
   * TTL (the stalest first), each with a 'place-released' event, so that a later arrival may have one:
   * the place of someone who left is given away once, durably, and is not theirs again because they (or a
   * heartbeat) show up later; they must take a place anew (SubmissionInput.needsPlace). All or none:
   * PostgreSQL skips a row another transaction holds (a write for that participant is under way, so they
   * have not left), and then releases none. Returns how many were released.
   */
  releasePlaces(r: PlaceRelease): Promise<number>;
  /** Ends (as no-consent) in-progress records that never took a place, answered nothing and were not seen since `seenBefore`; returns how many. */
  expireUnplaced(seenBefore: number, now: number): Promise<number>;
  /** When a participant's latest event of this type (on this page) happened, or null. */
  lastEventAt(participantId: string, type: string, pageIndex?: number): Promise<number | null>;
  /** Appends one submission (and its answers) and moves the participant on, in one transaction. */
  submit(s: SubmissionInput): Promise<SubmitResult>;
  /**
   * A submit's one read before it is checked: the participant, and whether this client id is stored for them
   * already (a retry of an accepted submit). One query, not two: on PostgreSQL each is a round trip per answer.
   */
  submitTarget(participantId: string, clientId: string): Promise<SubmitTarget>;
  /** Ends or updates progress without a response (e.g. study time limit). */
  setProgress(participantId: string, expectPageIndex: number, next: Progress): Promise<boolean>;
  logEvent(e: PageEventInput): Promise<void>;
  events(participantId: string): Promise<{ type: string; pageIndex: number | null; data: unknown; at: number }[]>;

  liveParticipants(studyId: string, now?: number): Promise<LiveParticipant[]>;
  participants(studyId: string, kinds?: readonly ParticipantKind[]): Promise<ParticipantRow[]>;
  /** The same participants in the same order, with only what the analysis reads (id, condition, status). */
  participantsForAnalysis(studyId: string, kinds?: readonly ParticipantKind[]): Promise<AnalysisParticipantRow[]>;
  /** How many participants of each kind the study has. */
  kindCounts(studyId: string): Promise<Record<ParticipantKind, number>>;

  /** Whether new participants may join (default: open). */
  studyState(studyId: string): Promise<StudyState>;
  setStudyState(studyId: string, state: StudyState, now: number): Promise<void>;
  /**
   * Deletes the participants of these kinds (never `real`: the database refuses)
   * with their responses, answers and events, and logs the purge.
   */
  purgeParticipants(studyId: string, kinds: readonly ParticipantKind[], now: number): Promise<{ participants: number; responses: number }>;
  stimuli(studyId: string): Promise<StimulusRow[]>;
  /** How many submissions are stored for a client id (integrity checks). */
  countSubmissions(participantId: string, clientId?: string): Promise<number>;
  /** Whether the participant's latest response on a page was right, per answer (null: no right answer); for training feedback. */
  lastAnswerChecks(participantId: string, pageIndex: number): Promise<{ answered: boolean; correct: (boolean | null)[] }>;

  putDetectorScores(rows: DetectorScoreRow[]): Promise<number>;
  detectorScores(studyId: string): Promise<DetectorScoreRow[]>;
}

/** A researcher account as stored (the hash is read only by passwordHash). */
export interface AccountRow {
  username: string;
  created_at: number;
  password_changed_at: number;
}

/** A researcher session as stored, found by the sha256 of its cookie value. */
export interface SessionRow {
  username: string;
  csrf_token: string;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
}

/**
 * The researcher tables (accounts, sessions), on either engine beside the study
 * data. server/auth keeps the rules (hashing, expiry, CSRF); this only stores.
 */
export interface ResearcherStore {
  hasAccount(username: string): Promise<boolean>;
  accounts(): Promise<AccountRow[]>;
  /** False (nothing written) when the username is taken. */
  insertAccount(username: string, passwordHash: string, now: number): Promise<boolean>;
  /** False when there is no such account. */
  updatePasswordHash(username: string, passwordHash: string, now: number): Promise<boolean>;
  passwordHash(username: string): Promise<string | undefined>;
  /** Stores a session and removes expired ones on the way, so the table stays the size of the live sessions. */
  insertSession(idHash: string, username: string, csrfToken: string, now: number, expiresAt: number): Promise<void>;
  session(idHash: string): Promise<SessionRow | undefined>;
  touchSession(idHash: string, now: number, expiresAt: number): Promise<void>;
  deleteSession(idHash: string): Promise<void>;
  /** Ends every session of `username` (after a password reset). */
  deleteSessionsOf(username: string): Promise<void>;
  /** Sessions stored (expired ones included until the next login sweeps them). */
  sessionCount(): Promise<number>;
  /** Ends every session of `username` except the one with `keepIdHash`. */
  deleteOtherSessions(username: string, keepIdHash: string): Promise<void>;
}

export interface Store extends StoreTx {
  /** Researcher accounts and sessions, in the same database. */
  readonly researchers: ResearcherStore;
  /** Runs fn in one transaction, on one connection; fn must use the tx it is given. */
  transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T>;
  /**
   * Group commit (group-commit.ts): fn runs in its own savepoint inside the next
   * transaction shared with every write queued meanwhile; resolves with its
   * result once that transaction is durable, so the caller may acknowledge.
   * `key`: ops with the same key commit in the order queued (one participant's ops: their id; taking places
   * in a study: placesKey); ops with different keys may commit in concurrent transactions (PostgreSQL's
   * lanes). Ops without a key keep the order of the others without one.
   */
  batch<T>(fn: (tx: StoreTx) => Promise<T>, key?: string): Promise<T>;
  /** How the group commits went: largest group, commit and sync p99 (monitoring, benchmarks). */
  commitStats(): CommitStats;
  /**
   * Resolves once every transaction committed before the call is on disk.
   * Acknowledge nothing before it: a store may commit before it syncs.
   */
  durable(): Promise<void>;
  /**
   * Long format: one row per answered or timed-out question; `kinds` limits the participants (default: all).
   * Re-iterable: each pass reads the rows afresh. Consume a pass within one event-loop turn (SQLite
   * streams it from a cursor on the serving connection); a download uses responsesForExport.
   */
  iterateResponses(studyId: string, kinds?: readonly ParticipantKind[]): Promise<Iterable<ResponseRow>>;
  /**
   * The same rows for a download that spans many event-loop turns, read so that
   * participant writes go on meanwhile, streamed so that memory stays flat however
   * many rows. close() when done (or abandoned).
   */
  responsesForExport(studyId: string, kinds?: readonly ParticipantKind[]): Promise<RowSource>;
  /** iterateResponses's rows, in the same order and as re-iterable, with only the columns the analysis reads. */
  responsesForAnalysis(studyId: string, kinds?: readonly ParticipantKind[]): Promise<Iterable<AnalysisResponseRow>>;

  /** Commits what waits for a group commit, then closes. */
  close(): Promise<void>;
}

/** Every StoreTx method, listed once so an engine can forward each (the compiler checks the list is whole). */
const TX_METHODS: Record<keyof StoreTx, true> = {
  registerStudy: true, studyVersion: true, studyVersions: true, studyIds: true, studySummaries: true, conditionCounts: true,
  stimuliOf: true, createParticipant: true, participantByToken: true, participantByPid: true, participant: true, touch: true,
  touchMany: true, rotateToken: true, claimDeadlines: true, takePlace: true, releasePlaces: true, expireUnplaced: true,
  lastEventAt: true, submit: true, submitTarget: true, setProgress: true, logEvent: true, events: true,
  liveParticipants: true, participants: true, participantsForAnalysis: true, kindCounts: true, studyState: true, setStudyState: true,
  purgeParticipants: true, stimuli: true, countSubmissions: true, lastAnswerChecks: true, putDetectorScores: true,
  detectorScores: true,
};
export const STORE_TX_METHODS = Object.keys(TX_METHODS) as (keyof StoreTx)[];
