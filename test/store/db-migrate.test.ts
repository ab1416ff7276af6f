// `credence db migrate` on both engines: prints the schema version before and
// after, a second run changes nothing, rows already stored stay, and a database
// newer than the program is refused untouched. `db copy` refuses a side at
// another schema version and says to run `db migrate`.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import pg from 'pg';
import { MIGRATIONS } from '../../server/store/schema.ts';
import { PG_MIGRATIONS } from '../../server/store/postgres-schema.ts';
import { tempDir } from '../engine/helpers.ts';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { credence } from '../helpers/db-tables.ts';
import { openTableSource } from '../../server/store/copy.ts';
import { migrateDatabase } from '../../server/store/migrate.ts';
import { TABLES } from '../../server/store/tables.ts';

let server: TestPostgres;
const tmp = tempDir('credence-db-migrate-');
before(async () => {
  server = await startTestPostgres();
});
after(async () => {
  await server?.stop();
  tmp.cleanup();
});

/** A SQLite database as an older program left it: the first `version` migrations, and one study stored. */
function olderSqlite(file: string, version: number): void {
  const db = new Database(file);
  for (let v = 0; v < version; v++) db.exec(MIGRATIONS[v]);
  db.pragma(`user_version = ${version}`);
  db.prepare("INSERT INTO studies (id, version, protocol_json, file, created_at) VALUES ('old', 'v1', '{}', NULL, 1)").run();
  db.close();
}

test('db migrate brings an older SQLite file to the current schema, once, keeping its rows', () => {
  const file = join(tmp.dir, 'old.db');
  olderSqlite(file, MIGRATIONS.length - 1);
  const copy = credence('db', 'copy', '--from', file, '--to', join(tmp.dir, 'never.db'));
  assert.equal(copy.status, 2, copy.stderr);
  assert.match(copy.stderr, new RegExp(`schema version ${MIGRATIONS.length - 1}, this program's is ${MIGRATIONS.length}; run: credence db migrate --db `));

  const first = credence('db', 'migrate', '--db', file);
  assert.equal(first.status, 0, first.stderr);
  assert.equal(first.stdout, `${file}: schema version ${MIGRATIONS.length - 1} -> ${MIGRATIONS.length}\n`);
  const second = credence('db', 'migrate', '--db', file);
  assert.equal(second.status, 0, second.stderr);
  assert.equal(second.stdout, `${file}: schema version ${MIGRATIONS.length}, already current\n`);
  const db = new Database(file, { readonly: true });
  assert.equal(db.pragma('user_version', { simple: true }), MIGRATIONS.length);
  assert.deepEqual(db.prepare('SELECT id, version FROM studies').all(), [{ id: 'old', version: 'v1' }]);
  db.close();
});

test('db migrate refuses a SQLite file newer than the program and leaves it as it was', () => {
  const file = join(tmp.dir, 'newer.db');
  olderSqlite(file, MIGRATIONS.length);
  const db = new Database(file);
  db.pragma('user_version = 99');
  db.close();
  const r = credence('db', 'migrate', '--db', file);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, new RegExp(`schema version 99 is newer than this program \\(${MIGRATIONS.length}\\)`));
  const after = new Database(file, { readonly: true });
  assert.equal(after.pragma('user_version', { simple: true }), 99);
  after.close();
});

test('db migrate on PostgreSQL: a new database gets the schema, a second run changes nothing, a newer one is refused', async () => {
  const url = await server.newDatabase();
  const first = credence('db', 'migrate', '--db', url);
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stdout, new RegExp(`schema version 0 -> ${PG_MIGRATIONS.length}\\n$`));
  const second = credence('db', 'migrate', '--db', url);
  assert.equal(second.status, 0, second.stderr);
  assert.match(second.stdout, new RegExp(`schema version ${PG_MIGRATIONS.length}, already current\\n$`));

  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query('UPDATE schema_version SET version = 99');
    const newer = credence('db', 'migrate', '--db', url);
    assert.notEqual(newer.status, 0);
    assert.match(newer.stderr, new RegExp(`schema version 99 is newer than this program \\(${PG_MIGRATIONS.length}\\)`));
    assert.equal((await c.query('SELECT version FROM schema_version')).rows[0].version, 99);
    // A target made by an older program is the researcher's to migrate; the copy names the command.
    await c.query(`UPDATE schema_version SET version = ${PG_MIGRATIONS.length - 1}`);
    const file = join(tmp.dir, 'current.db');
    assert.equal(credence('db', 'migrate', '--db', file).status, 0);
    const copy = credence('db', 'copy', '--from', file, '--to', url);
    assert.equal(copy.status, 2, copy.stderr);
    assert.match(copy.stderr, /run: credence db migrate --db postgres:\/\//);
  } finally {
    await c.end();
  }
});

test('the one table list of db copy names every table both engines make, and they make the same tables and columns', async () => {
  const columnsOf = async (db: string) => {
    await migrateDatabase(db);
    const source = await openTableSource(db);
    try {
      return Object.fromEntries([...(await source.tables())].map(([t, cols]) => [t, [...cols].sort()]));
    } finally {
      await source.close();
    }
  };
  const sqlite = await columnsOf(join(tmp.dir, 'fresh.db'));
  const postgres = await columnsOf(await server.newDatabase());
  assert.deepEqual(postgres, sqlite, 'the engines hold the same tables with the same columns');
  assert.deepEqual(Object.keys(sqlite).sort(), TABLES.map((t) => t.name).sort(), 'TABLES (server/store/tables.ts) lists exactly the tables the migrations make');
});

test('db copy refuses a missing source, the same database twice and a URL it cannot use, creating nothing', () => {
  const target = join(tmp.dir, 'not-made.db');
  const cases: [string[], RegExp][] = [
    [['--from', join(tmp.dir, 'missing.db'), '--to', target], /missing\.db: no such database/],
    [['--from', join(tmp.dir, 'current.db'), '--to', join(tmp.dir, '.', 'current.db')], /--from and --to name the same database/],
    [['--from', 'mysql://host/db', '--to', target], /--from: mysql:\/\/ databases are not supported/],
    [['--from', join(tmp.dir, 'current.db'), '--to', 'postgres://someone@127.0.0.1'], /--to: postgres:\/\/someone@127\.0\.0\.1\/? names no database/],
  ];
  if (!existsSync(join(tmp.dir, 'current.db'))) assert.equal(credence('db', 'migrate', '--db', join(tmp.dir, 'current.db')).status, 0);
  for (const [args, message] of cases) {
    const r = credence('db', 'copy', ...args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
  }
  assert.equal(existsSync(target), false, 'no target file was left behind');
});
