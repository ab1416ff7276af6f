// The stored tables' rows as both engines read them (the same column names and
// types on SQLite and PostgreSQL: times are epoch ms, flags 0/1), and the one
// conversion from each into what the Store interface hands out. An engine
// only runs SQL; what a row means is decided here, once.
import type { AnalysisParticipantRow, AnalysisResponseRow, DetectorScoreRow, ParticipantRow, ResponseRow, StimulusRow } from '../../analysis/rows.ts';
import type { ParticipantKind, StudyState } from '../../studies/vocabulary/participant-kinds.ts';
import type { LiveParticipant } from '../../studies/vocabulary/admin-views.ts';
import type { Protocol } from '../../studies/protocol.ts';
import type { ParticipantRecord, ParticipantStatus, PlannedPage, StoredStimulus, StudyVersionRecord, ConditionCount, NewParticipant, SubmissionInput, StudySummary } from './store.ts';

export interface StudyDbRow {
  id: string;
  version: string;
  protocol_json: string;
  file: string | null;
  created_at: number;
}

export interface StimulusDbRow {
  study_id: string;
  version: string;
  stimulus_id: string;
  pool: string;
  text: string;
  label_json: string;
  source: 'human' | 'machine';
  model: string | null;
  model_size: string | null;
  sampling: string | null;
  length_words: number;
  boundary: number | null;
  sentences_json: string | null;
  provenance_json: string | null;
  prompt: string | null;
  gltr_json: string | null;
  source_text: string | null;
}

export interface ParticipantDbRow {
  id: string;
  study_id: string;
  version: string;
  idx: number;
  token_hash: string;
  prolific_pid: string | null;
  prolific_study_id: string | null;
  prolific_session_id: string | null;
  condition: string;
  seed: number;
  page_index: number;
  page_started_at: number;
  deadline_at: number | null;
  study_deadline_at: number | null;
  attempts: number;
  status: ParticipantStatus;
  flagged: number;
  started_at: number;
  ended_at: number | null;
  last_seen_at: number;
  kind: ParticipantKind;
  place_at: number | null;
}

export interface ResponseDbRow {
  id: number;
  participant_id: string;
  client_id: string;
  page_index: number;
  page_kind: string;
  block: string | null;
  trial_index: number | null;
  stimulus_id: string | null;
  rt_ms: number | null;
  timed_out: number;
  events_json: string;
  blur_count: number;
  submitted_at: number;
  rt_server_ms: number | null;
  rt_inconsistent: number;
}

export interface AnswerDbRow {
  response_id: number;
  question_id: string;
  question_type: string;
  value_json: string | null;
  value_num: number | null;
  value_text: string | null;
  correct: number | null;
}

export interface EventDbRow {
  id: number;
  participant_id: string;
  type: string;
  page_index: number | null;
  data_json: string | null;
  at: number;
}

export interface StudyStateDbRow {
  study_id: string;
  state: StudyState;
  changed_at: number;
}

export interface PurgeDbRow {
  id: number;
  study_id: string;
  kinds: string;
  participants: number;
  responses: number;
  at: number;
}

/** Every table, in an order that satisfies foreign keys (db copy writes them in this order). */
export const TABLES = ['studies', 'stimuli', 'participants', 'responses', 'answers', 'events', 'detector_scores', 'study_states', 'purges'] as const;
export type TableName = (typeof TABLES)[number];

/** A stored time (ms since the epoch, UTC) as ISO 8601 text, exactly as Date's toISOString writes it. */
export const iso = (ms: number | null): string | null => (ms == null ? null : isoText(ms));

const DAY_MS = 86_400_000;
const TWO_DIGITS = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
const THREE_DIGITS = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));
let lastDay = NaN;
let lastDayPrefix = '';

/**
 * toISOString's text, with the date part ("2026-01-01T") made once per day and the time of day from
 * tables: a million-response read converts every response's and participant's times, and toISOString
 * was about a sixth of the read. Times toISOString refuses (not finite, out of Date's range) still throw.
 */
function isoText(ms: number): string {
  if (!Number.isInteger(ms) || Math.abs(ms) > 8.64e15) return new Date(ms).toISOString();
  const day = Math.floor(ms / DAY_MS) * DAY_MS;
  if (day !== lastDay) {
    const text = new Date(day).toISOString();
    lastDayPrefix = text.slice(0, text.indexOf('T') + 1);
    lastDay = day;
  }
  let rest = ms - day;
  const milli = rest % 1000;
  rest = (rest - milli) / 1000;
  const sec = rest % 60;
  rest = (rest - sec) / 60;
  const min = rest % 60;
  const hour = (rest - min) / 60;
  return `${lastDayPrefix}${TWO_DIGITS[hour]}:${TWO_DIGITS[min]}:${TWO_DIGITS[sec]}.${THREE_DIGITS[milli]}Z`;
}

export function toStudy(r: StudyDbRow, protocol: Protocol): StudyVersionRecord {
  return { studyId: r.id, version: r.version, protocol, file: r.file, createdAt: r.created_at };
}

export function toStoredStimulus(r: StimulusDbRow): StoredStimulus {
  return {
    studyId: r.study_id,
    version: r.version,
    id: r.stimulus_id,
    pool: r.pool,
    text: r.text,
    label: JSON.parse(r.label_json),
    length_words: r.length_words,
    ...(r.source_text != null ? { source: r.source_text } : {}),
    ...(r.boundary != null ? { boundary: r.boundary } : {}),
    ...(r.sentences_json ? { sentences: JSON.parse(r.sentences_json) } : {}),
    ...(r.provenance_json ? { provenance: JSON.parse(r.provenance_json) } : {}),
    ...(r.prompt != null ? { prompt: r.prompt } : {}),
    ...(r.gltr_json ? { gltr: JSON.parse(r.gltr_json) } : {}),
  };
}

/** The stimuli table's columns for one stimulus, in insert order. */
export function stimulusValues(studyId: string, version: string, s: StoredStimulus | Omit<StoredStimulus, 'studyId' | 'version'>): unknown[] {
  return [
    studyId,
    version,
    s.id,
    s.pool,
    s.text,
    JSON.stringify(s.label),
    s.label.source,
    s.label.model ?? null,
    s.label.model_size ?? null,
    s.label.sampling ?? null,
    s.length_words,
    s.boundary ?? null,
    s.sentences ? JSON.stringify(s.sentences) : null,
    s.provenance === undefined ? null : JSON.stringify(s.provenance),
    s.prompt ?? null,
    s.gltr ? JSON.stringify(s.gltr) : null,
    s.source ?? null,
  ];
}
export const STIMULUS_COLUMNS =
  'study_id, version, stimulus_id, pool, text, label_json, source, model, model_size, sampling, length_words, boundary, sentences_json, provenance_json, prompt, gltr_json, source_text';

/** The participants table's columns for a new participant, in insert order (participantValues gives the values). */
export const PARTICIPANT_COLUMNS =
  'id, study_id, version, idx, token_hash, prolific_pid, prolific_study_id, prolific_session_id, condition, seed, page_index, page_started_at, deadline_at, study_deadline_at, attempts, status, flagged, started_at, ended_at, last_seen_at, kind, place_at, pages_total';

/** A new participant's row, in PARTICIPANT_COLUMNS order: on its first page, in progress, holding a place unless told otherwise. */
/** A new participant's plan row (participant_plans: participant_id, plan_json). */
export const planValues = (id: string, plan: PlannedPage[]): [string, string] => [id, JSON.stringify(plan)];

export function participantValues(p: NewParticipant, choice: Exclude<ReturnType<NewParticipant['choose']>, { full: true }>, id: string, index: number): unknown[] {
  return [
    id,
    p.studyId,
    p.version,
    index,
    p.tokenHash,
    p.prolificPid,
    p.prolificStudyId,
    p.prolificSessionId,
    choice.condition,
    choice.seed,
    0,
    p.now,
    choice.deadlineAt,
    p.studyLimitMs == null ? null : p.now + p.studyLimitMs,
    0,
    'in-progress',
    0,
    p.now,
    null,
    p.now,
    p.kind ?? (p.prolificPid ? 'real' : 'pilot'),
    p.placeAt === undefined ? p.now : p.placeAt,
    choice.plan.length,
  ];
}

/** The responses table's columns for one submit, in insert order (responseValues gives the values). */
export const RESPONSE_COLUMNS =
  'participant_id, client_id, page_index, page_kind, block, trial_index, stimulus_id, rt_ms, rt_server_ms, rt_inconsistent, timed_out, events_json, blur_count, submitted_at';

export function responseValues(s: SubmissionInput): unknown[] {
  return [s.participantId, s.clientId, s.pageIndex, s.pageKind, s.block, s.trialIndex, s.stimulusId, s.rtMs, s.rtServerMs ?? null, s.rtInconsistent ? 1 : 0, s.timedOut ? 1 : 0, s.eventsJson, s.blurCount, s.now];
}

/** An answer's row after its response's id, in insert order. */
export const ANSWER_COLUMNS = 'response_id, question_id, question_type, value_json, value_num, value_text, correct';

export function answerValues(responseId: number | bigint, a: SubmissionInput['answers'][number]): unknown[] {
  return [responseId, a.questionId, a.questionType, a.valueJson, a.valueNum, a.valueText, a.correct == null ? null : a.correct ? 1 : 0];
}

/**
 * Parsed page plans by participant id. A plan changes only when a participant
 * moves to another condition before taking a place (forget it then); parsing
 * one per read was the hottest path of both engines.
 */
export class PlanCache {
  private readonly plans = new Map<string, { condition: string | null; plan: PlannedPage[] }>();

  /**
   * The cached plan of participant id, if it is the plan of this condition. A
   * plan changes only with a move to another condition, so the condition read
   * with the row tells a stale entry (another process on the database moved
   * the participant) from a good one.
   */
  cached(id: string, condition: string | null): PlannedPage[] | undefined {
    const hit = this.plans.get(id);
    return hit && hit.condition === condition ? hit.plan : undefined;
  }

  /** The plan of participant id in this condition; `json` reads it from the database when it is not cached. */
  of(id: string, condition: string | null, json: string | (() => string)): PlannedPage[] {
    let plan = this.cached(id, condition);
    if (!plan) {
      if (this.plans.size > 20_000) this.plans.clear();
      plan = JSON.parse(typeof json === 'string' ? json : json()) as PlannedPage[];
      this.plans.set(id, { condition, plan });
    }
    return plan;
  }

  forget(id: string): void {
    this.plans.delete(id);
  }
}

/** A study's line on the researcher's overview, from its versions (oldest first), current counts and state. */
export function studySummaryOf(versions: StudyVersionRecord[], conditions: ConditionCount[], participants: number, takeovers: number, state: StudyState): StudySummary {
  const latest = versions[versions.length - 1];
  return {
    studyId: latest.studyId,
    title: latest.protocol.title,
    version: latest.version,
    versions: versions.map((v) => v.version),
    file: latest.file,
    conditions,
    participants,
    takeovers,
    full: conditions.every((c) => c.completed >= c.target),
    state,
  };
}

/** `?, ?, …` (SQLite) or `$1, $2, …` (PostgreSQL) for n values. */
export function placeholders(n: number, engine: 'sqlite' | 'postgres'): string {
  return Array.from({ length: n }, (_, i) => (engine === 'sqlite' ? '?' : `$${i + 1}`)).join(', ');
}

export function toParticipant(r: ParticipantDbRow, plan: PlannedPage[], preview: boolean): ParticipantRecord {
  return {
    id: r.id,
    studyId: r.study_id,
    version: r.version,
    index: r.idx,
    kind: r.kind,
    prolificPid: r.prolific_pid,
    prolificStudyId: r.prolific_study_id,
    prolificSessionId: r.prolific_session_id,
    condition: r.condition,
    seed: r.seed,
    plan,
    pageIndex: r.page_index,
    pageStartedAt: r.page_started_at,
    deadlineAt: r.deadline_at,
    studyDeadlineAt: r.study_deadline_at,
    attempts: r.attempts,
    status: r.status,
    flagged: !!r.flagged,
    startedAt: r.started_at,
    endedAt: r.ended_at,
    lastSeenAt: r.last_seen_at,
    preview,
    placeAt: r.place_at ?? null,
  };
}

/** Counts per condition from (condition, status, fresh, n) groups of the participants holding a place. */
export function conditionCountsOf(protocol: Protocol, rows: { condition: string; status: string; fresh: number | boolean; n: number }[]): ConditionCount[] {
  return protocol.design.conditions.map((c) => {
    const out: ConditionCount = { condition: c.id, target: c.target, completed: 0, active: 0, idle: 0, ended: 0 };
    for (const r of rows) {
      if (r.condition !== c.id) continue;
      if (r.status === 'completed') out.completed += r.n;
      else if (r.status === 'in-progress') {
        if (r.fresh) out.active += r.n;
        else out.idle += r.n;
      } else out.ended += r.n;
    }
    return out;
  });
}

export function toLiveParticipant(p: ParticipantRecord, ttlMs: number, now: number): LiveParticipant {
  const inProgress = p.status === 'in-progress';
  return {
    participantId: p.id,
    condition: p.condition,
    status: p.status,
    state: inProgress && now - p.lastSeenAt > ttlMs ? 'abandoned' : p.status,
    prolificPid: p.prolificPid,
    pageIndex: p.pageIndex,
    pagesTotal: p.plan.length,
    pageKind: p.plan[p.pageIndex]?.kind ?? null,
    pageStartedAt: p.pageStartedAt,
    timeOnPageMs: inProgress ? Math.max(0, now - p.pageStartedAt) : 0,
    lastSeenAt: p.lastSeenAt,
    startedAt: p.startedAt,
    endedAt: p.endedAt,
    flagged: p.flagged,
  };
}

/** What every response row of one participant repeats: read once per participant, shared by its rows. */
export interface ResponseParticipant {
  study_id: string;
  study_version: string;
  participant_id: string;
  participant_kind: ParticipantKind;
  condition: string;
}

/** What every response row about one stimulus repeats (the LEFT JOIN to stimuli): shared by those rows. */
export interface ResponseStimulus {
  pool: string | null;
  source: ResponseRow['stimulus_source'];
  model: string | null;
  model_size: string | null;
  sampling: string | null;
  length_words: number | null;
}

/** The participant's part of a long-format row, in RESPONSE_JOIN_COLUMNS order. */
export const RESPONSE_PARTICIPANT_PART = 'p.study_id, p.version AS study_version, p.id AS participant_id, p.kind AS participant_kind, p.condition';
/** The stimulus's part, in RESPONSE_JOIN_COLUMNS order (stimulusPartOf reads it). */
export const STIMULUS_PART = 's.pool AS stimulus_pool, s.source AS stimulus_source, s.model, s.model_size, s.sampling, s.length_words';
/**
 * The response's and answer's part of a long-format row (FROM responses r, answers a), read by
 * position (ResponseRows.of): what an engine reads per answer when the participant's and the
 * stimulus's columns come from lookups instead.
 */
export const RESPONSE_ANSWER_COLUMNS = `r.page_index, r.page_kind, r.block, r.trial_index, a.question_id, a.question_type, r.stimulus_id,
  a.value_json, a.value_num, a.value_text, a.correct, r.rt_ms, r.rt_server_ms, r.rt_inconsistent, r.timed_out, r.blur_count,
  r.submitted_at, r.client_id`;

/**
 * The response's and answer's part of an analysis row (AnalysisRows.of): RESPONSE_ANSWER_COLUMNS less
 * what only exports write (page index, block, trial index, the server's timing, blur count, submission
 * time, client id). Each column dropped is a value the driver no longer makes a million times.
 */
export const ANALYSIS_ANSWER_COLUMNS = `r.page_kind, a.question_id, a.question_type, r.stimulus_id, a.value_json, a.value_num, a.value_text,
  a.correct, r.rt_ms, r.rt_inconsistent, r.timed_out`;
/** Where each engine's long read finds the stimulus id among its answer columns (from their first). */
export const STIMULUS_ID_AT = { export: 6, analysis: 3 } as const;

/**
 * The long-format query's columns (FROM responses r, participants p, answers a, LEFT JOIN stimuli s),
 * read by position (responseRowOf): at a million rows, named-column objects built by the driver only
 * to be copied into these cost more than the query.
 */
export const RESPONSE_JOIN_COLUMNS = `${RESPONSE_PARTICIPANT_PART}, ${STIMULUS_PART}, ${RESPONSE_ANSWER_COLUMNS}`;
/** Position of the participant's kind in RESPONSE_JOIN_COLUMNS (to filter by kind before converting). */
export const RESPONSE_JOIN_KIND = 3;

/** The stimulus part of a row, STIMULUS_PART's columns from position `at` (null when the LEFT JOIN found none). */
export function stimulusPartOf(r: unknown[], at: number): ResponseStimulus | null {
  if (r[at + 1] == null) return null; // stimuli.source is NOT NULL: a null means no stimulus row
  return {
    pool: r[at] as string,
    source: r[at + 1] as ResponseRow['stimulus_source'],
    model: (r[at + 2] ?? null) as string | null,
    model_size: (r[at + 3] ?? null) as string | null,
    sampling: (r[at + 4] ?? null) as string | null,
    length_words: (r[at + 5] ?? null) as number | null,
  };
}

/** The participant part of a row, RESPONSE_PARTICIPANT_PART's columns from position `at`. */
function participantPartOf(r: unknown[], at: number): ResponseParticipant {
  return {
    study_id: r[at] as string,
    study_version: r[at + 1] as string,
    participant_id: r[at + 2] as string,
    participant_kind: r[at + 3] as ParticipantKind,
    condition: r[at + 4] as string,
  };
}

/**
 * The participant parts of a study's response rows, by the engine's key for a
 * participant: read once for the whole study, and once more for each
 * participant who joined after that read (whose rows a streaming read still
 * meets). Participants of a kind not asked for are known, as null.
 */
export class ParticipantParts {
  private readonly byKey = new Map<number, ResponseParticipant | null>();
  private readonly wanted: Set<string> | null;

  constructor(
    all: Iterable<unknown[]>,
    private readonly one: (key: number) => unknown[] | undefined,
    kinds?: readonly ParticipantKind[],
  ) {
    this.wanted = kinds ? new Set<string>(kinds) : null;
    for (const r of all) this.add(r);
  }

  /** Null for a participant of a kind not asked for (or, never in practice, one not found). */
  get(key: number): ResponseParticipant | null {
    const p = this.byKey.get(key);
    if (p !== undefined) return p;
    const r = this.one(key);
    return r ? this.add(r) : null;
  }

  private add(r: unknown[]): ResponseParticipant | null {
    const p = this.wanted && !this.wanted.has(r[4] as string) ? null : participantPartOf(r, 1); // after its key (the engine's row id)
    this.byKey.set(r[0] as number, p);
    return p;
  }
}

/**
 * The stimulus parts of a study's response rows by version and stimulus id (the
 * LEFT JOIN to stimuli as a lookup): read once for the study, and once more for
 * a stimulus not seen in that read (added since, or none: remembered as null).
 */
export class StimulusParts {
  private readonly byVersion = new Map<string, Map<string, ResponseStimulus | null>>();

  /** `all` and `one` give rows of version, stimulus_id, then STIMULUS_PART's columns. */
  constructor(
    all: unknown[][],
    private readonly one: (version: string, stimulusId: string) => unknown[] | undefined,
  ) {
    for (const r of all) this.of(r[0] as string).set(r[1] as string, stimulusPartOf(r, 2));
  }

  get(version: string, stimulusId: string): ResponseStimulus | null {
    const byId = this.of(version);
    let s = byId.get(stimulusId);
    if (s === undefined) {
      const r = this.one(version, stimulusId);
      byId.set(stimulusId, (s = r ? stimulusPartOf(r, 2) : null));
    }
    return s;
  }

  private of(version: string): Map<string, ResponseStimulus | null> {
    let byId = this.byVersion.get(version);
    if (!byId) this.byVersion.set(version, (byId = new Map()));
    return byId;
  }
}

/**
 * Builds ResponseRows from the participant's and stimulus's shared parts and the
 * RESPONSE_ANSWER_COLUMNS of one answer. The answers of one response share their
 * submission time, so its ISO text is made once per response, not once per answer.
 */
export class ResponseRows {
  private lastMs = NaN;
  private lastIso = '';

  /** `r` holds RESPONSE_ANSWER_COLUMNS from position `at`. */
  of(p: ResponseParticipant, s: ResponseStimulus | null, r: unknown[], at: number): ResponseRow {
    const ms = r[at + 16] as number;
    if (ms !== this.lastMs) {
      this.lastMs = ms;
      this.lastIso = iso(ms)!;
    }
    return {
      study_id: p.study_id,
      study_version: p.study_version,
      participant_id: p.participant_id,
      participant_kind: p.participant_kind,
      condition: p.condition,
      page_index: r[at] as number,
      page_kind: r[at + 1] as ResponseRow['page_kind'],
      block: r[at + 2] as string | null,
      trial_index: r[at + 3] as number | null,
      question_id: r[at + 4] as string,
      question_type: r[at + 5] as string,
      stimulus_id: r[at + 6] as string | null,
      stimulus_pool: s ? s.pool : null,
      stimulus_source: s ? s.source : null,
      model: s ? s.model : null,
      model_size: s ? s.model_size : null,
      sampling: s ? s.sampling : null,
      length_words: s ? s.length_words : null,
      value_json: r[at + 7] as string | null,
      value_num: r[at + 8] as number | null,
      value_text: r[at + 9] as string | null,
      correct: r[at + 10] == null ? null : r[at + 10] === 1,
      rt_ms: r[at + 11] as number | null,
      rt_server_ms: (r[at + 12] ?? null) as number | null,
      rt_inconsistent: r[at + 13] === 1,
      timed_out: r[at + 14] === 1,
      blur_count: r[at + 15] as number,
      submitted_at: this.lastIso,
      client_id: r[at + 17] as string,
    };
  }
}

/** Builds AnalysisResponseRows from the shared parts and the ANALYSIS_ANSWER_COLUMNS of one answer. */
export function analysisRowOf(p: ResponseParticipant, s: ResponseStimulus | null, r: unknown[], at: number): AnalysisResponseRow {
  return {
    study_version: p.study_version,
    participant_id: p.participant_id,
    condition: p.condition,
    page_kind: r[at] as ResponseRow['page_kind'],
    question_id: r[at + 1] as string,
    question_type: r[at + 2] as string,
    stimulus_id: r[at + 3] as string | null,
    stimulus_source: s ? s.source : null,
    model_size: s ? s.model_size : null,
    sampling: s ? s.sampling : null,
    length_words: s ? s.length_words : null,
    value_json: r[at + 4] as string | null,
    value_num: r[at + 5] as number | null,
    value_text: r[at + 6] as string | null,
    correct: r[at + 7] == null ? null : r[at + 7] === 1,
    rt_ms: r[at + 8] as number | null,
    rt_inconsistent: r[at + 9] === 1,
    timed_out: r[at + 10] === 1,
  };
}

/**
 * The same joined query as RESPONSE_JOIN_COLUMNS with only the answer columns the analysis reads
 * (an engine that joins instead of looking the participant and stimulus up: PostgreSQL).
 */
export const ANALYSIS_JOIN_COLUMNS = `${RESPONSE_PARTICIPANT_PART}, ${STIMULUS_PART}, ${ANALYSIS_ANSWER_COLUMNS}`;

/** A row in RESPONSE_JOIN_COLUMNS order. */
export function responseRowOf(r: unknown[], rows = new ResponseRows()): ResponseRow {
  return rows.of(participantPartOf(r, 0), stimulusPartOf(r, 5), r, 11);
}

/** A row in ANALYSIS_JOIN_COLUMNS order. */
export function analysisJoinRowOf(r: unknown[]): AnalysisResponseRow {
  return analysisRowOf(participantPartOf(r, 0), stimulusPartOf(r, 5), r, 11);
}

/**
 * A study's participants in the order every participants read gives them (started_at, then idx), `columns`
 * read by position; `param` is the engine's placeholder for the study id. The analysis numbers
 * participants in this order, so participants() and participantsForAnalysis() must agree on it.
 */
export const participantsInOrderSql = (columns: string, param: '?' | '$1') => `SELECT ${columns} FROM participants p WHERE study_id = ${param} ORDER BY started_at, idx`;

/** The participants table for analysis, read by position (participantRowsOf); the page count is the one stored with the plan. */
export const PARTICIPANT_ROW_COLUMNS = `p.study_id, p.version, p.id, p.kind, p.condition, p.status, p.last_seen_at, p.prolific_pid, p.prolific_study_id,
  p.prolific_session_id, p.seed, p.started_at, p.ended_at, p.pages_total, p.page_index,
  (SELECT COUNT(*) FROM events e WHERE e.participant_id = p.id AND e.type = 'takeover')`;

/**
 * The status the analysis and exports see: the stored one, or 'abandoned' for a participant in
 * progress but idle past its version's slot TTL. `ttlOf(version)` is that TTL in ms, asked once per version.
 */
function statusReader(ttlOf: (version: string) => number, now: number): (version: string, stored: string, lastSeenAt: number) => ParticipantRow['status'] {
  const ttls = new Map<string, number>();
  return (version, stored, lastSeenAt) => {
    if (stored !== 'in-progress') return stored as ParticipantRow['status'];
    let ttlMs = ttls.get(version);
    if (ttlMs === undefined) ttls.set(version, (ttlMs = ttlOf(version)));
    return now - lastSeenAt > ttlMs ? 'abandoned' : 'in-progress';
  };
}

/** Rows in PARTICIPANT_ROW_COLUMNS order; `ttlOf(version)` is the abandonment TTL of a version, ms. */
export function participantRowsOf(all: Iterable<unknown[]>, kinds: readonly ParticipantKind[] | undefined, ttlOf: (version: string) => number, now: number): ParticipantRow[] {
  const wanted = kinds ? new Set<string>(kinds) : null;
  const statusOf = statusReader(ttlOf, now);
  const out: ParticipantRow[] = [];
  for (const r of all) {
    if (wanted && !wanted.has(r[3] as string)) continue;
    const version = r[1] as string;
    out.push({
      study_id: r[0] as string,
      study_version: version,
      participant_id: r[2] as string,
      kind: r[3] as ParticipantKind,
      condition: r[4] as string,
      status: statusOf(version, r[5] as string, r[6] as number),
      prolific_pid: r[7] as string | null,
      prolific_study_id: r[8] as string | null,
      prolific_session_id: r[9] as string | null,
      assignment_seed: r[10] as number,
      started_at: iso(r[11] as number)!,
      ended_at: iso(r[12] as number | null),
      pages_total: r[13] as number,
      page_index: r[14] as number,
      takeovers: r[15] as number,
    });
  }
  return out;
}

/**
 * The participants table as the analysis reads it (participantsForAnalysis), by position: in the order
 * of PARTICIPANT_ROW_COLUMNS's reads (ORDER BY started_at, idx) but without the recruiter ids, times and
 * the takeover count (a lookup in the events per participant), which only exports write.
 */
export const ANALYSIS_PARTICIPANT_COLUMNS = 'p.version, p.id, p.kind, p.condition, p.status, p.last_seen_at';

/** Rows in ANALYSIS_PARTICIPANT_COLUMNS order, with the status participantRowsOf gives. */
export function analysisParticipantsOf(all: Iterable<unknown[]>, kinds: readonly ParticipantKind[] | undefined, ttlOf: (version: string) => number, now: number): AnalysisParticipantRow[] {
  const wanted = kinds ? new Set<string>(kinds) : null;
  const statusOf = statusReader(ttlOf, now);
  const out: AnalysisParticipantRow[] = [];
  for (const r of all) {
    if (wanted && !wanted.has(r[2] as string)) continue;
    out.push({ participant_id: r[1] as string, condition: r[3] as string, status: statusOf(r[0] as string, r[4] as string, r[5] as number) });
  }
  return out;
}

/** Stimuli of every version, oldest version first; a stimulus id shared by versions appears once (the newest text wins). */
export function toStimulusRows(rows: StimulusDbRow[]): StimulusRow[] {
  const byId = new Map<string, StimulusRow>();
  for (const r of rows) {
    byId.set(r.stimulus_id, {
      study_id: r.study_id,
      stimulus_id: r.stimulus_id,
      pool: r.pool,
      source: r.source,
      model: r.model,
      model_size: r.model_size,
      sampling: r.sampling,
      length_words: r.length_words,
      text: r.text,
      provenance_json: r.provenance_json,
      label_json: r.label_json,
      boundary: r.boundary,
      sentence_count: r.sentences_json ? (JSON.parse(r.sentences_json) as unknown[]).length : null,
    });
  }
  return [...byId.values()];
}

export type { DetectorScoreRow };
