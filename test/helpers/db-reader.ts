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

type All = <T>(sql: string, params?: unknown[]) => Promise<T[]>;

function reader(all: All, close: () => Promise<void>): DbReader {
  // COUNT(*) is a BIGINT on PostgreSQL, which node-postgres gives as a string.
  return { all, number: async (sql, params) => Number(Object.values((await all<object>(sql, params))[0] ?? {})[0]), close };
}

/** A reader of a SQLite file or a postgres:// database. */
export async function openReader(db: string): Promise<DbReader> {
  if (!isPostgresUrl(db)) {
    const d = new Database(db, { readonly: true, fileMustExist: true });
    return reader(async <T>(sql: string, params: unknown[] = []) => d.prepare(sql).all(...params) as T[], async () => void d.close());
  }
  const c = new pg.Client({ connectionString: db });
  await c.connect();
  const all = async <T>(sql: string, params: unknown[] = []) => {
    let i = 0;
    return (await c.query(sql.replace(/\?/g, () => `$${++i}`), params)).rows as T[];
  };
  return reader(all, () => c.end());
}

/** How often each answer a bot saw acknowledged is stored: every one must be exactly once. */
export async function ackedStorage(d: DbReader, results: readonly { pid: string; participantId?: string; acked: readonly string[] }[]): Promise<{ acked: number; lost: string[]; twice: string[] }> {
  const out = { acked: 0, lost: [] as string[], twice: [] as string[] };
  for (const r of results) {
    for (const id of r.acked) {
      out.acked++;
      const n = await d.number('SELECT COUNT(*) AS n FROM responses WHERE participant_id = ? AND client_id = ?', [r.participantId, id]);
      if (n === 0) out.lost.push(`${r.pid} ${id}`);
      if (n > 1) out.twice.push(`${r.pid} ${id}`);
    }
  }
  return out;
}
