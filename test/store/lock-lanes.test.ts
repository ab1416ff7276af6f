// A lane whose groups take a study's lock (study-locks.ts) may wait for it while
// another process's group holds it: the ops that arrive meanwhile join the group
// that waits, once it has the lock, rather than waiting for it again in a group of
// their own (group-commit.ts), on a real PostgreSQL.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { PostgresStore } from '../../server/store/postgres.ts';
import { lockStatement, studyLockLane, studyLockName } from '../../server/store/study-locks.ts';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.ts';

let server: TestPostgres;
before(async () => {
  server = await startTestPostgres();
});
after(async () => {
  await server?.stop();
});

test("ops arriving while a lane's group waits for its study lock commit in that group", async () => {
  const url = await server.newDatabase();
  const store = new PostgresStore(url);
  const other = new pg.Client({ connectionString: url }); // another process, holding the study's place lock
  await store.ready;
  await other.connect();
  try {
    await other.query('BEGIN');
    await other.query(lockStatement('$1'), [studyLockName('places', 's1')]);
    const lane = studyLockLane('places', 's1');
    const read = () => store.batch((tx) => tx.participant('nobody'), lane);
    const first = read();
    // The lane's group has begun and waits for the lock.
    for (let i = 0; ; i++) {
      const { rows } = await other.query("SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted");
      if (rows[0].n === 1) break;
      assert.ok(i < 200, 'the group never waited for the lock');
      await new Promise((r) => setTimeout(r, 25));
    }
    const later = [read(), read()];
    await new Promise((r) => setTimeout(r, 50));
    await other.query('COMMIT');
    assert.deepEqual(await Promise.all([first, ...later]), [undefined, undefined, undefined]);
    assert.equal(store.commitStats().maxBatch, 3, 'the two that arrived during the wait were taken by the waiting group');
  } finally {
    await other.end();
    await store.close();
  }
});
