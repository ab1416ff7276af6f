// Reads what a server wrote, on either engine, from outside the server (another
// connection): the multi-process tests and the participants benchmark check the
// database the processes share.
// Queries are written once in the SQL both engines speak, with `?` placeholders.
import Database from 'better-sqlite3';
import pg from 'pg';
import { isPostgresUrl } from '../../server/store/postgres.ts';

export interface DbReader {
  all<T>(sql: string, params?: unknown[]): Promise<T[]>;
  /** The single number a `SELECT COUNT(*) AS n …` (or any one-column query) returns. */
  number(sql: string, params?: unknown[]): Promise<number>;
  close(): Promise<void>;
}

/** A reader of a SQLite file or a postgres:// database. */
export async function openReader(db: string): Promise<DbReader> {
  if (!isPostgresUrl(db)) {
    const d = new Database(db, { readonly: true, fileMustExist: true });
    const all = async <T>(sql: string, params: unknown[] = []) => d.prepare(sql).all(...params) as T[];
    return { all, number: async (sql, params) => Number(Object.values((await all<object>(sql, params))[0] ?? {})[0]), close: async () => {
      d.close();
    },
  };
  }
  const c = new pg.Client({ connectionString: db });
  await c.connect();
  const all = async <T>(sql: string, params: unknown[] = []) => {
    let i = 0;
    return (await c.query(sql.replace(/\?/g, () => `$${++i}`), params)).rows as T[];
  };
  // COUNT(*) is a BIGINT, which node-postgres gives as a string.
  return { all, number: async (sql, params) => Number(Object.values((await all<object>(sql, params))[0] ?? {})[0]), close: () => c.end() };
}
