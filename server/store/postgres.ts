// The PostgreSQL store (node-postgres). The same tables and promises as SQLite
// (postgres-schema.ts, rows.ts): a commit returns once durable
// (synchronous_commit), a client id is idempotent by the responses' unique
// (participant_id, client_id), the response log is append-only by trigger, and
// writes share transactions through group commit. Several server processes may
// share one database: whatever counts places and then takes one (a new
// participant, a consent) holds a per-study advisory lock for its transaction,
// and a submit locks its participant's row, so two processes never race.
import pg from 'pg';
import QueryStream from 'pg-query-stream';
import { randomUUID } from 'node:crypto';
import { PARTICIPANT_KINDS, type ParticipantKind, type StudyState } from '../../studies/vocabulary/participant-kinds.ts';
import type { Protocol } from '../../studies/protocol.ts';
import type { AnalysisParticipantRow, AnalysisResponseRow, DetectorScoreRow, ParticipantRow, ResponseRow, StimulusRow } from '../../analysis/rows.ts';
import { PG_MIGRATIONS } from './postgres-schema.ts';
import { PG_TYPES, PlanAges, storePool } from './postgres-pool.ts';
import { GroupCommit, inSavepoint, type CommitStats } from './group-commit.ts';
import { MergedSubmits, versionKey, writeSubmits, type CountRow } from './postgres-submits.ts';
import { ResearcherTables } from './researchers.ts';
import { laneStudyLock, lockStatement, studyLockName, type StudyLock } from './study-locks.ts';
import {
  STORE_TX_METHODS,
  type ConditionCount,
  type DeadlineClaim,
  type LiveParticipant,
  type NewParticipant,
  type PageEventInput,
  type PlaceRelease,
  PLACE_RELEASED,
  type ParticipantRecord,
  type PlannedPage,
  type Progress,
  type RowSource,
  type StimulusInput,
  type ResearcherStore,
  type Store,
  type StoreTx,
  type StoredStimulus,
  type StudySummary,
  type StudyVersionRecord,
  type SubmissionInput,
  type SubmitResult,
  type SubmitTarget,
} from './store.ts';
import {
  conditionCountsOf,
  RESPONSE_JOIN_COLUMNS,
  STIMULUS_COLUMNS,
  PARTICIPANT_COLUMNS,
  participantValues,
  planValues,
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
  responseRowOf,
  analysisJoinRowOf,
  ANALYSIS_JOIN_COLUMNS,
  RESPONSE_JOIN_KIND,
  toStimulusRows,
  toStoredStimulus,
  toStudy,
  type EventDbRow,
  type ParticipantDbRow,
  type StimulusDbRow,
  type StudyDbRow,
  type StudyStateDbRow,
} from './rows.ts';

/** A participants row with its plan (participant_plans), as toParticipant reads it. */
type ParticipantWithPlan = ParticipantDbRow & { plan_json: string };
const WITH_PLAN = 'SELECT p.*, pl.plan_json FROM participants p JOIN participant_plans pl ON pl.participant_id = p.id';

/** The long read: every answer of a study's responses, in log order (one row per answer); `columns` from the joined participants p, stimuli s, responses r and answers a. */
const longReadSql = (columns: string) => `SELECT ${columns}
       FROM responses r
       JOIN participants p ON p.id = r.participant_id
       JOIN answers a ON a.response_id = r.id
       LEFT JOIN stimuli s ON s.study_id = p.study_id AND s.version = p.version AND s.stimulus_id = r.stimulus_id
       WHERE p.study_id = $1
       ORDER BY r.id, a.seq`;
const RESPONSE_ROWS_SQL = longReadSql(RESPONSE_JOIN_COLUMNS);
/** The same read with only the columns the analysis reads (responsesForAnalysis): the same plan, the same order. */
const ANALYSIS_ROWS_SQL = longReadSql(ANALYSIS_JOIN_COLUMNS);

/** Whether a long-read row (as an array) is of one of these participant kinds (all when none are given). */
function kindFilter(kinds: readonly ParticipantKind[] | undefined): (row: unknown[]) => boolean {
  if (!kinds) return () => true;
  const wanted = new Set<string>(kinds);
  return (row) => wanted.has(row[RESPONSE_JOIN_KIND] as string);
}

/** Rows per round trip of a streamed download: about a megabyte, few enough trips to stay near a whole read's speed. */
const EXPORT_BATCH = 2000;

export function isPostgresUrl(db: string): boolean {
  return /^postgres(ql)?:\/\//i.test(db);
}

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://…';
  }
}

type Queryable = pg.Pool | pg.PoolClient;
type Created = Awaited<ReturnType<StoreTx['createParticipant']>>;

/** The places held in study $1 version $3 (CountRow[] as JSON), seen within the TTL when last seen at or after `idle`. */
const countsJson = (idle: string) => `(SELECT COALESCE(json_agg(c), '[]'::json) FROM (
    SELECT condition, status, (last_seen_at >= ${idle})::int AS fresh, COUNT(*)::int AS n FROM participants
    WHERE study_id = $1 AND version = $3 AND place_at IS NOT NULL GROUP BY condition, status, fresh) c)`;
/** Holders of study $1 version $3 in progress, last seen in [from, to), as [condition, last seen] (JSON). */
const borderlineJson = (from: string, to: string) => `(SELECT COALESCE(json_agg(json_build_array(condition, last_seen_at)), '[]'::json) FROM participants
    WHERE study_id = $1 AND version = $3 AND place_at IS NOT NULL AND status = 'in-progress' AND last_seen_at >= ${from} AND last_seen_at < ${to})`;
/**
 * Within a group, one read of a study version's places serves the counts at any time this near it (a consent's
 * now is its arrival's; a group's differ by a fraction of a second, a long one by seconds).
 */
const BORDER_MS = 60_000;

/**
 * Brings a PostgreSQL database to this program's schema (PG_MIGRATIONS, one per
 * schema_version step, each in its own transaction); one process migrates at a
 * time and the others find the work done. Refuses a database newer than the
 * program. Returns the versions before and after.
 */
export async function migratePostgres(client: pg.ClientBase, url: string): Promise<{ before: number; after: number }> {
  await client.query("SELECT pg_advisory_lock(hashtext('credence:migrate'))");
  try {
    await client.query('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
    const row = (await client.query<{ version: number }>('SELECT version FROM schema_version')).rows[0];
    const before = row?.version ?? 0;
    if (before > PG_MIGRATIONS.length) {
      throw new Error(`${redactUrl(url)}: database schema version ${before} is newer than this program (${PG_MIGRATIONS.length}); use a newer Credence`);
    }
    for (let v = before; v < PG_MIGRATIONS.length; v++) {
      await client.query('BEGIN');
      try {
        await client.query(PG_MIGRATIONS[v]);
        await client.query('DELETE FROM schema_version');
        await client.query('INSERT INTO schema_version (version) VALUES ($1)', [v + 1]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw err;
      }
    }
    return { before, after: PG_MIGRATIONS.length };
  } finally {
    await client.query("SELECT pg_advisory_unlock(hashtext('credence:migrate'))").catch(() => {});
  }
}

/** What every connection of one store shares: prepared statement names and the parsed protocols and plans. */
class Shared {
  readonly names = new Map<string, string>();
  readonly protocols = new Map<string, Protocol>();
  readonly plans = new PlanCache();
  /** Study versions by id and version: a version's row never changes once written. */
  readonly versions = new Map<string, StudyVersionRecord>();
  /** How far the tables have grown since the connections' plans were made (postgres-pool.ts). */
  readonly planAges = new PlanAges();

  nameOf(text: string): string {
    let n = this.names.get(text);
    if (!n) {
      n = `credence_${this.names.size}`;
      this.names.set(text, n);
    }
    return n;
  }

}

/** The SQL of every store method on one connection (a transaction's client) or on the pool. */
class PgOps implements StoreTx {
  /** While a group's ops take turns on this transaction: their submits, written together. */
  merged: MergedSubmits | null = null;
  /** The study locks this transaction holds already, by name (held to its end, or to a rollback to a savepoint taken before). */
  readonly studyLocks = new Set<string>();

  constructor(
    readonly db: Queryable,
    private readonly shared: Shared,
    /** On a transaction's client: counting places takes the study's advisory lock. */
    private readonly inTransaction: boolean,
  ) {}

  private async all<T>(text: string, values: unknown[] = []): Promise<T[]> {
    const r = await this.db.query({ name: this.shared.nameOf(text), text, values });
    return r.rows as T[];
  }

  private async one<T>(text: string, values: unknown[] = []): Promise<T | undefined> {
    return (await this.all<T>(text, values))[0];
  }

  /** A write: in a group, the places it counted are read afresh (groupCounts). */
  private async run(text: string, values: unknown[] = []): Promise<number> {
    this.merged?.counted.clear();
    const r = await this.db.query({ name: this.shared.nameOf(text), text, values });
    return r.rowCount ?? 0;
  }

  /**
   * Takes the study's lock until the transaction ends (study-locks.ts), unless it holds it already (a group of
   * the lock's own lane took it with its BEGIN). A join that waits for consent takes only 'joins': a burst of
   * arrivals does not queue behind the consents.
   */
  private async lockStudy(what: StudyLock, studyId: string): Promise<void> {
    const name = studyLockName(what, studyId);
    if (!this.inTransaction || this.studyLocks.has(name)) return;
    await this.all(lockStatement('$1'), [name]);
    this.studyLocks.add(name);
  }

  // ---- studies ----

  async registerStudy(input: { protocol: Protocol; version: string; file: string | null; stimuli: StimulusInput[] }): Promise<{ created: boolean }> {
    const { protocol, version, file, stimuli } = input;
    const exists = await this.one('SELECT 1 FROM studies WHERE id = $1 AND version = $2', [protocol.id, version]);
    if (!exists) {
      await this.run('INSERT INTO studies (id, version, protocol_json, file, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING', [
        protocol.id,
        version,
        JSON.stringify(protocol),
        file,
        Date.now(),
      ]);
    }
    // Stimuli of an existing version are only added when missing (e.g. prepared after first start); never changed.
    await this.insertStimuli(protocol.id, version, stimuli);
    return { created: !exists };
  }

  private async insertStimuli(studyId: string, version: string, stimuli: StimulusInput[]): Promise<void> {
    const marks = placeholders(17, 'postgres');
    for (const s of stimuli) {
      await this.run(`INSERT INTO stimuli (${STIMULUS_COLUMNS}) VALUES (${marks}) ON CONFLICT DO NOTHING`, stimulusValues(studyId, version, s));
    }
  }

  private async protocolOf(studyId: string, version: string, json?: string): Promise<Protocol> {
    const key = versionKey(studyId, version);
    let p = this.shared.protocols.get(key);
    if (!p) {
      const text = json ?? (await this.one<Pick<StudyDbRow, 'protocol_json'>>('SELECT protocol_json FROM studies WHERE id = $1 AND version = $2', [studyId, version]))?.protocol_json;
      if (!text) throw new Error(`unknown study ${studyId} version ${version}`);
      p = JSON.parse(text) as Protocol;
      this.shared.protocols.set(key, p);
    }
    return p;
  }

  private async toStudy(r: StudyDbRow): Promise<StudyVersionRecord> {
    return toStudy(r, await this.protocolOf(r.id, r.version, r.protocol_json));
  }

  async studyVersion(studyId: string, version?: string): Promise<StudyVersionRecord | undefined> {
    const key = version === undefined ? undefined : versionKey(studyId, version);
    const known = key && this.shared.versions.get(key);
    if (known) return known;
    const r = version
      ? await this.one<StudyDbRow>('SELECT * FROM studies WHERE id = $1 AND version = $2', [studyId, version])
      : await this.one<StudyDbRow>('SELECT * FROM studies WHERE id = $1 ORDER BY created_at DESC, seq DESC LIMIT 1', [studyId]);
    if (!r) return undefined;
    const study = await this.toStudy(r);
    if (key) this.shared.versions.set(key, study);
    return study;
  }

  async studyVersions(studyId: string): Promise<StudyVersionRecord[]> {
    const rows = await this.all<StudyDbRow>('SELECT * FROM studies WHERE id = $1 ORDER BY created_at, seq', [studyId]);
    return Promise.all(rows.map((r) => this.toStudy(r)));
  }

  async studyIds(): Promise<string[]> {
    // COLLATE "C": byte order, as SQLite sorts.
    return (await this.all<{ id: string }>('SELECT DISTINCT id COLLATE "C" AS id FROM studies ORDER BY 1')).map((r) => r.id);
  }

  async conditionCounts(studyId: string, now = Date.now(), version?: string): Promise<ConditionCount[]> {
    const study = await this.studyVersion(studyId, version);
    if (!study) return [];
    await this.lockStudy('places', studyId);
    if (this.merged) return conditionCountsOf(study.protocol, await this.groupCounts(this.merged, study, now));
    return this.countsFor(study, now);
  }

  /**
   * The places a group's op counts at `now`, as one after another it would (a count read for each consent was
   * a round trip each while the study's place lock was held, and a burst of arrivals queued behind them): one
   * read per study version serves every op of the group until a write of the group changes participants;
   * the holders who turn idle between its time and `now` move from active to idle, and the places the
   * group took and has not written yet are held (the taker is present: they are consenting now).
   */
  private async groupCounts(m: MergedSubmits, study: StudyVersionRecord, now: number): Promise<CountRow[]> {
    const key = versionKey(study.studyId, study.version);
    // A join that takes a place at once decides at its write: make it first, so it is counted.
    if (m.joinsPlacing(study.studyId)) await m.writeJoins();
    const ttlMs = study.protocol.design.slot_ttl_minutes * 60_000;
    let c = m.counted.get(key);
    if (!c || Math.abs(now - c.now) > BORDER_MS) {
      const idle = now - ttlMs;
      const r = (await this.one<{ counts: CountRow[]; borderline: [string, number][] }>(
        `SELECT ${countsJson('$2')} AS counts, ${borderlineJson('$4', '$5')} AS borderline`,
        [study.studyId, idle, study.version, idle - BORDER_MS, idle + BORDER_MS],
      ))!;
      c = { now, counts: r.counts, borderline: r.borderline };
      m.counted.set(key, c);
    }
    const [was, is] = [c.now - ttlMs, now - ttlMs];
    return [
      ...c.counts,
      ...c.borderline.flatMap(([condition, seen]) =>
        seen >= was === seen >= is
          ? []
          : [
              { condition, status: 'in-progress', fresh: seen >= was ? 1 : 0, n: -1 },
              { condition, status: 'in-progress', fresh: seen >= is ? 1 : 0, n: 1 },
            ],
      ),
      ...m.placesPending(key).map((condition) => ({ condition, status: 'in-progress', fresh: 1, n: 1 })),
    ];
  }

  private async countsFor(study: StudyVersionRecord, now: number): Promise<ConditionCount[]> {
    const ttlMs = study.protocol.design.slot_ttl_minutes * 60_000;
    const rows = await this.all<CountRow>(
      `SELECT condition, status, (last_seen_at >= $1)::int AS fresh, COUNT(*)::int AS n FROM participants
       WHERE study_id = $2 AND version = $3 AND place_at IS NOT NULL GROUP BY condition, status, fresh`,
      [now - ttlMs, study.studyId, study.version],
    );
    return conditionCountsOf(study.protocol, rows);
  }

  async studySummaries(now = Date.now()): Promise<StudySummary[]> {
    const out: StudySummary[] = [];
    for (const id of await this.studyIds()) {
      const versions = await this.studyVersions(id);
      const latest = versions[versions.length - 1];
      const conditions = await this.countsFor(latest, now);
      const participants = (await this.one<{ n: number }>('SELECT COUNT(*)::int AS n FROM participants WHERE study_id = $1', [id]))!.n;
      const takeovers = (await this.one<{ n: number }>(
        `SELECT COUNT(*)::int AS n FROM events WHERE type = 'takeover' AND participant_id IN (SELECT id FROM participants WHERE study_id = $1)`,
        [id],
      ))!.n;
      out.push(studySummaryOf(versions, conditions, participants, takeovers, await this.studyState(id)));
    }
    return out;
  }

  async stimuliOf(studyId: string, version: string): Promise<StoredStimulus[]> {
    const rows = await this.all<StimulusDbRow>('SELECT * FROM stimuli WHERE study_id = $1 AND version = $2 ORDER BY seq', [studyId, version]);
    return rows.map(toStoredStimulus);
  }

  // ---- participants ----

  private withPlan(r: ParticipantWithPlan): ParticipantRecord {
    return toParticipant(r, this.shared.plans.of(r.id, r.condition, r.plan_json), false);
  }

  /**
   * A participant read without their plan (10-20 kB a row, read twice per
   * answer), which comes from the cache or, on a miss, a second query.
   */
  private async toParticipant(r: ParticipantDbRow | undefined): Promise<ParticipantRecord | undefined> {
    if (!r) return undefined;
    const plan =
      this.shared.plans.cached(r.id, r.condition) ??
      this.shared.plans.of(r.id, r.condition, (await this.one<{ plan_json: string }>('SELECT plan_json FROM participant_plans WHERE participant_id = $1', [r.id]))!.plan_json);
    return toParticipant(r, plan, false);
  }

  async createParticipant(p: NewParticipant): Promise<Created> {
    if (this.merged) return this.merged.join(p);
    // Alone, a group of one: the lock, one read and one write, each a wait while the place lock is held.
    const [r] = await this.createParticipants([p]);
    if (r.status === 'rejected') throw r.reason;
    return r.value;
  }

  /**
   * The joins of one group commit (or one join alone), each as it would be made after the ones before it: under
   * each study's joins lock (and its place lock first when one of them takes a place, lockStudy), one read per
   * study version (earlier records of their recruiter ids, the next index, the places counted) and then one
   * write of every new row and plan, where one after another each join cost two round trips under the lock
   * (the issue-15 benchmark's joins took most of a group's time).
   * A join's own failure (an unknown study, its choose throwing) is its alone; a failed write fails them all.
   */
  async createParticipants(ps: NewParticipant[]): Promise<PromiseSettledResult<Created>[]> {
    const out: PromiseSettledResult<Created>[] = [];
    const inserts: { i: number; id: string; values: unknown[]; planJson: string }[] = [];
    /** The record of a recruiter id that is already stored (read afterwards) or made by an earlier join of this group. */
    const earlier = new Map<string, { i?: number; id: string }>();
    const pidKey = (p: NewParticipant) => `${p.studyId}\u0000${p.prolificPid}`;
    const groups = new Map<string, NewParticipant[]>();
    for (const p of ps) {
      const k = versionKey(p.studyId, p.version);
      groups.set(k, [...(groups.get(k) ?? []), p]);
    }
    const state = new Map<string, { study: StudyVersionRecord | undefined; ttlMs: number; idx: number; counts: CountRow[]; borderline: [string, number][]; placed: [string, number][] }>();
    for (const [k, group] of groups) {
      const { studyId, version } = group[0];
      if (group.some((p) => p.placeAt !== null)) await this.lockStudy('places', studyId);
      await this.lockStudy('joins', studyId);
      const study = await this.studyVersion(studyId, version);
      const ttlMs = (study?.protocol.design.slot_ttl_minutes ?? 0) * 60_000;
      const nows = group.map((p) => p.now);
      const [minNow, maxNow] = [Math.min(...nows), Math.max(...nows)];
      const pids = [...new Set(group.flatMap((p) => (p.prolificPid ? [p.prolificPid] : [])))];
      // Counted as of the earliest join's time; `borderline` are the slots that turn idle between it and the latest's.
      const seen = (await this.one<{ existing: [string, string][]; idx: number; counts: CountRow[]; borderline: [string, number][] }>(
        `SELECT (SELECT COALESCE(json_agg(json_build_array(prolific_pid, id)), '[]'::json) FROM participants WHERE study_id = $1 AND prolific_pid = ANY($2::text[])) AS existing,
           -- MAX + 1, not COUNT: purged records leave gaps, and an index (and its seed) is never reused.
           (SELECT COALESCE(MAX(idx) + 1, 0)::int FROM participants WHERE study_id = $1 AND version = $3) AS idx,
           ${countsJson('$4')} AS counts,
           ${borderlineJson('$4', '$5')} AS borderline`,
        [studyId, pids, version, minNow - ttlMs, maxNow - ttlMs],
      ))!;
      for (const [pid, id] of seen.existing) if (!earlier.has(`${studyId}\u0000${pid}`)) earlier.set(`${studyId}\u0000${pid}`, { id });
      state.set(k, { study, ttlMs, idx: seen.idx, counts: seen.counts, borderline: seen.borderline, placed: [] });
    }
    /** Joins whose recruiter id has a record: stored before (read after the write) or made by an earlier join here. */
    const resumes: { i: number; id: string }[] = [];
    ps.forEach((p, i) => {
      try {
        const prior = p.prolificPid ? earlier.get(pidKey(p)) : undefined;
        if (prior) return void resumes.push({ i, id: prior.id });
        const s = state.get(versionKey(p.studyId, p.version))!;
        if (!s.study) throw new Error(`unknown study ${p.studyId} version ${p.version}`);
        const idle = p.now - s.ttlMs;
        // The counts this join would have read: turned idle since the earliest join's time, and placed by the joins before it.
        const rows: CountRow[] = [
          ...s.counts,
          ...s.borderline.filter(([, seenAt]) => seenAt < idle).flatMap(([condition]) => [
            { condition, status: 'in-progress', fresh: 1, n: -1 },
            { condition, status: 'in-progress', fresh: 0, n: 1 },
          ]),
          ...s.placed.map(([condition, seenAt]) => ({ condition, status: 'in-progress', fresh: seenAt >= idle ? 1 : 0, n: 1 })),
        ];
        const choice = p.choose({ counts: conditionCountsOf(s.study.protocol, rows), index: s.idx });
        if ('full' in choice) return void (out[i] = { status: 'fulfilled', value: { full: true } });
        const id = randomUUID();
        const values = participantValues(p, choice, id, s.idx);
        s.idx++;
        if (p.placeAt !== null) s.placed.push([choice.condition, p.now]);
        if (p.prolificPid) earlier.set(pidKey(p), { i, id });
        inserts.push({ i, id, values, planJson: planValues(id, choice.plan)[1] });
      } catch (err) {
        out[i] = { status: 'rejected', reason: err };
      }
    });
    if (inserts.length > 0) {
      // One statement for every row and plan (unnamed: its text depends on how many).
      const width = inserts[0].values.length;
      const rows = inserts.map((_, r) => `(${Array.from({ length: width }, (_, c) => `$${r * width + c + 1}`).join(', ')})`);
      const base = inserts.length * width;
      const plans = inserts.map((_, r) => `($${base + 2 * r + 1}, $${base + 2 * r + 2})`);
      const made = (
        await this.db.query<ParticipantDbRow>(
          `WITH p AS (INSERT INTO participants (${PARTICIPANT_COLUMNS}) VALUES ${rows.join(', ')} RETURNING *),
             pl AS (INSERT INTO participant_plans (participant_id, plan_json) VALUES ${plans.join(', ')})
           SELECT * FROM p`,
          [...inserts.flatMap((x) => x.values), ...inserts.flatMap((x) => [x.id, x.planJson])],
        )
      ).rows;
      const byId = new Map(made.map((r) => [r.id, r]));
      for (const x of inserts) {
        const row = byId.get(x.id)!;
        out[x.i] = { status: 'fulfilled', value: { participant: toParticipant(row, this.shared.plans.of(x.id, row.condition, x.planJson), false), created: true } };
      }
    }
    for (const { i, id } of resumes) out[i] = { status: 'fulfilled', value: { participant: (await this.participant(id))!, created: false } };
    return out;
  }

  async takePlace(p: Pick<ParticipantRecord, 'id' | 'studyId' | 'version' | 'condition'>, now: number, move?: { condition: string; plan: PlannedPage[] }): Promise<boolean> {
    // In a group: written with the participant's submit of the group, or with its other places before it commits
    // (postgres-submits.ts), and counted by its later ops meanwhile.
    if (this.merged && !move) {
      this.merged.place({ id: p.id, now, key: versionKey(p.studyId, p.version), condition: p.condition });
      return true; // decided under the study's place lock; the write finds one they took since and keeps it
    }
    const participantId = p.id;
    if (move) {
      this.shared.plans.forget(participantId);
      // Only one that holds no place yet moves (the same condition as the place taken below).
      if ((await this.run('UPDATE participants SET condition = $1, pages_total = $2 WHERE id = $3 AND place_at IS NULL', [move.condition, move.plan.length, participantId])) === 1) {
        await this.run('UPDATE participant_plans SET plan_json = $1 WHERE participant_id = $2', [JSON.stringify(move.plan), participantId]);
      }
    }
    return (await this.run('UPDATE participants SET place_at = $1 WHERE id = $2 AND place_at IS NULL', [now, participantId])) === 1;
  }

  async releasePlaces(r: PlaceRelease): Promise<number> {
    this.merged?.counted.clear();
    // One statement: the idle holders locked (skipping any another transaction holds: it is writing for them),
    // their places taken only when all `count` were found, and each one's event.
    const row = await this.one<{ n: number }>(
      `WITH gone AS (
         SELECT id, page_index FROM participants
         WHERE study_id = $1 AND version = $2 AND condition = $3 AND place_at IS NOT NULL AND status = 'in-progress' AND last_seen_at < $4
         ORDER BY last_seen_at, id LIMIT $5 FOR UPDATE SKIP LOCKED
       ), freed AS (
         UPDATE participants p SET place_at = NULL FROM gone WHERE p.id = gone.id AND (SELECT COUNT(*) FROM gone) = $5 RETURNING p.id, gone.page_index
       ), ev AS (
         INSERT INTO events (participant_id, type, page_index, data_json, at) SELECT id, $6, page_index, $7, $8 FROM freed
       )
       SELECT COUNT(*)::int AS n FROM freed`,
      [r.studyId, r.version, r.condition, r.seenBefore, r.count, PLACE_RELEASED, JSON.stringify({ to: r.takerId }), r.now],
    );
    return row!.n;
  }

  expireUnplaced(seenBefore: number, now: number): Promise<number> {
    return this.run(
      `UPDATE participants SET status = 'no-consent', ended_at = $1, deadline_at = NULL
       WHERE status = 'in-progress' AND place_at IS NULL AND last_seen_at < $2
       AND NOT EXISTS (SELECT 1 FROM responses r WHERE r.participant_id = participants.id)`,
      [now, seenBefore],
    );
  }

  async lastEventAt(participantId: string, type: string, pageIndex?: number): Promise<number | null> {
    await this.merged?.writeEvents();
    const r =
      pageIndex === undefined
        ? await this.one<{ at: number | null }>('SELECT MAX(at) AS at FROM events WHERE participant_id = $1 AND type = $2', [participantId, type])
        : await this.one<{ at: number | null }>('SELECT MAX(at) AS at FROM events WHERE participant_id = $1 AND type = $2 AND page_index = $3', [participantId, type, pageIndex]);
    return r?.at ?? null;
  }

  async rotateToken(participantId: string, tokenHash: string): Promise<void> {
    await this.run('UPDATE participants SET token_hash = $1 WHERE id = $2', [tokenHash, participantId]);
  }

  async participantByToken(tokenHash: string): Promise<ParticipantRecord | undefined> {
    return this.toParticipant(await this.one<ParticipantDbRow>('SELECT * FROM participants WHERE token_hash = $1', [tokenHash]));
  }

  async participantByPid(studyId: string, prolificPid: string): Promise<ParticipantRecord | undefined> {
    return this.toParticipant(await this.one<ParticipantDbRow>('SELECT * FROM participants WHERE study_id = $1 AND prolific_pid = $2', [studyId, prolificPid]));
  }

  async participant(id: string): Promise<ParticipantRecord | undefined> {
    return this.toParticipant(await this.one<ParticipantDbRow>('SELECT * FROM participants WHERE id = $1', [id]));
  }

  // Last-seen times skip rows another transaction holds (SKIP LOCKED): that one is a submit or a deadline
  // moving the participant, which writes a later last_seen_at itself. So a heartbeat over thousands of rows
  // never waits on, nor deadlocks with, the group commits of the other processes on the database.
  async touch(participantId: string, now: number): Promise<void> {
    await this.touchMany([[participantId, now]]);
  }

  /** One statement however many: a heartbeat after a wave of arrivals carries thousands (one round trip each was a stall of seconds). */
  async touchMany(seen: readonly (readonly [string, number])[]): Promise<void> {
    if (seen.length === 0) return;
    await this.run(
      `UPDATE participants p SET last_seen_at = x.at FROM unnest($1::text[], $2::int8[]) AS x(id, at)
       WHERE p.id = x.id AND p.id IN (
         SELECT q.id FROM participants q JOIN unnest($1::text[], $2::int8[]) AS y(id, at) ON q.id = y.id
         WHERE q.last_seen_at < y.at ORDER BY q.id FOR UPDATE OF q SKIP LOCKED)`,
      [seen.map(([id]) => id), seen.map(([, at]) => at)],
    );
  }

  async claimDeadlines(c: DeadlineClaim): Promise<string[]> {
    // One claimer at a time across processes (the transaction's advisory lock); the upsert's WHERE decides
    // each claim: an earlier deadline's claim is no claim on this one, and a lapsed claim is free again.
    await this.all("SELECT pg_advisory_xact_lock(hashtext('credence:deadlines'))");
    const due = 'LEAST(COALESCE(deadline_at, 9e15::bigint), COALESCE(study_deadline_at, 9e15::bigint))';
    const where = "status = 'in-progress' AND (deadline_at <= $1 OR study_deadline_at <= $1)";
    const rows = c.only
      ? await this.all<{ id: string; due: number }>(`SELECT id, ${due} AS due FROM participants WHERE id = $2 AND ${where}`, [c.dueBefore, c.only])
      : await this.all<{ id: string; due: number }>(`SELECT id, ${due} AS due FROM participants WHERE ${where} ORDER BY due LIMIT $2`, [c.dueBefore, c.limit]);
    const out: string[] = [];
    for (const r of rows) {
      const n = await this.run(
        `INSERT INTO deadline_claims (participant_id, due_at, claimed_until) VALUES ($1, $2, $3)
         ON CONFLICT (participant_id) DO UPDATE SET due_at = excluded.due_at, claimed_until = excluded.claimed_until
         WHERE deadline_claims.due_at <> excluded.due_at OR deadline_claims.claimed_until <= $4`,
        [r.id, r.due, c.now + c.leaseMs, c.now],
      );
      if (n === 1) out.push(r.id);
    }
    return out;
  }

  // ---- responses ----

  async submit(s: SubmissionInput): Promise<SubmitResult> {
    if (this.merged) return this.merged.submit(s);
    // Alone (in a transaction of its own on the pool): the same statement as a group's submits.
    return (await writeSubmits((text, values) => this.all(text, values), [s]))[0];
  }

  async submitTarget(participantId: string, clientId: string): Promise<SubmitTarget> {
    const r = await this.one<ParticipantDbRow & { retry: boolean }>(
      'SELECT p.*, EXISTS (SELECT 1 FROM responses r WHERE r.participant_id = p.id AND r.client_id = $2) AS retry FROM participants p WHERE p.id = $1',
      [participantId, clientId],
    );
    if (!r) return { participant: undefined, retry: false };
    const { retry, ...row } = r;
    return { participant: await this.toParticipant(row), retry };
  }

  private async applyProgress(id: string, expect: number, next: Progress, now: number): Promise<boolean> {
    const n = await this.run(
      `UPDATE participants SET page_index = $1, page_started_at = $2, deadline_at = $3, attempts = $4, status = $5, ended_at = $6, flagged = $7,
       last_seen_at = $8 WHERE id = $9 AND page_index = $10 AND status = 'in-progress'`,
      [next.pageIndex, next.pageStartedAt, next.deadlineAt, next.attempts, next.status, next.endedAt, next.flagged ? 1 : 0, now, id, expect],
    );
    return n === 1;
  }

  setProgress(participantId: string, expectPageIndex: number, next: Progress): Promise<boolean> {
    return this.applyProgress(participantId, expectPageIndex, next, Date.now());
  }

  async lastAnswerChecks(participantId: string, pageIndex: number): Promise<{ answered: boolean; correct: (boolean | null)[] }> {
    const last = await this.one<{ id: number | null }>('SELECT MAX(id) AS id FROM responses WHERE participant_id = $1 AND page_index = $2', [participantId, pageIndex]);
    if (last?.id == null) return { answered: false, correct: [] };
    const rows = await this.all<{ correct: number | null }>('SELECT correct FROM answers WHERE response_id = $1 ORDER BY question_id COLLATE "C"', [last.id]);
    return { answered: true, correct: rows.map((r) => (r.correct == null ? null : r.correct === 1)) };
  }

  async countSubmissions(participantId: string, clientId?: string): Promise<number> {
    const r = clientId
      ? await this.one<{ n: number }>('SELECT COUNT(*)::int AS n FROM responses WHERE participant_id = $1 AND client_id = $2', [participantId, clientId])
      : await this.one<{ n: number }>('SELECT COUNT(*)::int AS n FROM responses WHERE participant_id = $1', [participantId]);
    return r!.n;
  }

  async logEvent(e: PageEventInput): Promise<void> {
    if (this.merged) return this.merged.event(e);
    await this.run('INSERT INTO events (participant_id, type, page_index, data_json, at) VALUES ($1, $2, $3, $4, $5)', [
      e.participantId,
      e.type,
      e.pageIndex,
      e.data === undefined ? null : JSON.stringify(e.data),
      e.at,
    ]);
  }

  async events(participantId: string): Promise<{ type: string; pageIndex: number | null; data: unknown; at: number }[]> {
    await this.merged?.writeEvents();
    const rows = await this.all<EventDbRow>('SELECT * FROM events WHERE participant_id = $1 ORDER BY id', [participantId]);
    return rows.map((r) => ({ type: r.type, pageIndex: r.page_index, data: r.data_json ? JSON.parse(r.data_json) : null, at: r.at }));
  }

  async liveParticipants(studyId: string, now = Date.now()): Promise<LiveParticipant[]> {
    const rows = await this.all<ParticipantWithPlan>(`${WITH_PLAN} WHERE p.study_id = $1 ORDER BY p.started_at`, [studyId]);
    const out: LiveParticipant[] = [];
    for (const r of rows) {
      const p = this.withPlan(r);
      out.push(toLiveParticipant(p, (await this.protocolOf(p.studyId, p.version)).design.slot_ttl_minutes * 60_000, now));
    }
    return out;
  }

  /** Every long-format row of the study, read at once (a network client cannot hand out a synchronous cursor). */
  responseRows(studyId: string, kinds?: readonly ParticipantKind[]): Promise<ResponseRow[]> {
    return this.longRead(studyId, kinds, RESPONSE_ROWS_SQL, (r) => responseRowOf(r));
  }

  /** The same rows with only the columns the analysis reads (responsesForAnalysis). */
  analysisRows(studyId: string, kinds?: readonly ParticipantKind[]): Promise<AnalysisResponseRow[]> {
    return this.longRead(studyId, kinds, ANALYSIS_ROWS_SQL, analysisJoinRowOf);
  }

  /** A long read (RESPONSE_ROWS_SQL or ANALYSIS_ROWS_SQL) at once, each row of the kinds asked for made a row by `row`. */
  private async longRead<T>(studyId: string, kinds: readonly ParticipantKind[] | undefined, text: string, row: (r: unknown[]) => T): Promise<T[]> {
    const rows = (await this.db.query({ name: this.shared.nameOf(text), text, values: [studyId], rowMode: 'array' })).rows as unknown[][];
    const wanted = kindFilter(kinds);
    const out: T[] = [];
    for (const r of rows) if (wanted(r)) out.push(row(r));
    return out;
  }

  async participants(studyId: string, kinds?: readonly ParticipantKind[]): Promise<ParticipantRow[]> {
    const text = participantsInOrderSql(PARTICIPANT_ROW_COLUMNS, '$1');
    const all = (await this.db.query({ name: this.shared.nameOf(text), text, values: [studyId], rowMode: 'array' })).rows as unknown[][];
    return participantRowsOf(all, kinds, await this.ttlsOf(studyId, all.map((r) => r[1] as string)), Date.now());
  }

  async participantsForAnalysis(studyId: string, kinds?: readonly ParticipantKind[]): Promise<AnalysisParticipantRow[]> {
    const text = participantsInOrderSql(ANALYSIS_PARTICIPANT_COLUMNS, '$1');
    const all = (await this.db.query({ name: this.shared.nameOf(text), text, values: [studyId], rowMode: 'array' })).rows as unknown[][];
    return analysisParticipantsOf(all, kinds, await this.ttlsOf(studyId, all.map((r) => r[0] as string)), Date.now());
  }

  /** Each of these versions' abandonment TTL (ms), read before the rows are converted (which is synchronous). */
  private async ttlsOf(studyId: string, versions: string[]): Promise<(version: string) => number> {
    const ttls = new Map<string, number>();
    for (const v of new Set(versions)) ttls.set(v, (await this.protocolOf(studyId, v)).design.slot_ttl_minutes * 60_000);
    return (v) => ttls.get(v)!;
  }

  async stimuli(studyId: string): Promise<StimulusRow[]> {
    const rows = await this.all<StimulusDbRow>(
      `SELECT s.* FROM stimuli s JOIN studies v ON v.id = s.study_id AND v.version = s.version
       WHERE s.study_id = $1 ORDER BY v.created_at, s.seq`,
      [studyId],
    );
    return toStimulusRows(rows);
  }

  async putDetectorScores(rows: DetectorScoreRow[]): Promise<number> {
    let n = 0;
    for (const r of rows) {
      n += await this.run(
        `INSERT INTO detector_scores (study_id, stimulus_id, detector, model_hash, metric, value, scored_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (study_id, stimulus_id, detector, model_hash, metric) DO UPDATE SET value = excluded.value, scored_at = excluded.scored_at`,
        [r.study_id, r.stimulus_id, r.detector, r.model_hash, r.metric, r.value, r.scored_at],
      );
    }
    return n;
  }

  detectorScores(studyId: string): Promise<DetectorScoreRow[]> {
    return this.all<DetectorScoreRow>(
      'SELECT study_id, stimulus_id, detector, model_hash, metric, value, scored_at FROM detector_scores WHERE study_id = $1 ORDER BY stimulus_id COLLATE "C", detector COLLATE "C", metric COLLATE "C"',
      [studyId],
    );
  }

  async kindCounts(studyId: string): Promise<Record<ParticipantKind, number>> {
    const out: Record<ParticipantKind, number> = { real: 0, pilot: 0, bot: 0 };
    for (const r of await this.all<{ kind: ParticipantKind; n: number }>('SELECT kind, COUNT(*)::int AS n FROM participants WHERE study_id = $1 GROUP BY kind', [studyId])) {
      out[r.kind] = r.n;
    }
    return out;
  }

  async studyState(studyId: string): Promise<StudyState> {
    return (await this.one<Pick<StudyStateDbRow, 'state'>>('SELECT state FROM study_states WHERE study_id = $1', [studyId]))?.state ?? 'open';
  }

  async setStudyState(studyId: string, state: StudyState, now: number): Promise<void> {
    await this.run(
      `INSERT INTO study_states (study_id, state, changed_at) VALUES ($1, $2, $3)
       ON CONFLICT (study_id) DO UPDATE SET state = excluded.state, changed_at = excluded.changed_at`,
      [studyId, state, now],
    );
  }

  async purgeParticipants(studyId: string, kinds: readonly ParticipantKind[], now: number): Promise<{ participants: number; responses: number }> {
    if (kinds.includes('real')) throw new Error('real participants are never deleted');
    const list = PARTICIPANT_KINDS.filter((k) => kinds.includes(k));
    await this.merged?.writeEvents(); // none of theirs may be written after they are gone
    const who = 'SELECT id FROM participants WHERE study_id = $1 AND kind = ANY($2::text[])';
    await this.run(`DELETE FROM answers WHERE response_id IN (SELECT id FROM responses WHERE participant_id IN (${who}))`, [studyId, list]);
    const responses = await this.run(`DELETE FROM responses WHERE participant_id IN (${who})`, [studyId, list]);
    await this.run(`DELETE FROM events WHERE participant_id IN (${who})`, [studyId, list]);
    const participants = await this.run('DELETE FROM participants WHERE study_id = $1 AND kind = ANY($2::text[])', [studyId, list]);
    await this.run('INSERT INTO purges (study_id, kinds, participants, responses, at) VALUES ($1, $2, $3, $4, $5)', [studyId, list.join(','), participants, responses, now]);
    return { participants, responses };
  }
}

/** The most ops in one group commit (group-commit.ts maxGroup). */
const MAX_GROUP = 500;
/**
 * Group transactions at once (group-commit.ts lanes), each on its own connection. A group spends most of
 * its time waiting for round trips (the database idle in Client:ClientRead, closing note 5): one at a time,
 * a burst of arrivals queued thousands of ops behind it (PostgreSQL 1 worker, 2,000 bots: ack p99 6.9 s).
 * Concurrent groups are as safe as groups from several processes: places are counted under the study's
 * advisory lock, a submit decides under its participant's row lock.
 */
const LANES = 4;
/**
 * The group commits' connections beyond one per lane, for the keys with lanes of their own: a live study's
 * places and joins, and the heartbeats (a server with several studies filling at once waits for one).
 */
const OWN_LANE_CONNECTIONS = 3;
/**
 * Connections per store: one for the group commit, the rest for the reads around it (a submit's checks, page
 * views, heartbeats). More is not faster on a busy machine: every backend that runs at once takes CPU from the
 * group commit's, the one path every write waits for (one benchmark run with 20, at load 9–15, had a group
 * transaction p99 of 4.8 s; noisy, but no run showed more connections helping).
 */
const POOL_SIZE = 10;

/** Methods that write more than one statement: on the pool they run in a transaction of their own. */
const ATOMIC = new Set<keyof StoreTx>(['registerStudy', 'createParticipant', 'submit', 'purgeParticipants', 'putDetectorScores', 'claimDeadlines']);

/**
 * The transaction's client as its statements see it: each is sent once BEGIN succeeded, so none runs outside
 * the transaction if BEGIN failed (it fails with BEGIN's error instead).
 */
function afterBegin(client: pg.PoolClient, begun: Promise<unknown>): pg.PoolClient {
  // Once BEGIN is done, the client's own query: no wait and no wrapper for every later statement of the group.
  let done = false;
  begun.then(() => (done = true), () => {});
  const waiting = (...args: unknown[]) => begun.then(() => Reflect.apply(client.query, client, args));
  return new Proxy(client, {
    get(target, key) {
      if (key === 'query' && !done) return waiting;
      const v: unknown = Reflect.get(target, key, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

// The store's StoreTx methods come from the facade built in the constructor (declaration merging tells the compiler).
export interface PostgresStore extends StoreTx {}

export class PostgresStore implements Store {
  private readonly pool: pg.Pool;
  /**
   * The group commits' own connections, one per lane: a burst of reads waiting for the pool (hundreds, at
   * 2,000 bots) must not hold up the transactions every acknowledgement waits for.
   */
  private readonly groupPool: pg.Pool;
  private readonly shared = new Shared();
  private readonly ops: PgOps;
  private readonly commits: GroupCommit<PgOps>;
  /** Connected and migrated; every call waits for it (a constructor cannot). */
  readonly ready: Promise<void>;
  readonly researchers: ResearcherStore;

  constructor(readonly url: string, opts: { max?: number; lanes?: number } = {}) {
    this.pool = storePool(url, opts.max ?? POOL_SIZE, this.shared.planAges);
    const lanes = opts.lanes ?? LANES;
    // A connection per lane, and some for the lanes of their own (group-commit.ts ownLane: each study's places, heartbeats).
    this.groupPool = storePool(url, lanes + OWN_LANE_CONNECTIONS, this.shared.planAges, { genericPlans: true });
    this.ops = new PgOps(this.pool, this.shared, false);
    this.ready = this.migrate();
    this.ready.catch(() => {}); // reported by the first call that waits for it
    const query = async (text: string, values: unknown[]) => {
      await this.ready;
      return this.pool.query({ name: this.shared.nameOf(text), text, values });
    };
    this.researchers = new ResearcherTables({
      all: async <T>(text: string, values: unknown[]) => (await query(text, values)).rows as T[],
      run: async (text, values) => (await query(text, values)).rowCount ?? 0,
    });
    const self = this as unknown as Record<string, unknown>;
    for (const name of STORE_TX_METHODS) {
      const method = PgOps.prototype[name] as (...a: unknown[]) => Promise<unknown>;
      self[name] = ATOMIC.has(name)
        ? (...args: unknown[]) => this.transaction((tx) => method.apply(tx, args))
        : async (...args: unknown[]) => {
            await this.ready;
            return method.apply(this.ops, args);
          };
    }
    this.commits = new GroupCommit<PgOps>(
      {
        transaction: (fn, lane) => this.withTransaction(fn, this.groupPool, lane),
        savepoint: (tx, fn) => this.savepoint(tx, fn),
        durable: () => this.durable(),
        runOps: (tx, ops) => this.runMerged(tx, ops),
      },
      // Two round trips per op fewer (SAVEPOINT, RELEASE) on the common path where no op fails; a group of at most
      // MAX_GROUP, written in a few statements (postgres-submits.ts), holds its participants' row locks briefly.
      { savepointsOnFailureOnly: true, maxGroup: MAX_GROUP, lanes },
    );
  }

  /** The schema version this program writes. */
  static readonly SCHEMA_VERSION = PG_MIGRATIONS.length;

  private async migrate(): Promise<void> {
    const client = await this.pool.connect().catch((err: Error) => {
      throw new Error(`${redactUrl(this.url)}: cannot connect to PostgreSQL (${err.message})`);
    });
    try {
      await migratePostgres(client, this.url);
    } finally {
      client.release();
    }
  }

  /** `lane`: a group's own lane (group-commit.ts); one that names a study lock takes it with BEGIN (study-locks.ts). */
  private async withTransaction<T>(fn: (tx: PgOps) => Promise<T>, pool = this.pool, lane?: string): Promise<T> {
    await this.ready;
    const client = await pool.connect();
    let broken = false;
    try {
      // BEGIN's round trip overlaps the transaction's first steps (a group's ops take turns for an event-loop
      // turn before its first statement): one wait fewer per group, each a turn of a busy event loop.
      // Nothing is sent on the transaction before BEGIN succeeded (afterBegin).
      const lock = laneStudyLock(lane);
      // One simple query, two statements: the lock's statement reads nothing, so its snapshot does not matter.
      const begun = client.query(lock ? `BEGIN; ${lockStatement(client.escapeLiteral(lock))}` : 'BEGIN');
      begun.catch(() => {}); // its failure is the transaction's, through afterBegin and the await below
      try {
        // A lane's lock may be another process's for a group's time: its ops are taken once it is ours (group-commit.ts).
        if (lock) await begun;
        const tx = new PgOps(afterBegin(client, begun), this.shared, true);
        if (lock) tx.studyLocks.add(lock);
        const v = await fn(tx);
        await begun;
        await client.query('COMMIT');
        return v;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => (broken = true));
        throw err;
      }
    } finally {
      client.release(broken);
    }
  }

  transaction<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T> {
    return this.withTransaction(fn);
  }

  /** A group's ops in turns on tx, their submits merged into one lock query and one write. */
  private async runMerged(tx: PgOps, ops: (() => Promise<unknown>)[]): Promise<PromiseSettledResult<unknown>[]> {
    const merged = new MergedSubmits(tx.db as pg.PoolClient, (text) => this.shared.nameOf(text), (ps) => tx.createParticipants(ps));
    tx.merged = merged;
    try {
      const settled = await Promise.allSettled(ops.map((op) => merged.turns.inTurn(op)));
      // The places and events the ops left are written before the group commits; if that fails, the group reruns an op per savepoint.
      const written = await merged.finish().then(() => null, (err: unknown) => err);
      return written ? settled.map(() => ({ status: 'rejected', reason: written })) : settled;
    } finally {
      tx.merged = null;
    }
  }

  /** One op of a group: its failure rolls back only its own writes (and leaves the transaction usable). */
  private savepoint<T>(tx: PgOps, fn: () => Promise<T>): Promise<T> {
    return inSavepoint((sql) => tx.db.query(sql), fn).catch((err: unknown) => {
      tx.studyLocks.clear(); // rolling back to the savepoint released the locks taken since: take them again when needed
      throw err;
    });
  }

  batch<T>(fn: (tx: StoreTx) => Promise<T>, key?: string): Promise<T> {
    this.shared.planAges.wrote();
    return this.commits.run(fn, key);
  }

  commitStats(): CommitStats {
    return this.commits.stats();
  }

  /** A COMMIT returns once its WAL record is flushed (synchronous_commit): nothing more to wait for. */
  durable(): Promise<void> {
    return Promise.resolve();
  }

  async iterateResponses(studyId: string, kinds?: readonly ParticipantKind[]): Promise<Iterable<ResponseRow>> {
    await this.ready;
    return this.ops.responseRows(studyId, kinds);
  }

  /**
   * The long read through a server-side cursor on a connection of its own, EXPORT_BATCH rows at a time, so a
   * download of millions of rows holds one batch in memory and participants' writes go on beside it.
   */
  async responsesForExport(studyId: string, kinds?: readonly ParticipantKind[]): Promise<RowSource> {
    await this.ready;
    const client = await this.pool.connect();
    const stream = client.query(new QueryStream(RESPONSE_ROWS_SQL, [studyId], { rowMode: 'array', types: PG_TYPES, batchSize: EXPORT_BATCH }));
    let open = true;
    const close = () => {
      if (!open) return;
      open = false;
      // A cursor left half-read would leave the connection mid-query: finish it cleanly if done, else discard it.
      const done = stream.readableEnded;
      stream.destroy();
      client.release(done ? undefined : true);
    };
    const wanted = kindFilter(kinds);
    async function* rows(): AsyncGenerator<ResponseRow> {
      try {
        for await (const r of stream as AsyncIterable<unknown[]>) if (wanted(r)) yield responseRowOf(r);
      } finally {
        close();
      }
    }
    return { rows: rows(), close };
  }

  /** The long read with only the columns the analysis reads (read at once, as iterateResponses). */
  async responsesForAnalysis(studyId: string, kinds?: readonly ParticipantKind[]): Promise<Iterable<AnalysisResponseRow>> {
    await this.ready;
    return this.ops.analysisRows(studyId, kinds);
  }

  async close(): Promise<void> {
    // Writes still waiting for a group commit are committed, not dropped.
    await this.ready.catch(() => {});
    await this.commits.drain();
    await Promise.all([this.pool.end(), this.groupPool.end()]);
  }
}
