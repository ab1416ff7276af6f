// Issue 15 item 1, through the real command line: `--db postgres://…` (or
// CREDENCE_DB) selects PostgreSQL for the commands that open a database. The same
// simulated study stored in a SQLite file and in a throwaway PostgreSQL exports
// the same long rows; `study pause` writes to the database it is pointed at; a
// server that cannot be reached is a clear error naming the URL without its
// password; an unknown scheme is refused, never taken for a file name.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { loadStudy } from '../../studies/load.ts';
import { simulateDataset } from '../../analysis/simulate.ts';
import { openStore } from '../../server/store/open.ts';
import { fillStore } from '../analysis/fixtures/fill-store.ts';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { freePort } from '../helpers/free-port.ts';
import { tempDir } from '../engine/helpers.ts';

const REPO = resolve(import.meta.dirname, '..', '..');
const MAIN = join(REPO, 'server', 'cli', 'main.ts');
const TSX = import.meta.resolve('tsx');
const STUDY = 'kreps-credibility';

/** Runs the CLI in a child process; `env` adds to (or, with undefined, removes from) this process's environment. */
function cli(args: string[], env: Record<string, string | undefined> = {}): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const childEnv = { ...process.env, ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete childEnv[k];
  return new Promise((done) => {
    const child = spawn(process.execPath, ['--import', TSX, MAIN, ...args], { cwd: REPO, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (status) => done({ status, stdout, stderr }));
  });
}

/** Long rows keyed by what both engines share (participant ids are random per store): sorted, participant_id left out. */
function comparable(csv: string): string[] {
  const rows = parse(csv, { columns: true }) as Record<string, string>[];
  return rows.map(({ participant_id: _id, ...rest }) => JSON.stringify(rest)).sort();
}

describe('--db and CREDENCE_DB select the engine for every command', () => {
  let pg: TestPostgres;
  let url: string;
  const tmp = tempDir('credence-db-option-');
  const sqlite = join(tmp.dir, 'study.db');

  before(async () => {
    pg = await startTestPostgres();
    url = await pg.newDatabase();
    const loaded = loadStudy(STUDY);
    const data = simulateDataset(loaded.protocol, { n: 12, effects: { gpt2_1_5b: 1 }, seed: 5 });
    for (const db of [sqlite, url]) {
      const store = await openStore({ db });
      try {
        await fillStore(store, loaded.protocol, loaded.version, data);
      } finally {
        await store.close();
      }
    }
  });
  after(async () => {
    await pg?.stop();
    tmp.cleanup();
  });

  test('export from PostgreSQL (--db URL, and CREDENCE_DB) gives the rows the SQLite file gives', async () => {
    const outs = { sqlite: join(tmp.dir, 'sqlite.csv'), pg: join(tmp.dir, 'pg.csv'), env: join(tmp.dir, 'env.csv') };
    const [a, b, c] = await Promise.all([
      cli(['export', STUDY, '--db', sqlite, '--format', 'long', '--out', outs.sqlite], { CREDENCE_DB: undefined }),
      cli(['export', STUDY, '--db', url, '--format', 'long', '--out', outs.pg], { CREDENCE_DB: undefined }),
      cli(['export', STUDY, '--format', 'long', '--out', outs.env], { CREDENCE_DB: url }),
    ]);
    for (const r of [a, b, c]) assert.equal(r.status, 0, r.stderr);
    const fromFile = comparable(readFileSync(outs.sqlite, 'utf8'));
    assert.ok(fromFile.length > 50, `rows ${fromFile.length}`);
    assert.deepEqual(comparable(readFileSync(outs.pg, 'utf8')), fromFile);
    assert.deepEqual(comparable(readFileSync(outs.env, 'utf8')), fromFile);
    // CREDENCE_DB named PostgreSQL: no SQLite file was made in its place.
    assert.ok(!existsSync(join(REPO, 'postgres:')));
  });

  test('analyze reads PostgreSQL and writes the report; study pause writes to PostgreSQL', async () => {
    const out = join(tmp.dir, 'analyzed');
    const r = await cli(['analyze', STUDY, '--db', url, '--out', out, '--no-transfer'], { CREDENCE_DB: undefined });
    assert.equal(r.status, 0, r.stderr);
    const meta = JSON.parse(readFileSync(join(out, 'metadata.json'), 'utf8')) as { files: Record<string, { rows: number }> };
    assert.ok(meta.files['long.csv'].rows > 50);

    const paused = await cli(['study', 'pause', STUDY, '--db', url], { CREDENCE_DB: undefined });
    assert.equal(paused.status, 0, paused.stderr);
    const store = await openStore({ db: url });
    try {
      assert.equal(await store.studyState(STUDY), 'paused');
    } finally {
      await store.close();
    }
    const unknown = await cli(['study', 'open', 'no-such-study', '--db', url], { CREDENCE_DB: undefined });
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /no study 'no-such-study'/);
  });

  test('a PostgreSQL that cannot be reached exits 2 naming the URL without its password; other schemes are refused', async () => {
    const port = await freePort();
    const down = `postgres://someone:s3cret-pw@127.0.0.1:${port}/credence`;
    const none = { CREDENCE_DB: undefined };
    const [r, viaEnv, mysql, noDb] = await Promise.all([
      cli(['export', STUDY, '--db', down, '--format', 'long'], none),
      cli(['study', 'pause', STUDY], { CREDENCE_DB: down }),
      cli(['export', STUDY, '--db', 'mysql://u@h/db', '--format', 'long'], none),
      cli(['export', STUDY, '--db', 'postgres://u@127.0.0.1', '--format', 'long'], none),
    ]);
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`someone:\\*\\*\\*@127\\.0\\.0\\.1:${port}/credence: cannot connect to PostgreSQL`));
    assert.doesNotMatch(r.stderr + r.stdout, /s3cret-pw/);

    assert.equal(viaEnv.status, 2);
    assert.match(viaEnv.stderr, /cannot connect to PostgreSQL/);
    assert.doesNotMatch(viaEnv.stderr, /s3cret-pw/);

    assert.equal(mysql.status, 2);
    assert.match(mysql.stderr, /mysql:\/\/ databases are not supported/);
    assert.equal(noDb.status, 2);
    assert.match(noDb.stderr, /names no database/);
  });
});
