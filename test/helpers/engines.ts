// The two store engines as the suites that run on both name them: each a named
// suite, a SQLite file in the test's folder or a new database on one throwaway
// PostgreSQL per test file (started on first use, stopped when the file's tests end).
import { after } from 'node:test';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { isPostgresUrl } from '../../server/store/open.ts';
import { startTestPostgres, type TestPostgres } from './postgres.ts';

export interface TestEngine {
  name: 'sqlite' | 'postgres';
  /** A new, empty database: `dir/name` on SQLite, a fresh database on the throwaway server on PostgreSQL. */
  newDb(dir: string, name?: string): Promise<string>;
}

let server: Promise<TestPostgres> | undefined;
// Registered when the test file loads (a hook made inside a test would end with that test).
after(async () => {
  if (server) await (await server).stop();
});

function postgres(): Promise<TestPostgres> {
  server ??= startTestPostgres();
  return server;
}

export const TEST_ENGINES: readonly TestEngine[] = [
  { name: 'sqlite', newDb: async (dir, name = 'test.db') => join(dir, name) },
  { name: 'postgres', newDb: async () => (await postgres()).newDatabase() },
];

/** Runs one SQL statement on either engine's database from another connection (outside the store); its rows. */
export async function rawSql(db: string, sql: string): Promise<unknown[]> {
  if (isPostgresUrl(db)) {
    const c = new pg.Client({ connectionString: db });
    await c.connect();
    try {
      return (await c.query(sql)).rows;
    } finally {
      await c.end();
    }
  }
  const d = new Database(db);
  try {
    const st = d.prepare(sql);
    return st.reader ? st.all() : (st.run(), []);
  } finally {
    d.close();
  }
}
