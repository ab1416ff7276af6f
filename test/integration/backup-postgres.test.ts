// A backup of PostgreSQL (backupDatabase, what `credence backup --db postgres://…
// --out FILE` runs) taken while bots submit to a server on PostgreSQL: the backup
// (a SQLite file) holds every response committed, and so every one acknowledged,
// before it began; `backup --verify` passes on it; and it
// restores with `credence db copy --from FILE --to postgres://…` into a new
// database holding exactly the rows of the original.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { startServer } from '../../server/http/server.ts';
import { runBots } from '../../server/bots/run.ts';
import { backupDatabase } from '../../server/store/backup.ts';
import { miniProtocol, sleep, tempDir, writeStudy } from '../engine/helpers.ts';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { credence, tableDigests } from '../helpers/db-tables.ts';

let server: TestPostgres;
const tmp = tempDir('credence-pg-backup-');
before(async () => {
  server = await startTestPostgres();
});
after(async () => {
  await server?.stop();
  tmp.cleanup();
});

const keysOf = (rows: { k: string }[]) => rows.map((r) => r.k);

test('backup of PostgreSQL during a bot run holds every acknowledged response, verifies, and restores', { timeout: 600_000 }, async () => {
  const p = miniProtocol();
  p.id = 'pgbackup';
  p.design.conditions = p.design.conditions.map((c: { target: number }) => ({ ...c, target: 100 }));
  const file = writeStudy(tmp.dir, p);
  const url = await server.newDatabase();
  const app = await startServer({ port: 0, db: url, dataDir: tmp.dir, studies: [file], buildClient: false, log: () => {}, joinLimitExempt: ['127.0.0.1'] });
  const live = new pg.Client({ connectionString: url });
  await live.connect();
  const out = join(tmp.dir, 'during.db');
  try {
    const bots = runBots({ url: app.url, study: file, n: 120, concurrency: 120, thinkMs: [50, 200], pidPrefix: 'B-', seed: 7 });
    // Mid-run: a response is acknowledged only after its commit, so whatever is committed now includes every one acknowledged now.
    const stored = async () => keysOf((await live.query<{ k: string }>("SELECT participant_id || '/' || client_id AS k FROM responses")).rows);
    let committed = await stored();
    for (let i = 0; i < 240 && committed.length < 200; i++) {
      await sleep(250);
      committed = await stored();
    }
    assert.ok(committed.length >= 200, `the run is under way (${committed.length} responses)`);
    // The library call behind `credence backup` (the command itself is run below): it starts at once, mid-run.
    const took = await backupDatabase(url, out);
    assert.equal(took.file, out);
    const summary = await bots;
    assert.equal(summary.stuck, 0, summary.errors.join('\n'));
    const after = await stored();
    assert.ok(after.length > committed.length, `the bots went on answering (${committed.length} → ${after.length})`);

    const copy = new Database(out, { readonly: true });
    const inCopy = new Set(keysOf(copy.prepare("SELECT participant_id || '/' || client_id AS k FROM responses").all() as { k: string }[]));
    copy.close();
    assert.deepEqual(committed.filter((k) => !inCopy.has(k)), [], 'every response acknowledged before the backup began is in it');
    assert.ok(inCopy.size < after.length, `the backup was taken while the bots were answering (${inCopy.size} of ${after.length} responses)`);
  } finally {
    await live.end();
    await app.close();
  }

  const verify = credence('backup', '--verify', out);
  assert.equal(verify.status, 0, verify.stderr);
  assert.match(verify.stdout, /integrity_check passed/);

  // After the run: a backup holds exactly the database's rows, and restoring it gives them back.
  const final = join(tmp.dir, 'final.db');
  const taken = credence('backup', '--db', url, '--out', final);
  assert.equal(taken.status, 0, taken.stderr);
  const restored = await server.newDatabase();
  const restore = credence('db', 'copy', '--from', final, '--to', restored);
  assert.equal(restore.status, 0, restore.stderr);
  const original = await tableDigests(url);
  assert.ok(original.responses.rows > 0 && original.answers.rows > 0);
  assert.deepEqual(await tableDigests(final), original, 'the backup holds exactly the rows of the database');
  assert.deepEqual(await tableDigests(restored), original, 'the restored database holds exactly the rows of the original');
});
