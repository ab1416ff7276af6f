// What the server's processes share through PostgreSQL besides the store's own
// tables, when the store is PostgreSQL: socket.io's PostgreSQL adapter
// (LISTEN/NOTIFY, with a table for payloads too large for a notification) and
// the counts of the rate limits that must hold across processes
// (shared-limiter.ts). One small pool per process serves both; the adapter
// keeps one of its connections LISTENing for as long as the server runs.
import pg from 'pg';
import { redactUrl } from '../store/open.ts';
// Named beside the store's table list, which leaves them out of db copy and backups.
import { ADAPTER_TABLE, LIMITS_TABLE } from '../store/tables.ts';

export { ADAPTER_TABLE, LIMITS_TABLE };

const TABLES = `
  CREATE TABLE IF NOT EXISTS ${ADAPTER_TABLE} (
    id BIGSERIAL UNIQUE,
    created_at TIMESTAMPTZ DEFAULT NOW(),
    payload BYTEA
  );
  CREATE TABLE IF NOT EXISTS ${LIMITS_TABLE} (
    key VARCHAR(255) PRIMARY KEY,
    points INTEGER NOT NULL DEFAULT 0,
    expire BIGINT
  );`;

/** The listener, a publish or two at once, and the limiters' upserts. */
const POOL_SIZE = 4;

export interface PostgresLink {
  pool: pg.Pool;
  close(): Promise<void>;
}

/** Connects and creates the two tables if missing (several processes may start at once: one creates, under a lock). */
export async function openPostgresLink(url: string, log: (m: string) => void): Promise<PostgresLink> {
  const pool = new pg.Pool({ connectionString: url, max: POOL_SIZE });
  // An idle connection's error (the server restarted) must not take the process down; the adapter reconnects.
  pool.on('error', (err) => log(`PostgreSQL link: ${err.message}`));
  try {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      await client.query("SELECT pg_advisory_xact_lock(hashtext('credence:link-tables'))");
      await client.query(TABLES);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  } catch (err) {
    await pool.end().catch(() => {});
    throw new Error(`${redactUrl(url)}: cannot set up the cross-process link (${(err as Error).message})`);
  }
  let closed = false;
  return {
    pool,
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
    },
  };
}
