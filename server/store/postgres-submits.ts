// The submits of one PostgreSQL group commit, merged: one statement locks
// every participant the group answers for, decides each submit against its
// participant's row as locked, and writes all the accepted responses, their
// answers and the participants' moves (SUBMIT). Before this each submit cost
// two round trips one after another on the group's connection, so a group of a
// thousand took seconds and the next group grew while it waited (closing note
// 3: p99 6.3 s at 2,000 bots). The promises stay: the group's transaction is
// still the unit of commit, a client id is still idempotent by the responses'
// unique (participant_id, client_id) (ON CONFLICT), and each submit's outcome
// is decided under its participant's row lock, in the group's order. The
// group's joins are made together the same way (PgOps.createParticipants: one
// read and one insert under the study's lock, each join deciding as it would
// after the ones before it), and the events its ops log (a join, a timeout, an
// end) are written together, in the order they were logged, before anything
// reads events and before the group commits.
import type pg from 'pg';
import type { NewParticipant, PageEventInput, StoreTx, SubmissionInput, SubmitResult } from './store.ts';
import { answerValues, RESPONSE_COLUMNS, responseValues, ANSWER_COLUMNS } from './rows.ts';

type Named = (text: string) => string;
type Created = Awaited<ReturnType<StoreTx['createParticipant']>>;
/** Makes a group's new participants together (PgOps.createParticipants), each settling alone. */
type CreateAll = (ps: NewParticipant[]) => Promise<PromiseSettledResult<Created>[]>;

/**
 * The ops of one group take turns on the group's connection: one at a time, in
 * the group's order, exactly as if they ran one after another, except that an
 * op waiting for its submit gives up its turn. Once every op has finished or is
 * waiting for a submit, the waiting submits are written together (MergedSubmits).
 */
export class Turns {
  private busy = false;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly onIdle: () => void) {}

  acquire(): Promise<void> {
    if (!this.busy) {
      this.busy = true;
      return Promise.resolve();
    }
    return new Promise((ok) => this.waiting.push(ok));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) return next(); // the turn passes on directly
    this.busy = false;
    // Idle only once the ops resumed by promise callbacks have had their chance to queue (they run first).
    setImmediate(() => {
      if (!this.busy && this.waiting.length === 0) this.onIdle();
    });
  }

  async inTurn<T>(fn: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await fn();
    } finally {
      this.release();
    }
  }
}

/** One study version as a map key (the group's counted places, pending places, a join's per-version state). */
export const versionKey = (studyId: string, version: string): string => `${studyId}\u0000${version}`;

/** A place taken by an op of the group, not yet written: the group's later counts hold it (PgOps.conditionCounts). */
export interface PendingPlace {
  id: string;
  now: number;
  /** versionKey(study, version), as MergedSubmits.counted keys them. */
  key: string;
  condition: string;
}

/** Places counted by condition, status and whether seen within the slot TTL, as conditionCountsOf reads them. */
export type CountRow = { condition: string; status: string; fresh: number; n: number };

/**
 * One read of a study version's places in a group: the counts as of `now`, and the holders seen close to the
 * TTL's edge then (condition, last seen), so counts at another time near it need no second read.
 */
export interface CountedPlaces {
  now: number;
  counts: CountRow[];
  borderline: [string, number][];
}

interface Waiting<In, Out> {
  s: In;
  ok: (r: Out) => void;
  fail: (e: unknown) => void;
}

// One statement per round of submits: it locks their participants (in id order, as every writer of several
// participants' rows does), decides each submit against its participant's row as locked (in progress, on the
// submit's page, holding a place when it needs one), writes the accepted ones (responses, answers, the
// participants' moves) and returns each submit's verdict. Deciding in the statement, where a first
// statement locked and a second wrote, is one round trip fewer per group on its connection: each a turn of
// a busy event loop (a group was BEGIN, LOCK, WRITE, COMMIT).
// The places the group's ops took (g) come with the first round: a consent's with the participant's move
// past the consent page when that is written (u), the others alone (placed); a statement less per consent
// group than writing them first (PLACES), each a round trip while the study's place lock is held.
// $1-$14 the responses (RESPONSE_COLUMNS, one array each), $15-$21 their answers (the response's position,
// then answerValues' columns), $22-$28 the participants' next progress (one per response, in order), $29
// whether each needs its participant to hold a place, $30-$31 the places taken (participant, time).
const SUBMIT = `WITH x AS (
    SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[], $6::int[], $7::text[], $8::float8[], $9::float8[],
      $10::int[], $11::int[], $12::text[], $13::int[], $14::int8[], $29::bool[]) WITH ORDINALITY AS x(${RESPONSE_COLUMNS}, needs_place, o)
  ), g AS (
    SELECT * FROM unnest($30::text[], $31::int8[]) AS g(id, at)
  ), lk AS (
    SELECT p.id, p.status, p.page_index, p.place_at FROM participants p
    WHERE p.id IN (SELECT participant_id FROM x UNION SELECT id FROM g) ORDER BY p.id FOR UPDATE OF p
  ), ok AS (
    SELECT x.* FROM x JOIN lk ON lk.id = x.participant_id
    WHERE lk.status = 'in-progress' AND lk.page_index = x.page_index AND (NOT x.needs_place OR lk.place_at IS NOT NULL)
  ), r AS (
    INSERT INTO responses (${RESPONSE_COLUMNS}) SELECT ${RESPONSE_COLUMNS} FROM ok ORDER BY o
    ON CONFLICT (participant_id, client_id) DO NOTHING RETURNING id, participant_id, client_id
  ), a AS (
    INSERT INTO answers (${ANSWER_COLUMNS})
    SELECT r.id, y.q, y.t, y.j, y.n, y.v, y.c
    FROM unnest($15::int8[], $16::text[], $17::text[], $18::text[], $19::float8[], $20::text[], $21::int[]) WITH ORDINALITY AS y(k, q, t, j, n, v, c, o)
    JOIN x ON x.o = y.k JOIN r ON r.participant_id = x.participant_id AND r.client_id = x.client_id
    ORDER BY y.o
  ), u AS (
    UPDATE participants p SET page_index = n.page_index, page_started_at = n.page_started_at, deadline_at = n.deadline_at, attempts = n.attempts,
      status = n.status, ended_at = n.ended_at, flagged = n.flagged, last_seen_at = x.submitted_at, place_at = COALESCE(p.place_at, g.at)
    FROM unnest($22::int[], $23::int8[], $24::int8[], $25::int[], $26::text[], $27::int8[], $28::int[]) WITH ORDINALITY
      AS n(page_index, page_started_at, deadline_at, attempts, status, ended_at, flagged, k)
    JOIN x ON x.o = n.k JOIN r ON r.participant_id = x.participant_id AND r.client_id = x.client_id
    LEFT JOIN g ON g.id = x.participant_id
    WHERE p.id = x.participant_id
  ), placed AS (
    -- A row is updated once per statement: the places of those whose submit u does not write.
    UPDATE participants p SET place_at = g.at FROM g
    WHERE p.id = g.id AND p.place_at IS NULL AND g.id NOT IN (SELECT participant_id FROM r)
  )
  SELECT r.id IS NOT NULL AS written, lk.status, lk.page_index, lk.place_at IS NOT NULL AS placed,
    EXISTS (SELECT 1 FROM responses s WHERE s.participant_id = x.participant_id AND s.client_id = x.client_id) AS stored
  FROM x LEFT JOIN lk ON lk.id = x.participant_id LEFT JOIN r ON r.participant_id = x.participant_id AND r.client_id = x.client_id
  ORDER BY x.o`;

// A refused submit may be the twin of one another transaction stored while this one waited for the row lock:
// SUBMIT's `stored` reads the snapshot taken before that wait. Read again, now, it is a duplicate.
const STORED = `SELECT r.participant_id, r.client_id FROM responses r
  JOIN unnest($1::text[], $2::text[]) AS x(participant_id, client_id) ON r.participant_id = x.participant_id AND r.client_id = x.client_id`;

// The places taken by a group's ops (each participant once), returning whose was free.
const PLACES = `UPDATE participants p SET place_at = x.at FROM unnest($1::text[], $2::int8[]) AS x(id, at)
  WHERE p.id = x.id AND p.place_at IS NULL RETURNING p.id`;

// The events logged by a group's ops, in their order (their ids keep it).
const EVENTS = `INSERT INTO events (participant_id, type, page_index, data_json, at)
  SELECT participant_id, type, page_index, data_json, at
  FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::int8[]) WITH ORDINALITY AS e(participant_id, type, page_index, data_json, at, o)
  ORDER BY o`;

const keyOf = (participantId: string, clientId: string) => `${participantId}\u0000${clientId}`;

/** A submit as SUBMIT found it: written, or its participant's row as locked (none: no such participant) and whether its client id was stored before. */
type Verdict = { written: boolean; status: string | null; page_index: number | null; placed: boolean | null; stored: boolean };

/** A submit's outcome from its verdict, checked in the single-submit path's order. */
function verdictOf(s: SubmissionInput, v: Verdict): SubmitResult {
  if (v.written) return { kind: 'stored' };
  if (v.stored) return { kind: 'duplicate' };
  if (v.status !== 'in-progress') return { kind: 'not-in-progress' };
  if (v.page_index !== s.pageIndex) return { kind: 'stale', pageIndex: v.page_index! };
  if (s.needsPlace && !v.placed) return { kind: 'place-lost' };
  // Accepted but not written: the unique (participant_id, client_id) met its twin (a retry), never a second row.
  return { kind: 'duplicate' };
}

/** Gathers the joins, submits and events of one group's ops while they take turns, and writes them together when the ops are idle. */
export class MergedSubmits {
  readonly turns = new Turns(() => void this.flush());
  private pending: Waiting<SubmissionInput, SubmitResult>[] = [];
  private joins: Waiting<NewParticipant, Created>[] = [];
  private places: PendingPlace[] = [];
  /** A write of the group's that nobody waited for failed (its places alone): the group fails at finish(). */
  private failure: unknown = null;
  private events: PageEventInput[] = [];
  /** Places read once per study version while nothing of the group changes them (any write of participants drops it). */
  readonly counted = new Map<string, CountedPlaces>();

  constructor(
    private readonly client: pg.ClientBase,
    private readonly named: Named,
    private readonly createAll: CreateAll,
  ) {}

  /** Called by an op holding its turn: gives the turn up until the group's submits are written. */
  submit(s: SubmissionInput): Promise<SubmitResult> {
    return this.wait(this.pending, s);
  }

  /** Called by an op holding its turn: gives the turn up until the group's new participants are made (before its submits). */
  join(p: NewParticipant): Promise<Created> {
    return this.wait(this.joins, p);
  }

  private async wait<In, Out>(queue: Waiting<In, Out>[], s: In): Promise<Out> {
    const r = new Promise<Out>((ok, fail) => queue.push({ s, ok, fail }));
    this.turns.release();
    try {
      return await r;
    } finally {
      await this.turns.acquire();
    }
  }

  /**
   * Called by an op holding its turn, under the study's place lock, having counted the group's places: the place
   * is the op's, written with the participant's submit of this group (SUBMIT) or alone before the group
   * commits, and counted by the group's later ops meanwhile. The op goes on without waiting for it.
   */
  place(x: PendingPlace): void {
    this.places.push(x);
  }

  /** The conditions of the places this group took in a study version and has not written yet. */
  placesPending(key: string): string[] {
    return this.places.filter((x) => x.key === key).map((x) => x.condition);
  }

  /** Whether a join waiting to be made would take a place in this study (a protocol without consent page). */
  joinsPlacing(studyId: string): boolean {
    return this.joins.some((w) => w.s.studyId === studyId && w.s.placeAt !== null);
  }

  /** Logs an event with the group's others (written by writeEvents). */
  event(e: PageEventInput): void {
    this.events.push(e);
  }

  /**
   * Writes the events logged so far in one statement: by an op holding its turn before it reads events, and
   * once the ops are done, before the group commits (one round trip per event was a tenth of a join's cost).
   */
  async writeEvents(): Promise<void> {
    if (this.events.length === 0) return;
    const es = this.events.splice(0);
    await this.query(EVENTS, [
      es.map((e) => e.participantId),
      es.map((e) => e.type),
      es.map((e) => e.pageIndex),
      es.map((e) => (e.data === undefined ? null : JSON.stringify(e.data))),
      es.map((e) => e.at),
    ]);
  }

  private async flush(): Promise<void> {
    if (this.pending.length === 0 && this.joins.length === 0) return;
    await this.turns.acquire();
    try {
      await this.writeJoins();
      await this.writeSubmits();
    } finally {
      this.turns.release();
    }
  }

  /** Once the group's ops are done, before it commits: the places not written with a submit, and the events. */
  async finish(): Promise<void> {
    await this.turns.inTurn(async () => {
      await this.writePlaces();
      if (this.failure) throw this.failure;
      await this.writeEvents();
    });
  }

  /** The places taken so far and not yet written, first one per participant (a second finds theirs taken). */
  private takePlaces(): { id: string; at: number }[] {
    const first = new Map<string, number>();
    for (const x of this.places.splice(0)) if (!first.has(x.id)) first.set(x.id, x.now);
    if (first.size > 0) this.counted.clear();
    return [...first].map(([id, at]) => ({ id, at }));
  }

  /** The places taken so far, in one statement of their own. */
  private async writePlaces(): Promise<void> {
    const places = this.takePlaces();
    if (places.length === 0) return;
    await this.query(PLACES, [places.map((x) => x.id), places.map((x) => x.at)]).catch((err: unknown) => {
      this.failure ??= err;
    });
  }

  /** The new participants waiting, made together (by flush, or by an op holding its turn before it counts places). */
  async writeJoins(): Promise<void> {
    const joins = this.joins.splice(0);
    if (joins.length === 0) return;
    // The places first: the joins' counts then hold them, as the consents before them in the group did.
    await this.writePlaces();
    this.counted.clear();
    try {
      const made = await this.createAll(joins.map((w) => w.s));
      joins.forEach((w, i) => (made[i].status === 'fulfilled' ? w.ok(made[i].value) : w.fail(made[i].reason)));
    } catch (err) {
      for (const w of joins) w.fail(err);
    }
  }

  private async writeSubmits(): Promise<void> {
    const batch = this.pending.splice(0);
    if (batch.length === 0) return;
    this.counted.clear();
    try {
      const out = await writeSubmits((text, values) => this.query(text, values), batch.map((w) => w.s), this.takePlaces());
      batch.forEach((w, i) => w.ok(out[i]));
    } catch (err) {
      for (const w of batch) w.fail(err);
    }
  }

  private async query<T>(text: string, values: unknown[]): Promise<T[]> {
    return (await this.client.query({ name: this.named(text), text, values })).rows as T[];
  }
}

/** Runs one statement on the transaction's connection (prepared under its name), returning its rows. */
export type Query = <T>(text: string, values: unknown[]) => Promise<T[]>;

/**
 * Each submit's outcome in the order given, as one after another they would be, written on one transaction's
 * connection (a group's submits together, or a single submit in a transaction of its own).
 */
export async function writeSubmits(query: Query, subs: SubmissionInput[], places: { id: string; at: number }[] = []): Promise<SubmitResult[]> {
  // In rounds: a participant's k-th submit of the group in the k-th, so each is decided against the row as
  // the ones before it left it (an UPDATE … FROM also applies one source row per target row).
  const rounds: { s: SubmissionInput; i: number }[][] = [];
  const seen = new Map<string, number>();
  subs.forEach((s, i) => {
    const round = (seen.get(s.participantId) ?? -1) + 1;
    seen.set(s.participantId, round);
    (rounds[round] ??= []).push({ s, i });
  });
  const out: SubmitResult[] = [];
  for (const [k, round] of rounds.entries()) {
    const verdicts = await writeRound(query, round.map((x) => x.s), k === 0 ? places : []);
    round.forEach(({ s, i }, k) => (out[i] = verdictOf(s, verdicts[k])));
  }
  const refused = subs.filter((_, i) => out[i].kind !== 'stored' && out[i].kind !== 'duplicate');
  if (refused.length > 0) {
    const twins = await query<{ participant_id: string; client_id: string }>(STORED, [refused.map((s) => s.participantId), refused.map((s) => s.clientId)]);
    const late = new Set(twins.map((r) => keyOf(r.participant_id, r.client_id)));
    subs.forEach((s, i) => {
      if (out[i].kind !== 'stored' && late.has(keyOf(s.participantId, s.clientId))) out[i] = { kind: 'duplicate' };
    });
  }
  return out;
}

function writeRound(query: Query, subs: SubmissionInput[], places: { id: string; at: number }[]): Promise<Verdict[]> {
  const responses = subs.map(responseValues);
  const answers = subs.flatMap((s, k) => s.answers.map((a) => [k + 1, ...answerValues(0, a).slice(1)]));
  const progress = subs.map(({ next }) => [next.pageIndex, next.pageStartedAt, next.deadlineAt, next.attempts, next.status, next.endedAt, next.flagged ? 1 : 0]);
  const columns = (rows: unknown[][], width: number) => Array.from({ length: width }, (_, c) => rows.map((r) => r[c]));
  return query<Verdict>(SUBMIT, [...columns(responses, 14), ...columns(answers, 7), ...columns(progress, 7), subs.map((s) => !!s.needsPlace), places.map((x) => x.id), places.map((x) => x.at)]);
}
