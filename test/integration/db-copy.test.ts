// `credence db copy` moves a study run by real bots from SQLite to PostgreSQL and
// back into a new SQLite file: every table holds the same rows on all three
// (ids, tokens' and protocols' hashes as they were), the long, wide and JSONL
// exports are byte-identical, the PostgreSQL identities continue past the copied
// ids, and a copy into a database that already holds rows is refused and changes
// nothing there.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pg from 'pg';
import { startServer } from '../../server/http/server.ts';
import { runBots } from '../../server/bots/run.ts';
import { SqliteStore } from '../../server/store/sqlite.ts';
import { PostgresStore } from '../../server/store/postgres.ts';
import type { Store } from '../../server/store/store.ts';
import { studyData } from '../../server/store/study-data.ts';
import { openTableSource } from '../../server/store/copy.ts';
import { TABLES } from '../../server/store/tables.ts';
import { writeLongCsv } from '../../analysis/export/long-csv.ts';
import { writeWideCsv } from '../../analysis/export/wide-csv.ts';
import { writeJsonl } from '../../analysis/export/jsonl.ts';
import { PARTICIPANT_KINDS } from '../../studies/vocabulary/participant-kinds.ts';
import { miniProtocol, tempDir, writeStudy } from '../engine/helpers.ts';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.ts';

let server: TestPostgres;
const tmp = tempDir('credence-db-copy-');
before(async () => {
  server = await startTestPostgres();
});
after(async () => {
  await server?.stop();
  tmp.cleanup();
});

function credence(...args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'server/cli/main.ts', ...args], { encoding: 'utf8' });
}

/** The tables holding rows (an empty table one engine has not made yet is no difference). */
const withRows = (d: Record<string, { rows: number; sha256: string }>) => Object.fromEntries(Object.entries(d).filter(([, v]) => v.rows > 0));

/** Per table: its row count and a digest of its rows, each row as name=value pairs sorted (so the engines' row orders do not matter). */
async function tableDigests(db: string): Promise<Record<string, { rows: number; sha256: string }>> {
  const source = await openTableSource(db);
  try {
    const tables = await source.tables();
    const out: Record<string, { rows: number; sha256: string }> = {};
    for (const spec of TABLES) {
      const columns = tables.get(spec.name);
      if (!columns) continue;
      const names = [...columns].sort();
      const lines: string[] = [];
      for await (const batch of source.rows(spec, names)) for (const row of batch) lines.push(JSON.stringify(row));
      lines.sort();
      out[spec.name] = { rows: lines.length, sha256: createHash('sha256').update(lines.join('\n')).digest('hex') };
    }
    return out;
  } finally {
    await source.close();
  }
}

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
  // The tables a run alone leaves empty: detector scores, a study state, a logged purge.
  const pilot = new SqliteStore(live);
  const [stim] = await pilot.stimuli('moved');
  await pilot.putDetectorScores([
    { study_id: 'moved', stimulus_id: stim.stimulus_id, detector: 'roberta', model_hash: 'sha256:ab12', metric: 'p_machine', value: 0.8125, scored_at: '2026-12-05T16:00:00Z' },
    { study_id: 'moved', stimulus_id: stim.stimulus_id, detector: 'gltr', model_hash: 'sha256:cd34', metric: 'top10', value: 1 / 3, scored_at: '2026-12-05T16:00:01Z' },
  ]);
  await pilot.setStudyState('moved', 'paused', Date.now());
  await pilot.purgeParticipants('moved', ['pilot'], Date.now());
  await pilot.close();

  const pgUrl = await server.newDatabase();
  const back = join(tmp.dir, 'back.db');
  const there = credence('db', 'copy', '--from', live, '--to', pgUrl);
  assert.equal(there.status, 0, there.stderr);
  const hereAgain = credence('db', 'copy', '--from', pgUrl, '--to', back);
  assert.equal(hereAgain.status, 0, hereAgain.stderr);

  const digests = withRows(await tableDigests(live));
  for (const t of ['studies', 'stimuli', 'participants', 'responses', 'answers', 'events', 'detector_scores', 'study_states', 'purges']) {
    assert.ok(digests[t]?.rows > 0, `the run left rows in ${t}`);
  }
  // The counts the command printed are the rows the source holds.
  for (const [t, { rows }] of Object.entries(digests)) {
    assert.match(there.stdout, new RegExp(`^${t}\\s+${rows} rows$`, 'm'), `db copy printed ${t}'s row count`);
    assert.match(hereAgain.stdout, new RegExp(`^${t}\\s+${rows} rows$`, 'm'));
  }
  assert.deepEqual(withRows(await tableDigests(pgUrl)), digests, 'PostgreSQL holds exactly the rows of the SQLite file');
  assert.deepEqual(withRows(await tableDigests(back)), digests, 'the SQLite file copied back holds exactly the original rows');

  const original = await exportsOf(new SqliteStore(live), 'moved');
  assert.ok(original.long.split('\n').length > 100, 'the long export has the run in it');
  const onPg = new PostgresStore(pgUrl);
  assert.deepEqual(await exportsOf(onPg, 'moved'), original, 'exports from PostgreSQL are byte-identical');
  assert.deepEqual(await exportsOf(new SqliteStore(back), 'moved'), original, 'exports from the SQLite copy are byte-identical');

  // Copying again into either (now non-empty) database is refused, names a table holding rows, and changes nothing.
  for (const target of [pgUrl, back]) {
    const again = credence('db', 'copy', '--from', live, '--to', target);
    assert.equal(again.status, 2, again.stdout + again.stderr);
    assert.match(again.stderr, /is not empty: table studies holds rows/);
    assert.deepEqual(withRows(await tableDigests(target)), digests, 'the refused copy changed nothing');
  }

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
