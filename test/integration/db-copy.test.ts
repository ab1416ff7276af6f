// `credence db copy` moves a study run by real bots from SQLite to PostgreSQL and
// back into a new SQLite file: every table holds the same rows on all three
// (ids, tokens' and protocols' hashes as they were), `credence export --format
// long` prints the same bytes from each, the wide and JSONL exports too, the PostgreSQL identities continue past the copied
// ids, and a copy into a database that already holds rows is refused and changes
// nothing there.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pg from 'pg';
import { startServer } from '../../server/http/server.ts';
import { runBots } from '../../server/bots/run.ts';
import { SqliteStore } from '../../server/store/sqlite.ts';
import { PostgresStore } from '../../server/store/postgres.ts';
import type { Store } from '../../server/store/store.ts';
import { studyData } from '../../server/store/study-data.ts';
import { writeLongCsv } from '../../analysis/export/long-csv.ts';
import { writeWideCsv } from '../../analysis/export/wide-csv.ts';
import { writeJsonl } from '../../analysis/export/jsonl.ts';
import { PARTICIPANT_KINDS } from '../../studies/vocabulary/participant-kinds.ts';
import { miniProtocol, tempDir, writeStudy } from '../engine/helpers.ts';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { credence, tableDigests } from '../helpers/db-tables.ts';

let server: TestPostgres;
const tmp = tempDir('credence-db-copy-');
before(async () => {
  server = await startTestPostgres();
});
after(async () => {
  await server?.stop();
  tmp.cleanup();
});

/** The study's long, wide and JSONL exports (every participant kind), as the export command writes them. */
async function exportsOf(store: Store, studyId: string): Promise<{ long: string; wide: string; jsonl: string }> {
  const data = await studyData(store, studyId, PARTICIPANT_KINDS);
  assert.ok(data, `${studyId} is in the database`);
  const capture = async (write: (out: Writable) => Promise<unknown>) => {
    const chunks: Buffer[] = [];
    const out = new Writable({ write: (c, _e, done) => (chunks.push(Buffer.from(c)), done()) });
    await write(out);
    return Buffer.concat(chunks).toString('utf8');
  };
  try {
    return {
      long: await capture((out) => writeLongCsv(data.exportRows, out, { end: true })),
      wide: await capture((out) => writeWideCsv(data.exportRows, data.participants, out, { end: true })),
      jsonl: await capture((out) => writeJsonl(data.exportRows, out, { end: true })),
    };
  } finally {
    await store.close();
  }
}

test('db copy SQLite → PostgreSQL → SQLite keeps every row, and the exports byte-identical', { timeout: 600_000 }, async () => {
  // A study run: bots walk the mini study over socket.io against a real server, some abandoning midway.
  const p = miniProtocol();
  p.id = 'moved';
  p.design.conditions = p.design.conditions.map((c: { target: number }) => ({ ...c, target: 50 }));
  const file = writeStudy(tmp.dir, p);
  const live = join(tmp.dir, 'pilot.db');
  const app = await startServer({ port: 0, db: live, dataDir: tmp.dir, studies: [file], buildClient: false, log: () => {}, joinLimitExempt: ['127.0.0.1'] });
  try {
    const summary = await runBots({ url: app.url, study: file, n: 24, concurrency: 12, thinkMs: [5, 30], pidPrefix: 'P-', seed: 11, abandonRate: 0.25 });
    assert.equal(summary.stuck, 0, summary.errors.join('\n'));
    assert.ok(summary.completed >= 10, `bots completed the study (${summary.completed})`);
  } finally {
    await app.close();
  }
  // The tables a run alone leaves empty: detector scores, a study state, a logged purge, researchers.
  const pilot = new SqliteStore(live);
  const [stim] = await pilot.stimuli('moved');
  await pilot.putDetectorScores([
    { study_id: 'moved', stimulus_id: stim.stimulus_id, detector: 'roberta', model_hash: 'sha256:ab12', metric: 'p_machine', value: 0.8125, scored_at: '2026-12-05T16:00:00Z' },
    { study_id: 'moved', stimulus_id: stim.stimulus_id, detector: 'gltr', model_hash: 'sha256:cd34', metric: 'top10', value: 1 / 3, scored_at: '2026-12-05T16:00:01Z' },
  ]);
  await pilot.setStudyState('moved', 'paused', Date.now());
  await pilot.purgeParticipants('moved', ['pilot'], Date.now());
  // A researcher account with a live session (the hashes are what is stored; they travel as they are).
  await pilot.researchers.insertAccount('pi', 'scrypt$16384$8$1$c2FsdA==$aGFzaA==', Date.now());
  await pilot.researchers.insertSession('sha256-of-a-cookie', 'pi', 'csrf-token', Date.now(), Date.now() + 3_600_000);
  await pilot.close();

  const pgUrl = await server.newDatabase();
  const back = join(tmp.dir, 'back.db');
  const there = credence('db', 'copy', '--from', live, '--to', pgUrl);
  assert.equal(there.status, 0, there.stderr);
  const hereAgain = credence('db', 'copy', '--from', pgUrl, '--to', back);
  assert.equal(hereAgain.status, 0, hereAgain.stderr);

  const digests = await tableDigests(live);
  for (const t of ['studies', 'stimuli', 'participants', 'participant_plans', 'responses', 'answers', 'events', 'detector_scores', 'study_states', 'purges', 'researcher_accounts', 'researcher_sessions']) {
    assert.ok(digests[t]?.rows > 0, `the run left rows in ${t}`);
  }
  // The counts the command printed are the rows the source holds.
  for (const [t, { rows }] of Object.entries(digests)) {
    assert.match(there.stdout, new RegExp(`^${t}\\s+${rows} rows$`, 'm'), `db copy printed ${t}'s row count`);
    assert.match(hereAgain.stdout, new RegExp(`^${t}\\s+${rows} rows$`, 'm'));
  }
  assert.deepEqual(await tableDigests(pgUrl), digests, 'PostgreSQL holds exactly the rows of the SQLite file');
  assert.deepEqual(await tableDigests(back), digests, 'the SQLite file copied back holds exactly the original rows');

  // The long export as a researcher takes it, from each of the three databases.
  const longOf = (db: string) => {
    const r = credence('export', 'moved', '--db', db, '--format', 'long', '--include', 'pilot,bot');
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  };
  const long = longOf(live);
  assert.ok(long.split('\n').length > 100, 'the long export has the run in it');
  assert.equal(longOf(pgUrl), long, 'the long export from PostgreSQL is byte-identical');
  assert.equal(longOf(back), long, 'the long export from the SQLite copy is byte-identical');
  // The other exports too (the same writers, in this process).
  const original = await exportsOf(new SqliteStore(live), 'moved');
  assert.equal(original.long, long);
  assert.deepEqual(await exportsOf(new PostgresStore(pgUrl), 'moved'), original, 'exports from PostgreSQL are byte-identical');
  assert.deepEqual(await exportsOf(new SqliteStore(back), 'moved'), original, 'exports from the SQLite copy are byte-identical');

  // A backup of the PostgreSQL database is a SQLite file with the same rows, passes --verify, and restores into a new database.
  const backup = join(tmp.dir, 'pg-backup.db');
  const taken = credence('backup', '--db', pgUrl, '--out', backup);
  assert.equal(taken.status, 0, taken.stderr);
  assert.match(taken.stdout, /integrity_check passed/);
  assert.equal(credence('backup', '--verify', backup).status, 0);
  assert.deepEqual(await tableDigests(backup), digests, 'the backup holds exactly the rows of the database');
  const restored = await server.newDatabase();
  const restore = credence('db', 'copy', '--from', backup, '--to', restored);
  assert.equal(restore.status, 0, restore.stderr);
  assert.deepEqual(await tableDigests(restored), digests, 'the restored database holds exactly the original rows');

  // Copying again into either (now non-empty) database is refused, names a table holding rows, and changes nothing.
  for (const target of [pgUrl, back]) {
    const again = credence('db', 'copy', '--from', live, '--to', target);
    assert.equal(again.status, 2, again.stdout + again.stderr);
    assert.match(again.stderr, /is not empty: table studies holds rows/);
    assert.deepEqual(await tableDigests(target), digests, 'the refused copy changed nothing');
  }

  // Told to add to a non-empty database, the copy fails on the first key the target already holds, and writes nothing.
  const adding = credence('db', 'copy', '--from', live, '--to', pgUrl, '--allow-non-empty');
  assert.notEqual(adding.status, 0, adding.stdout);
  assert.match(adding.stderr, /duplicate key/);
  assert.deepEqual(await tableDigests(pgUrl), digests, 'the failed copy changed nothing');

  // The identities moved past the copied ids: new rows on PostgreSQL get fresh ids.
  const c = new pg.Client({ connectionString: pgUrl });
  await c.connect();
  try {
    for (const t of ['responses', 'events', 'purges']) {
      const r = await c.query(`SELECT (SELECT max(id) FROM ${t})::bigint AS top, (SELECT last_value FROM ${t}_id_seq)::bigint AS seq`);
      assert.equal(r.rows[0].seq, r.rows[0].top, `${t}: the identity stands at the largest copied id`);
    }
  } finally {
    await c.end();
  }
  const store = new PostgresStore(pgUrl);
  try {
    const [someone] = await store.participants('moved', PARTICIPANT_KINDS);
    await store.logEvent({ participantId: someone.participant_id, type: 'after-copy', pageIndex: null, at: Date.now() });
    assert.equal((await store.events(someone.participant_id)).at(-1)?.type, 'after-copy');
  } finally {
    await store.close();
  }
});
