// Plans moved out of the participants row (SQLite migration 7, PostgreSQL 3):
// a database made before the move upgrades with every participant's plan
// intact, the participants row no longer carries it (a submit's progress
// update rewrote a 10-20 kB plan), new participants and a move to another
// condition write their plan to participant_plans, and the places counted at
// each join come from a covering index on SQLite. The page count is stored
// beside them (SQLite migration 9, PostgreSQL 5): an old participant's comes
// from their plan, a new one's and a moved one's from the plan written; and
// SQLite's long read no longer sorts each response's answers.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { MIGRATIONS } from '../../server/store/schema.ts';
import { PG_MIGRATIONS } from '../../server/store/postgres-schema.ts';
import { ANALYSIS_READ_SQL, LONG_READ_SQL, SqliteStore } from '../../server/store/sqlite.ts';
import { PostgresStore } from '../../server/store/postgres.ts';
import type { Store } from '../../server/store/store.ts';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { tempDir } from '../engine/helpers.ts';

const PLAN = [
  { kind: 'consent', block: 'consent', trialIndex: null, questions: [] },
  { kind: 'trial', block: 'main', trialIndex: 0, stimulusId: 's1', questions: [{ id: 'cred', type: 'likert', prompt: 'How credible?' }] },
];
const PROTOCOL = JSON.stringify({ id: 'old', design: { conditions: [{ id: 'a', target: 10, pools: [] }], slot_ttl_minutes: 30 } });

/** The rows an old database holds: one study, one participant with its plan in the participants row. */
const OLD_ROWS = [
  `INSERT INTO studies (id, version, protocol_json, file, created_at) VALUES ('old', 'v1', '${PROTOCOL}', NULL, 1)`,
  `INSERT INTO participants (id, study_id, version, idx, token_hash, prolific_pid, prolific_study_id, prolific_session_id, condition, seed,
     plan_json, page_index, page_started_at, deadline_at, study_deadline_at, attempts, status, flagged, started_at, ended_at, last_seen_at)
   VALUES ('p1', 'old', 'v1', 0, 'tok', NULL, NULL, NULL, 'a', 7, '${JSON.stringify(PLAN)}', 1, 5, NULL, NULL, 0, 'in-progress', 0, 5, NULL, 5)`,
];

async function checkUpgraded(store: Store, columns: string[]): Promise<void> {
  assert.ok(!columns.includes('plan_json'), `participants still has plan_json: ${columns.join(', ')}`);
  const p = await store.participant('p1');
  assert.ok(p, 'the old participant is gone');
  assert.deepEqual(p.plan, PLAN);
  assert.equal(p.pageIndex, 1);
  assert.deepEqual((await store.participants('old')).map((r) => [r.participant_id, r.pages_total]), [['p1', PLAN.length]]);
}

/** A new participant, then a move to another condition before a place is taken: the plan and its page count rewritten. */
async function joinAndMove(store: Store): Promise<{ id: string; moved: unknown[] }> {
  const made = await store.createParticipant({
    studyId: 'old', version: 'v1', tokenHash: 'new', prolificPid: null, prolificStudyId: null, prolificSessionId: null,
    now: 10, studyLimitMs: null, placeAt: null,
    choose: () => ({ condition: 'a', seed: 1, plan: PLAN as never, deadlineAt: null }),
  });
  assert.ok('participant' in made);
  const id = made.participant.id;
  assert.equal(await pagesTotal(store, id), PLAN.length);
  const moved = [...PLAN, { kind: 'end', block: 'end', trialIndex: null, questions: [] }];
  assert.equal(await store.takePlace(made.participant, 11, { condition: 'a', plan: moved as never }), true);
  assert.deepEqual((await store.participant(id))!.plan, moved);
  assert.equal(await pagesTotal(store, id), moved.length);
  return { id, moved };
}

/** The page count analysis reads for one participant (participants.pages_total). */
async function pagesTotal(store: Store, id: string): Promise<number | undefined> {
  return (await store.participants('old')).find((r) => r.participant_id === id)?.pages_total;
}

describe('plans in their own table', () => {
  const tmp = tempDir('credence-plans-');
  let server: TestPostgres;
  before(async () => {
    server = await startTestPostgres();
  });
  after(async () => {
    await server?.stop();
    tmp.cleanup();
  });

  test('sqlite: a version-6 database upgrades with its plans and page counts; the counts read a covering index; a move rewrites both', async () => {
    const file = join(tmp.dir, 'old.db');
    const db = new Database(file);
    for (const m of MIGRATIONS.slice(0, 6)) db.exec(m);
    db.pragma('user_version = 6');
    for (const sql of OLD_ROWS) db.exec(sql);
    db.close();

    const store = new SqliteStore(file);
    try {
      const columns = (store.db.prepare('PRAGMA table_info(participants)').all() as { name: string }[]).map((c) => c.name);
      await checkUpgraded(store, columns);
      const plan = store.db
        .prepare(
          `EXPLAIN QUERY PLAN SELECT condition, status, (last_seen_at >= ?) AS fresh, COUNT(*) AS n FROM participants
           WHERE study_id = ? AND version = ? AND place_at IS NOT NULL GROUP BY condition, status, fresh`,
        )
        .all(0, 'old', 'v1') as { detail: string }[];
      assert.match(plan.map((r) => r.detail).join('\n'), /COVERING INDEX participants_places/);
      // The long read (and the analysis read, its narrower twin) takes each response's answers in rowid order from an index: no sort (migration 9).
      for (const sql of [LONG_READ_SQL, ANALYSIS_READ_SQL]) {
        const longRead = (store.db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all('old') as { detail: string }[]).map((r) => r.detail).join('\n');
        assert.match(longRead, /INDEX answers_in_order/);
        assert.doesNotMatch(longRead, /TEMP B-TREE/);
      }

      const { id, moved } = await joinAndMove(store);
      const stored = store.db.prepare('SELECT plan_json FROM participant_plans WHERE participant_id = ?').get(id) as { plan_json: string };
      assert.deepEqual(JSON.parse(stored.plan_json), moved);
    } finally {
      await store.close();
    }
  });

  test('postgres: a version-2 database upgrades with its plans and page counts; a move rewrites both', async () => {
    const url = await server.newDatabase();
    const client = new pg.Client(url);
    await client.connect();
    try {
      for (const m of PG_MIGRATIONS.slice(0, 2)) await client.query(m);
      await client.query('CREATE TABLE schema_version (version INTEGER NOT NULL)');
      await client.query('INSERT INTO schema_version VALUES (2)');
      for (const sql of OLD_ROWS) await client.query(sql);
    } finally {
      await client.end();
    }
    const store = new PostgresStore(url);
    try {
      await store.ready;
      const check = new pg.Client(url);
      await check.connect();
      const columns = (await check.query<{ column_name: string }>(`SELECT column_name FROM information_schema.columns WHERE table_name = 'participants'`)).rows.map((r) => r.column_name);
      await check.end();
      await checkUpgraded(store, columns);
      await joinAndMove(store);
    } finally {
      await store.close();
    }
  });
});
