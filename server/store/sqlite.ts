// The SQLite store (better-sqlite3). WAL with synchronous=FULL: a transaction
// that returned has reached the disk, so "acknowledged" really means durable.
// The server switches to syncInBackground() (wal-sync.ts): commits return
// before the fsync and durable() resolves after it, so the fsync and the
// checkpoints leave the event loop while acks still wait for the disk.
// better-sqlite3 is synchronous, so a transaction runs without interleaving with
// other requests of this process; assignment and submit rely on that.
import Database from 'better-sqlite3';
import { resolve as resolvePath } from 'node:path';
import { randomUUID } from 'node:crypto';
import { PARTICIPANT_KINDS, type ParticipantKind, type StudyState } from '../../studies/vocabulary/participant-kinds.ts';
import type { Protocol } from '../../studies/protocol.ts';
import type { AnalysisParticipantRow, AnalysisResponseRow, DetectorScoreRow, ParticipantRow, ResponseRow, StimulusRow } from '../../analysis/rows.ts';
import { MIGRATIONS } from './schema.ts';
import { prepareDbFiles } from './storage-check.ts';
import { startCheckpointer, WalSync, DEFAULT_WAL_RESET_BYTES, type Checkpointer, type CheckpointerOptions, type HoldWrites } from './wal-sync.ts';
import { GroupCommit, inSavepoint, type CommitStats } from './group-commit.ts';
import { ResearcherTables, sqliteParams } from './researchers.ts';
import {
  type ConditionCount,
  type DeadlineClaim,
  type LiveParticipant,
  type NewParticipant,
  type PageEventInput,
  type PlaceRelease,
  PLACE_RELEASED,
  type ParticipantRecord,
  type ParticipantStatus,
  type PlannedPage,
  type Progress,
  type StimulusInput,
  type ResearcherStore,
  type Store,
  type StoreTx,
  type StoredStimulus,
  STORE_TX_METHODS,
  type StudySummary,
  type StudyVersionRecord,
  type RowSource,
  type SubmissionInput,
  type SubmitResult,
  type SubmitTarget,
} from './store.ts';

/** Stands for "no deadline" in SQL MIN() (later than any real epoch-ms deadline). */
const NO_DEADLINE = 9e15;

import {
  conditionCountsOf,
  STIMULUS_COLUMNS,
  PARTICIPANT_COLUMNS,
  participantValues,
  planValues,
  RESPONSE_COLUMNS,
  responseValues,
  ANSWER_COLUMNS,
  answerValues,
  placeholders,
  studySummaryOf,
  PlanCache,
  stimulusValues,
  toLiveParticipant,
  toParticipant,
  PARTICIPANT_ROW_COLUMNS,
  participantRowsOf,
  ANALYSIS_PARTICIPANT_COLUMNS,
  analysisParticipantsOf,
  participantsInOrderSql,
  RESPONSE_ANSWER_COLUMNS,
  ANALYSIS_ANSWER_COLUMNS,
  analysisRowOf,
  STIMULUS_ID_AT,
  RESPONSE_PARTICIPANT_PART,
  ResponseRows,
  type ResponseParticipant,
  type ResponseStimulus,
  STIMULUS_PART,
  ParticipantParts,
  StimulusParts,
  toStimulusRows,
  toStoredStimulus,
  toStudy,
  type ParticipantDbRow,
  type StimulusDbRow,
  type StudyDbRow,
  type EventDbRow,
  type StudyStateDbRow,
} from './rows.ts';

/**
 * Brings a SQLite database to this program's schema (MIGRATIONS, one per
 * user_version step, each in its own transaction). Refuses a database newer
 * than the program. Returns the versions before and after.
 */
export function migrateSqlite(db: Database.Database, label: string): { before: number; after: number } {
  const before = db.pragma('user_version', { simple: true }) as number;
  if (before > MIGRATIONS.length) {
    throw new Error(`${label}: database schema version ${before} is newer than this program (${MIGRATIONS.length}); use a newer Credence`);
  }
  for (let v = before; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
  return { before, after: MIGRATIONS.length };
}

/** The synchronous twin of an async interface: what better-sqlite3 answers at once. */
type Sync<T> = { [K in keyof T]: T[K] extends (...a: infer A) => Promise<infer R> ? (...a: A) => R : T[K] };

/**
 * A connection that writes a Credence database, as every writer opens it: a new
 * database gets a 0700 folder and 0600 files (storage-check.ts); WAL with
 * synchronous=FULL, so a returned commit is on disk; foreign keys enforced;
 * another writer (a sqlite3 shell, a second process) waited for up to 5 s.
 */
export function openWritable(path: string): Database.Database {
  prepareDbFiles(path);
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  return db;
}

/** The long read of a study's answers in submission order, keyed by participant rowid: `columns` from responses r and answers a. */
const longReadSql = (columns: string) => `
  SELECT p.rowid, ${columns}
  FROM responses r
  CROSS JOIN participants p ON p.id = r.participant_id
  CROSS JOIN answers a ON a.response_id = r.id
  WHERE p.study_id = ?
  ORDER BY r.id, a.rowid`;
/** The long read behind iterateResponses and the exports. */
export const LONG_READ_SQL = longReadSql(RESPONSE_ANSWER_COLUMNS);
/** The same read with only the columns the analysis reads (responsesForAnalysis): the same plan, the same order. */
export const ANALYSIS_READ_SQL = longReadSql(ANALYSIS_ANSWER_COLUMNS);

/** One better-sqlite3 connection and the SQL behind every store method, synchronous. */
class SqliteConnection implements Sync<StoreTx> {
  readonly db: Database.Database;
  private protocolCache = new Map<string, Protocol>();
  private st: Record<string, Database.Statement>;

  constructor(readonly path: string) {
    this.db = openWritable(path);
    migrateSqlite(this.db, this.path);
    const p = (sql: string) => this.sql(sql);
    this.st = {
      participantById: p('SELECT * FROM participants WHERE id = ?'),
      participantByToken: p('SELECT * FROM participants WHERE token_hash = ?'),
      participantByPid: p('SELECT * FROM participants WHERE study_id = ? AND prolific_pid = ?'),
      planOf: p('SELECT plan_json FROM participant_plans WHERE participant_id = ?'),
      insertPlan: p('INSERT INTO participant_plans (participant_id, plan_json) VALUES (?, ?)'),
      responseByClient: p('SELECT participant_id FROM responses WHERE participant_id = ? AND client_id = ?'),
      insertResponse: p(`INSERT INTO responses (${RESPONSE_COLUMNS}) VALUES (${placeholders(14, 'sqlite')})`),
      insertAnswer: p(`INSERT INTO answers (${ANSWER_COLUMNS}) VALUES (${placeholders(7, 'sqlite')})`),
      progress: p(`UPDATE participants SET page_index = @pageIndex, page_started_at = @pageStartedAt,
        deadline_at = @deadlineAt, attempts = @attempts, status = @status, ended_at = @endedAt, flagged = @flagged,
        last_seen_at = @now WHERE id = @id AND page_index = @expect AND status = 'in-progress'`),
      touch: p('UPDATE participants SET last_seen_at = ? WHERE id = ? AND last_seen_at < ?'),
      insertEvent: p('INSERT INTO events (participant_id, type, page_index, data_json, at) VALUES (?, ?, ?, ?, ?)'),
    };
  }

  private readonly stmts = new Map<string, Database.Statement>();
  /** Prepared once per SQL text: preparing on every call costs more than running. */
  sql(text: string): Database.Statement {
    let st = this.stmts.get(text);
    if (!st) {
      st = this.db.prepare(text);
      this.stmts.set(text, st);
    }
    return st;
  }

  private readonly plans = new PlanCache();

  // ---- studies ----

  registerStudy(input: { protocol: Protocol; version: string; file: string | null; stimuli: StimulusInput[] }): {
    created: boolean;
  } {
    const { protocol, version, file, stimuli } = input;
    return this.db.transaction(() => {
      const exists = this.sql('SELECT 1 FROM studies WHERE id = ? AND version = ?').get(protocol.id, version);
      if (exists) {
        // Stimuli of an existing version are only added when missing (e.g. prepared after first start); never changed.
        this.insertStimuli(protocol.id, version, stimuli, true);
        return { created: false };
      }
      this.sql('INSERT INTO studies (id, version, protocol_json, file, created_at) VALUES (?, ?, ?, ?, ?)')
        .run(protocol.id, version, JSON.stringify(protocol), file, Date.now());
      this.insertStimuli(protocol.id, version, stimuli, false);
      return { created: true };
    }).immediate();
  }

  private insertStimuli(studyId: string, version: string, stimuli: StimulusInput[], ignoreExisting: boolean): void {
    const ins = this.sql(`INSERT ${ignoreExisting ? 'OR IGNORE' : ''} INTO stimuli (${STIMULUS_COLUMNS})
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    for (const s of stimuli) ins.run(...stimulusValues(studyId, version, s));
  }

  private protocolOf(studyId: string, version: string, json?: string): Protocol {
    const key = `${studyId}\u0000${version}`;
    let p = this.protocolCache.get(key);
    if (!p) {
      const text = json ?? (this.sql('SELECT protocol_json FROM studies WHERE id = ? AND version = ?').get(studyId, version) as Pick<StudyDbRow, 'protocol_json'> | undefined)?.protocol_json;
      if (!text) throw new Error(`unknown study ${studyId} version ${version}`);
      p = JSON.parse(text) as Protocol;
      this.protocolCache.set(key, p);
    }
    return p;
  }

  private toStudy(r: StudyDbRow): StudyVersionRecord {
    return toStudy(r, this.protocolOf(r.id, r.version, r.protocol_json));
  }

  studyVersion(studyId: string, version?: string): StudyVersionRecord | undefined {
    const r = version
      ? this.sql('SELECT * FROM studies WHERE id = ? AND version = ?').get(studyId, version)
      : this.sql('SELECT * FROM studies WHERE id = ? ORDER BY created_at DESC, rowid DESC LIMIT 1').get(studyId);
    return r ? this.toStudy(r as StudyDbRow) : undefined;
  }

  studyVersions(studyId: string): StudyVersionRecord[] {
    return (this.sql('SELECT * FROM studies WHERE id = ? ORDER BY created_at, rowid').all(studyId) as StudyDbRow[]).map((r) => this.toStudy(r));
  }

  studyIds(): string[] {
    return (this.sql('SELECT DISTINCT id FROM studies ORDER BY id').all() as { id: string }[]).map((r) => r.id);
  }

  conditionCounts(studyId: string, now = Date.now(), version?: string): ConditionCount[] {
    const study = this.studyVersion(studyId, version);
    if (!study) return [];
    return this.countsFor(study, now);
  }

  private countsFor(study: StudyVersionRecord, now: number): ConditionCount[] {
    const ttlMs = study.protocol.design.slot_ttl_minutes * 60_000;
    const rows = this.sql(
        `SELECT condition, status, (last_seen_at >= ?) AS fresh, COUNT(*) AS n FROM participants
         WHERE study_id = ? AND version = ? AND place_at IS NOT NULL GROUP BY condition, status, fresh`,
      )
      .all(now - ttlMs, study.studyId, study.version) as { condition: string; status: string; fresh: number; n: number }[];
    return conditionCountsOf(study.protocol, rows);
  }

  studySummaries(now = Date.now()): StudySummary[] {
    return this.studyIds().map((id) => {
      const versions = this.studyVersions(id);
      const latest = versions[versions.length - 1];
      const conditions = this.countsFor(latest, now);
      const participants = (this.sql('SELECT COUNT(*) AS n FROM participants WHERE study_id = ?').get(id) as { n: number }).n;
      const takeovers = (this.sql(
        `SELECT COUNT(*) AS n FROM events WHERE type = 'takeover' AND participant_id IN (SELECT id FROM participants WHERE study_id = ?)`,
      ).get(id) as { n: number }).n;
      return studySummaryOf(versions, conditions, participants, takeovers, this.studyState(id));
    });
  }

  stimuliOf(studyId: string, version: string): StoredStimulus[] {
    const rows = this.sql('SELECT * FROM stimuli WHERE study_id = ? AND version = ? ORDER BY rowid').all(studyId, version) as StimulusDbRow[];
    return rows.map(toStoredStimulus);
  }

  // ---- participants ----

  private toParticipant(r: ParticipantDbRow | undefined): ParticipantRecord | undefined {
    return r ? toParticipant(r, this.plans.of(r.id, r.condition, () => (this.st.planOf.get(r.id) as { plan_json: string }).plan_json), this.path === ':memory:') : undefined;
  }

  createParticipant(p: NewParticipant): { participant: ParticipantRecord; created: boolean } | { full: true } {
    return this.db.transaction(() => {
      if (p.prolificPid) {
        const existing = this.participantByPid(p.studyId, p.prolificPid);
        if (existing) return { participant: existing, created: false };
      }
      const study = this.studyVersion(p.studyId, p.version);
      if (!study) throw new Error(`unknown study ${p.studyId} version ${p.version}`);
      const counts = this.countsFor(study, p.now);
      // MAX + 1, not COUNT: purged records leave gaps, and an index (and its seed) is never reused.
      const index = (this.sql('SELECT COALESCE(MAX(idx) + 1, 0) AS n FROM participants WHERE study_id = ? AND version = ?').get(p.studyId, p.version) as { n: number }).n;
      const choice = p.choose({ counts, index });
      if ('full' in choice) return { full: true as const };
      const id = randomUUID();
      const values = participantValues(p, choice, id, index);
      this.sql(`INSERT INTO participants (${PARTICIPANT_COLUMNS}) VALUES (${placeholders(values.length, 'sqlite')})`).run(...values);
      this.st.insertPlan.run(...planValues(id, choice.plan));
      return { participant: this.participant(id)!, created: true };
    }).immediate();
  }

  takePlace({ id: participantId }: Pick<ParticipantRecord, 'id' | 'studyId' | 'version' | 'condition'>, now: number, move?: { condition: string; plan: PlannedPage[] }): boolean {
    if (move) {
      this.plans.forget(participantId);
      // Only one that holds no place yet moves (the same condition as the place taken below).
      if (this.sql('UPDATE participants SET condition = ?, pages_total = ? WHERE id = ? AND place_at IS NULL').run(move.condition, move.plan.length, participantId).changes === 1) {
        this.sql('UPDATE participant_plans SET plan_json = ? WHERE participant_id = ?').run(JSON.stringify(move.plan), participantId);
      }
    }
    return this.sql('UPDATE participants SET place_at = ? WHERE id = ? AND place_at IS NULL').run(now, participantId).changes === 1;
  }

  releasePlaces(r: PlaceRelease): number {
    return this.db.transaction(() => {
      const gone = this.sql(
        `SELECT id, page_index FROM participants WHERE study_id = ? AND version = ? AND condition = ? AND place_at IS NOT NULL
         AND status = 'in-progress' AND last_seen_at < ? ORDER BY last_seen_at, id LIMIT ?`,
      ).all(r.studyId, r.version, r.condition, r.seenBefore, r.count) as { id: string; page_index: number }[];
      if (gone.length < r.count) return 0;
      for (const g of gone) {
        this.sql('UPDATE participants SET place_at = NULL WHERE id = ?').run(g.id);
        this.logEvent({ participantId: g.id, type: PLACE_RELEASED, pageIndex: g.page_index, data: { to: r.takerId }, at: r.now });
      }
      return gone.length;
    }).immediate();
  }

  expireUnplaced(seenBefore: number, now: number): number {
    // They never consented: they end as no-consent (real participants' records are never deleted) and their
    // deadline timers find nothing to do. They held no place, so no count changes.
    return this.sql(
      `UPDATE participants SET status = 'no-consent', ended_at = ?, deadline_at = NULL
       WHERE status = 'in-progress' AND place_at IS NULL AND last_seen_at < ?
       AND NOT EXISTS (SELECT 1 FROM responses r WHERE r.participant_id = participants.id)`,
    ).run(now, seenBefore).changes;
  }

  lastEventAt(participantId: string, type: string, pageIndex?: number): number | null {
    const r = (pageIndex === undefined
      ? this.sql('SELECT MAX(at) AS at FROM events WHERE participant_id = ? AND type = ?').get(participantId, type)
      : this.sql('SELECT MAX(at) AS at FROM events WHERE participant_id = ? AND type = ? AND page_index = ?').get(participantId, type, pageIndex)) as { at: number | null };
    return r.at ?? null;
  }

  /** A resume by Prolific id hands out a fresh token; the old one stops working. */
  rotateToken(participantId: string, tokenHash: string): void {
    this.sql('UPDATE participants SET token_hash = ? WHERE id = ?').run(tokenHash, participantId);
  }

  participantByToken(tokenHash: string): ParticipantRecord | undefined {
    return this.toParticipant(this.st.participantByToken.get(tokenHash) as ParticipantDbRow | undefined);
  }

  participantByPid(studyId: string, prolificPid: string): ParticipantRecord | undefined {
    return this.toParticipant(this.st.participantByPid.get(studyId, prolificPid) as ParticipantDbRow | undefined);
  }

  participant(id: string): ParticipantRecord | undefined {
    return this.toParticipant(this.st.participantById.get(id) as ParticipantDbRow | undefined);
  }

  touch(participantId: string, now: number): void {
    this.st.touch.run(now, participantId, now);
  }

  touchMany(seen: readonly (readonly [string, number])[]): void {
    if (seen.length === 0) return;
    this.db.transaction(() => {
      for (const [id, at] of seen) this.st.touch.run(at, id, at);
    }).immediate();
  }

  claimDeadlines(c: DeadlineClaim): string[] {
    // The earlier of the page's and the study's deadline; NULL compares false, so a missing one never counts.
    const due = `MIN(COALESCE(deadline_at, ${NO_DEADLINE}), COALESCE(study_deadline_at, ${NO_DEADLINE}))`;
    const where = `status = 'in-progress' AND (deadline_at <= @before OR study_deadline_at <= @before)`;
    // A claim of an earlier deadline (an earlier page) is no claim on this one; a lapsed claim is free again.
    const claim = this.sql(`INSERT INTO deadline_claims (participant_id, due_at, claimed_until) VALUES (?, ?, ?)
      ON CONFLICT (participant_id) DO UPDATE SET due_at = excluded.due_at, claimed_until = excluded.claimed_until
      WHERE deadline_claims.due_at <> excluded.due_at OR deadline_claims.claimed_until <= ?`);
    // IMMEDIATE: the write lock is taken before the read, so two processes never both see a deadline unclaimed.
    return this.db.transaction(() => {
      const rows = (
        c.only
          ? this.sql(`SELECT id, ${due} AS due FROM participants WHERE id = @only AND ${where}`).all({ only: c.only, before: c.dueBefore })
          : this.sql(`SELECT id, ${due} AS due FROM participants WHERE ${where} ORDER BY due LIMIT @limit`).all({ before: c.dueBefore, limit: c.limit })
      ) as { id: string; due: number }[];
      return rows.filter((r) => claim.run(r.id, r.due, c.now + c.leaseMs, c.now).changes === 1).map((r) => r.id);
    }).immediate();
  }

  // ---- responses ----

  submit(s: SubmissionInput): SubmitResult {
    return this.db.transaction((): SubmitResult => {
      if (this.st.responseByClient.get(s.participantId, s.clientId)) return { kind: 'duplicate' };
      const p = this.st.participantById.get(s.participantId) as ParticipantDbRow | undefined;
      if (!p || p.status !== 'in-progress') return { kind: 'not-in-progress' };
      if (p.page_index !== s.pageIndex) return { kind: 'stale', pageIndex: p.page_index };
      if (s.needsPlace && p.place_at == null) return { kind: 'place-lost' };
      const info = this.st.insertResponse.run(...responseValues(s));
      for (const a of s.answers) this.st.insertAnswer.run(...answerValues(info.lastInsertRowid, a));
      this.applyProgress(s.participantId, s.pageIndex, s.next, s.now);
      return { kind: 'stored' };
    }).immediate();
  }

  submitTarget(participantId: string, clientId: string): SubmitTarget {
    const participant = this.participant(participantId);
    const retry = participant !== undefined && this.sql('SELECT 1 FROM responses WHERE participant_id = ? AND client_id = ?').get(participantId, clientId) !== undefined;
    return { participant, retry };
  }

  private applyProgress(id: string, expect: number, next: Progress, now: number): boolean {
    const r = this.st.progress.run({
      id,
      expect,
      now,
      pageIndex: next.pageIndex,
      pageStartedAt: next.pageStartedAt,
      deadlineAt: next.deadlineAt,
      attempts: next.attempts,
      status: next.status,
      endedAt: next.endedAt,
      flagged: next.flagged ? 1 : 0,
    });
    return r.changes === 1;
  }

  setProgress(participantId: string, expectPageIndex: number, next: Progress): boolean {
    return this.applyProgress(participantId, expectPageIndex, next, Date.now());
  }

  lastAnswerChecks(participantId: string, pageIndex: number): { answered: boolean; correct: (boolean | null)[] } {
    const last = this.sql('SELECT MAX(id) AS id FROM responses WHERE participant_id = ? AND page_index = ?').get(participantId, pageIndex) as { id: number | null };
    if (last.id == null) return { answered: false, correct: [] };
    const rows = this.sql('SELECT correct FROM answers WHERE response_id = ? ORDER BY question_id').all(last.id) as { correct: number | null }[];
    return { answered: true, correct: rows.map((r) => (r.correct == null ? null : r.correct === 1)) };
  }

  countSubmissions(participantId: string, clientId?: string): number {
    const r = clientId
      ? this.sql('SELECT COUNT(*) AS n FROM responses WHERE participant_id = ? AND client_id = ?').get(participantId, clientId)
      : this.sql('SELECT COUNT(*) AS n FROM responses WHERE participant_id = ?').get(participantId);
    return (r as { n: number }).n;
  }

  logEvent(e: PageEventInput): void {
    this.st.insertEvent.run(e.participantId, e.type, e.pageIndex, e.data === undefined ? null : JSON.stringify(e.data), e.at);
  }

  events(participantId: string): { type: string; pageIndex: number | null; data: unknown; at: number }[] {
    return (this.sql('SELECT * FROM events WHERE participant_id = ? ORDER BY id').all(participantId) as EventDbRow[]).map((r) => ({
      type: r.type,
      pageIndex: r.page_index,
      data: r.data_json ? JSON.parse(r.data_json) : null,
      at: r.at,
    }));
  }

  liveParticipants(studyId: string, now = Date.now()): LiveParticipant[] {
    const rows = this.sql('SELECT * FROM participants WHERE study_id = ? ORDER BY started_at').all(studyId) as ParticipantDbRow[];
    return rows.map((r) => {
      const p = this.toParticipant(r)!;
      return toLiveParticipant(p, this.ttlOf(p.studyId)(p.version), now);
    });
  }

  iterateResponses(studyId: string, kinds?: readonly ParticipantKind[]): IterableIterator<ResponseRow> {
    const rows = new ResponseRows();
    return this.longRead(studyId, kinds, LONG_READ_SQL, STIMULUS_ID_AT.export, (p, s, r) => rows.of(p, s, r, 1));
  }

  responsesForAnalysis(studyId: string, kinds?: readonly ParticipantKind[]): IterableIterator<AnalysisResponseRow> {
    return this.longRead(studyId, kinds, ANALYSIS_READ_SQL, STIMULUS_ID_AT.analysis, (p, s, r) => analysisRowOf(p, s, r, 1));
  }

  /** One pass of a long read (LONG_READ_SQL or ANALYSIS_READ_SQL), each answer made a row by `row`; `stimulusAt`: the stimulus id's place among the answer columns. */
  private *longRead<T>(studyId: string, kinds: readonly ParticipantKind[] | undefined, sql: string, stimulusAt: number, row: (p: ResponseParticipant, s: ResponseStimulus | null, r: unknown[]) => T): IterableIterator<T> {
    const stmt = this.sql(sql);
    // CROSS JOIN pins the response log as the outer loop, read in id order, so
    // rows stream out as they are read, and each response's answers come from an
    // index in rowid order (answers_in_order, migration 9): nothing is sorted.
    // Letting the planner start from the study's participants instead sorted the
    // whole result before the first row.
    // Rows come as arrays (.raw()), read by position, and carry only the response's
    // and the answer's own columns: the participant's and the stimulus's (the same
    // strings on many rows) are read once each and shared, which at a million rows
    // costs a fraction of joining and copying them per row.
    const people = new ParticipantParts(
      // Streamed: a hundred thousand arrays kept until the end would be copied by every young-generation GC.
      this.sql(`SELECT rowid, ${RESPONSE_PARTICIPANT_PART} FROM participants p WHERE study_id = ?`).raw().iterate(studyId) as IterableIterator<unknown[]>,
      (rowid) => this.sql(`SELECT rowid, ${RESPONSE_PARTICIPANT_PART} FROM participants p WHERE rowid = ?`).raw().get(rowid) as unknown[] | undefined,
      kinds,
    );
    const stimuli = new StimulusParts(
      this.sql(`SELECT s.version, s.stimulus_id, ${STIMULUS_PART} FROM stimuli s WHERE s.study_id = ?`).raw().all(studyId) as unknown[][],
      (version, id) => this.sql(`SELECT s.version, s.stimulus_id, ${STIMULUS_PART} FROM stimuli s WHERE s.study_id = ? AND s.version = ? AND s.stimulus_id = ?`).raw().get(studyId, version, id) as unknown[] | undefined,
    );
    const at = 1 + stimulusAt;
    for (const r of stmt.raw().iterate(studyId) as IterableIterator<unknown[]>) {
      const p = people.get(r[0] as number);
      if (!p) continue; // a kind not asked for
      const stimulusId = r[at] as string | null;
      yield row(p, stimulusId == null ? null : stimuli.get(p.study_version, stimulusId), r);
    }
  }

  participants(studyId: string, kinds?: readonly ParticipantKind[]): ParticipantRow[] {
    // Named columns read by position (.raw()), the page count stored with the plan
    // (not counted from it), each version's abandonment TTL looked up once:
    // at a million responses this runs for tens of thousands of participants.
    // Streamed (.iterate()), not read whole (.all()): each raw row dies as soon as its ParticipantRow is made,
    // instead of a hundred thousand arrays living, and being copied by every young-generation GC, until the end.
    const all = this.sql(participantsInOrderSql(PARTICIPANT_ROW_COLUMNS, '?')).raw().iterate(studyId) as IterableIterator<unknown[]>;
    return participantRowsOf(all, kinds, this.ttlOf(studyId), Date.now());
  }

  participantsForAnalysis(studyId: string, kinds?: readonly ParticipantKind[]): AnalysisParticipantRow[] {
    // participants()'s order, with only the three columns the analysis reads (and what the status needs).
    const all = this.sql(participantsInOrderSql(ANALYSIS_PARTICIPANT_COLUMNS, '?')).raw().iterate(studyId) as IterableIterator<unknown[]>;
    return analysisParticipantsOf(all, kinds, this.ttlOf(studyId), Date.now());
  }

  /** A version's abandonment TTL (its slot TTL), ms. */
  private ttlOf(studyId: string): (version: string) => number {
    return (version) => this.protocolOf(studyId, version).design.slot_ttl_minutes * 60_000;
  }

  stimuli(studyId: string): StimulusRow[] {
    // Stimuli of every version; a stimulus id shared by versions appears once (the newest text wins).
    const rows = this.sql(
        `SELECT s.* FROM stimuli s JOIN studies v ON v.id = s.study_id AND v.version = s.version
         WHERE s.study_id = ? ORDER BY v.created_at, s.rowid`,
      )
      .all(studyId) as StimulusDbRow[];
    return toStimulusRows(rows);
  }

  putDetectorScores(rows: DetectorScoreRow[]): number {
    const ins = this.sql(`INSERT OR REPLACE INTO detector_scores (study_id, stimulus_id, detector, model_hash, metric, value, scored_at)
      VALUES (?, ?, ?, ?, ?, ?, ?)`);
    return this.db.transaction(() => {
      let n = 0;
      for (const r of rows) n += ins.run(r.study_id, r.stimulus_id, r.detector, r.model_hash, r.metric, r.value, r.scored_at).changes;
      return n;
    }).immediate();
  }

  detectorScores(studyId: string): DetectorScoreRow[] {
    return this.sql('SELECT * FROM detector_scores WHERE study_id = ? ORDER BY stimulus_id, detector, metric')
      .all(studyId) as DetectorScoreRow[];
  }

  private walSync: WalSync | null = null;
  private checkpointer: Checkpointer | null = null;

  /**
   * Server mode: commits no longer fsync on this thread and this connection no
   * longer checkpoints; durable() syncs the WAL on the thread pool and a worker
   * thread checkpoints, resetting the WAL while `holdWrites` keeps writers out.
   * Call durable() before acknowledging anything.
   */
  syncInBackground(holdWrites: HoldWrites, opts?: CheckpointerOptions): void {
    if (this.path === ':memory:' || this.walSync) return;
    // Only a WAL can be synced on the side; any other journal keeps synchronous=FULL.
    if (this.db.pragma('journal_mode', { simple: true }) !== 'wal') return;
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('wal_autocheckpoint = 0');
    // The worker's resets keep the WAL near their size; should a reader delay them
    // (a long export), the file is cut back to twice that size at the next reset.
    const resetBytes = opts?.resetBytes ?? DEFAULT_WAL_RESET_BYTES;
    this.db.pragma(`journal_size_limit = ${2 * resetBytes}`);
    this.walSync = new WalSync(`${resolvePath(this.path)}-wal`);
    this.checkpointer = startCheckpointer(
      resolvePath(this.path),
      holdWrites,
      (err) => {
        // Without the worker this connection checkpoints again, on its own thread.
        process.emitWarning(`${err.message}; checkpointing on the main thread from now on`);
        if (this.db.open) this.db.pragma('wal_autocheckpoint = 1000');
      },
      { ...opts, resetBytes },
    );
  }

  /** What the group commit's stats add in server mode (see CommitStats). */
  walStats(): Pick<CommitStats, 'walResets' | 'walHoldMaxMs'> {
    return this.checkpointer ? { walResets: this.checkpointer.resets, walHoldMaxMs: this.checkpointer.longestHoldMs } : {};
  }

  /** fdatasync calls made by durable() so far (0 unless syncInBackground). */
  get backgroundSyncs(): number {
    return this.walSync?.syncs ?? 0;
  }

  durable(): Promise<void> {
    return this.walSync ? this.walSync.flush() : Promise.resolve();
  }

  /** A transaction on this connection: IMMEDIATE, so busy_timeout waits for another writer at BEGIN. */
  begin(): void {
    // A deferred transaction that read first gets SQLITE_BUSY at once when it tries to write.
    this.db.exec('BEGIN IMMEDIATE');
  }

  /**
   * A streamed download spans many event-loop turns; an open read cursor on this
   * connection would make every participant write fail ("connection is busy")
   * until it ends. So a file store reads through a second connection to the same
   * file (WAL: the reader sees one snapshot and never blocks the writer).
   */
  responsesForExport(studyId: string, kinds?: readonly ParticipantKind[]): RowSource {
    if (this.path === ':memory:') {
      // No second connection can see an in-memory database: read it all now, in one turn.
      return { rows: [...this.iterateResponses(studyId, kinds)], close() {} };
    }
    const reader = new SqliteConnection(this.path);
    const rows = reader.iterateResponses(studyId, kinds);
    return {
      rows,
      close() {
        // End the cursor first: a connection cannot close while a statement is still iterating.
        rows.return?.(undefined);
        reader.close();
      },
    };
  }

  kindCounts(studyId: string): Record<ParticipantKind, number> {
    const out: Record<ParticipantKind, number> = { real: 0, pilot: 0, bot: 0 };
    for (const r of this.sql('SELECT kind, COUNT(*) AS n FROM participants WHERE study_id = ? GROUP BY kind').all(studyId) as { kind: ParticipantKind; n: number }[]) {
      out[r.kind] = r.n;
    }
    return out;
  }

  studyState(studyId: string): StudyState {
    const r = this.sql('SELECT state FROM study_states WHERE study_id = ?').get(studyId) as Pick<StudyStateDbRow, 'state'> | undefined;
    return r?.state ?? 'open';
  }

  setStudyState(studyId: string, state: StudyState, now: number): void {
    this.sql(`INSERT INTO study_states (study_id, state, changed_at) VALUES (?, ?, ?)
      ON CONFLICT (study_id) DO UPDATE SET state = excluded.state, changed_at = excluded.changed_at`).run(studyId, state, now);
  }

  purgeParticipants(studyId: string, kinds: readonly ParticipantKind[], now: number): { participants: number; responses: number } {
    if (kinds.includes('real')) throw new Error('real participants are never deleted');
    const list = PARTICIPANT_KINDS.filter((k) => kinds.includes(k));
    return this.db.transaction(() => {
      const marks = list.map(() => '?').join(', ');
      const who = `SELECT id FROM participants WHERE study_id = ? AND kind IN (${marks})`;
      this.db.prepare(`DELETE FROM answers WHERE response_id IN (SELECT id FROM responses WHERE participant_id IN (${who}))`).run(studyId, ...list);
      const responses = this.db.prepare(`DELETE FROM responses WHERE participant_id IN (${who})`).run(studyId, ...list).changes;
      this.db.prepare(`DELETE FROM events WHERE participant_id IN (${who})`).run(studyId, ...list);
      const participants = this.db.prepare(`DELETE FROM participants WHERE study_id = ? AND kind IN (${marks})`).run(studyId, ...list).changes;
      this.sql('INSERT INTO purges (study_id, kinds, participants, responses, at) VALUES (?, ?, ?, ?, ?)').run(studyId, list.join(','), participants, responses, now);
      return { participants, responses };
    })();
  }

  close(): void {
    this.checkpointer?.stop();
    this.walSync?.close();
    if (this.db.open) this.db.close();
  }
}

/** The async face of a synchronous connection: each call runs through `gate`. */
function asyncFacade(conn: SqliteConnection, gate: <T>(f: () => T) => Promise<T>): StoreTx {
  const out: Record<string, unknown> = {};
  for (const name of STORE_TX_METHODS) {
    const method = (conn as unknown as Record<string, (...a: unknown[]) => unknown>)[name];
    out[name] = (...args: unknown[]) => gate(() => method.apply(conn, args));
  }
  return out as unknown as StoreTx;
}

function now<T>(f: () => T): Promise<T> {
  try {
    return Promise.resolve(f());
  } catch (err) {
    return Promise.reject(err);
  }
}

// The store's methods come from the facade built in the constructor (declaration merging tells the compiler).
export interface SqliteStore extends StoreTx {}

/**
 * The SQLite store behind the async Store interface. Calls run at once on the
 * one connection, except while an async transaction (a group commit) is open:
 * then they wait for it to end, so nothing of another request slips into a
 * transaction between its awaits (as a PostgreSQL transaction owns its connection).
 */
export class SqliteStore implements Store {
  private readonly conn: SqliteConnection;
  /** The open transaction's tx: calls straight on the connection. */
  private readonly tx: StoreTx;
  /** Settles when the open transaction ends; null when none is open. */
  private open: Promise<void> | null = null;
  private readonly commits: GroupCommit<StoreTx>;
  readonly researchers: ResearcherStore;

  constructor(readonly path: string) {
    this.conn = new SqliteConnection(path);
    this.tx = asyncFacade(this.conn, now);
    const gate = <T>(f: () => T): Promise<T> => (this.open ? this.afterTransactions(f) : now(f));
    Object.assign(this, asyncFacade(this.conn, gate));
    // Outside any group commit, like every other call: a login never joins (or waits on) a participant's transaction.
    const statement = (sql: string, params: unknown[]) => {
      const { text, values } = sqliteParams(sql, params);
      return { st: this.conn.sql(text), values };
    };
    this.researchers = new ResearcherTables({
      all: <T>(sql: string, params: unknown[]) =>
        gate(() => {
          const { st, values } = statement(sql, params);
          return st.all(...values) as T[];
        }),
      run: (sql, params) =>
        gate(() => {
          const { st, values } = statement(sql, params);
          return st.run(...values).changes;
        }),
    });
    this.commits = new GroupCommit<StoreTx>({
      transaction: (fn) => this.transaction(fn),
      savepoint: (_tx, fn) => this.savepoint(fn),
      durable: () => this.durable(),
    });
  }

  get db(): Database.Database {
    return this.conn.db;
  }

  private async afterTransactions<T>(f: () => T): Promise<T> {
    while (this.open) await this.open;
    return f();
  }

  /** Runs `fn` with the connection to itself: every other call waits until it settles. */
  private async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    while (this.open) await this.open;
    let end!: () => void;
    this.open = new Promise<void>((r) => (end = r));
    try {
      return await fn();
    } finally {
      this.open = null;
      end();
    }
  }

  transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    return this.exclusive(async () => {
      this.conn.begin();
      try {
        const v = await fn(this.tx);
        this.conn.db.exec('COMMIT');
        return v;
      } catch (err) {
        if (this.conn.db.inTransaction) this.conn.db.exec('ROLLBACK');
        throw err;
      }
    });
  }

  /** One op of a group: its failure rolls back only its own writes. */
  private savepoint<T>(fn: () => Promise<T>): Promise<T> {
    const db = this.conn.db;
    return inSavepoint((sql) => db.exec(sql), fn);
  }

  batch<T>(fn: (tx: StoreTx) => Promise<T>, key?: string): Promise<T> {
    return this.commits.run(fn, key);
  }

  commitStats(): CommitStats {
    return { ...this.commits.stats(), ...this.conn.walStats() };
  }

  durable(): Promise<void> {
    return this.conn.durable();
  }

  iterateResponses(studyId: string, kinds?: readonly ParticipantKind[]): Promise<Iterable<ResponseRow>> {
    // Each pass streams afresh from a cursor on this connection (consumed within one turn).
    return Promise.resolve({ [Symbol.iterator]: () => this.conn.iterateResponses(studyId, kinds) });
  }

  responsesForExport(studyId: string, kinds?: readonly ParticipantKind[]): Promise<RowSource> {
    return now(() => this.conn.responsesForExport(studyId, kinds));
  }

  responsesForAnalysis(studyId: string, kinds?: readonly ParticipantKind[]): Promise<Iterable<AnalysisResponseRow>> {
    // As iterateResponses: each pass streams afresh (consumed within one turn).
    return Promise.resolve({ [Symbol.iterator]: () => this.conn.responsesForAnalysis(studyId, kinds) });
  }

  /** See SqliteConnection.syncInBackground: a WAL reset holds this store's calls (the gate) while it runs. */
  syncInBackground(opts?: CheckpointerOptions): void {
    this.conn.syncInBackground((during) => this.exclusive(during), opts);
  }

  get backgroundSyncs(): number {
    return this.conn.backgroundSyncs;
  }

  /** WAL resets the checkpoint worker has done (0 unless syncInBackground). */
  get walResets(): number {
    return this.conn.walStats().walResets ?? 0;
  }

  async close(): Promise<void> {
    // Writes still waiting for a group commit are committed, not dropped.
    if (this.conn.db.open) await this.commits.drain();
    this.conn.close();
  }
}
