// The one place that decides which database a store talks to. Everything
// outside server/store/ names its database with one string (`--db` or
// CREDENCE_DB: a SQLite file, or a postgres:// / postgresql:// URL), opens
// stores here and sees only the Store interface, never the engine behind it.
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Store } from './store.ts';
import { SqliteStore } from './sqlite.ts';
import { isPostgresUrl, PostgresStore, redactUrl } from './postgres.ts';
import { checkStorage, prepareDbFiles, StorageError } from './storage-check.ts';

export { isPostgresUrl, redactUrl };

/** The environment variable that names the database when `--db` is not given. */
export const DB_ENV = 'CREDENCE_DB';
/** The database when neither `--db` nor CREDENCE_DB names one. */
export const DEFAULT_DB = 'data/credence.db';

/**
 * Checks a `--db` value (or another option naming a database: `flag` names it in
 * the error): a file path, or a PostgreSQL URL that parses. Any other
 * `scheme://` is refused rather than taken for a file name. Returns the value.
 */
export function checkDbName(db: string, flag = '--db'): string {
  if (db.trim() === '') throw new StorageError(`${flag}: expected a SQLite file or a postgres://user@host/db URL, got an empty value`);
  if (isPostgresUrl(db)) {
    let u: URL;
    try {
      u = new URL(db);
    } catch {
      throw new StorageError(`${flag}: ${redactUrl(db)} is not a valid PostgreSQL URL (expected postgres://user@host[:port]/database)`);
    }
    if (u.pathname === '' || u.pathname === '/') throw new StorageError(`${flag}: ${redactUrl(db)} names no database (expected postgres://user@host[:port]/database)`);
    return db;
  }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(db);
  if (scheme) throw new StorageError(`${flag}: ${scheme[1]}:// databases are not supported (a SQLite file, or postgres://user@host/db)`);
  return db;
}

/** The database as messages may show it: the file path, or the URL without its password. */
export function describeDb(db: string): string {
  return isPostgresUrl(db) ? redactUrl(db) : db;
}

/** A file path made absolute (so a later chdir or a worker process opens the same file); a URL unchanged. */
export function resolveDb(db: string): string {
  return isPostgresUrl(db) || db === ':memory:' ? db : resolve(db);
}

/**
 * Where imported and generated files go when no data folder is given: beside a
 * SQLite file (`prepare --db x/y.db` → x/stimuli/), or `data/` for PostgreSQL.
 */
export function defaultDataDir(db: string): string {
  return isPostgresUrl(db) ? 'data' : dirname(db);
}

/** Whether the database certainly does not exist yet (a SQLite file that is missing); a server is asked when opened. */
export function databaseMissing(db: string): boolean {
  return !isPostgresUrl(db) && db !== ':memory:' && !existsSync(db);
}

/**
 * Before a server opens a SQLite file: refuses a read-only, empty or damaged one
 * (naming the file and what to do) and makes the folder 0700 and files 0600.
 * A PostgreSQL server keeps its own files: nothing to do there.
 */
export function prepareStorage(db: string, warn?: (message: string) => void): void {
  if (isPostgresUrl(db)) return;
  checkStorage(db);
  prepareDbFiles(db, warn);
}

export interface OpenStoreOptions {
  /** A SQLite file or a postgres:// URL (checkDbName). */
  db: string;
  /**
   * A long-running server: commits return before the disk sync and durable()
   * resolves after it, so syncing leaves the event loop while acks still wait
   * for the disk. One-shot commands leave it off (every commit syncs).
   * (PostgreSQL: every commit is durable when it returns either way.)
   */
  server?: boolean;
}

/**
 * Opens the store the name points at, connected and migrated. A PostgreSQL
 * database that cannot be reached or migrated is a StorageError naming the URL
 * without its password; every process opens its own connection pool.
 */
export async function openStore(opts: OpenStoreOptions): Promise<Store> {
  const db = checkDbName(opts.db);
  if (!isPostgresUrl(db)) {
    const store = new SqliteStore(db);
    if (opts.server) store.syncInBackground();
    return store;
  }
  const store = new PostgresStore(db);
  try {
    await store.ready;
  } catch (err) {
    await store.close().catch(() => {});
    const where = redactUrl(db);
    const msg = (err as Error).message;
    throw new StorageError(msg.startsWith(where) ? msg : `${where}: cannot prepare the database (${msg})`);
  }
  return store;
}

/** A store that lives in memory and vanishes with the process (researcher preview). */
export function openThrowawayStore(): Store {
  return new SqliteStore(':memory:');
}
