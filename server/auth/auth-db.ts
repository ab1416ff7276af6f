// The researcher tables (accounts, sessions) live in the study's own SQLite file,
// beside the store's tables but owned by the auth module. The Store interface has
// no raw handle (it must stay free of SQLite types), so auth opens its own
// connection to the same file: WAL lets it share the file with the store's.
import Database from 'better-sqlite3';
import type { Database as SqliteDatabase } from 'better-sqlite3';
import { prepareDbFiles } from '../store/storage-check.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS researcher_accounts (
  username TEXT PRIMARY KEY,
  password_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  password_changed_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS researcher_sessions (
  -- sha256 of the cookie value: a copy of the database does not hand out live sessions.
  id_hash TEXT PRIMARY KEY,
  username TEXT NOT NULL REFERENCES researcher_accounts(username) ON DELETE CASCADE,
  csrf_token TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS researcher_sessions_expiry ON researcher_sessions(expires_at);
`;

export type AuthDb = SqliteDatabase;

export function openAuthDb(dbPath: string): AuthDb {
  // Folder 0700 and file 0600 when this is the first to create them (e.g. `credence admin` on a fresh clone).
  prepareDbFiles(dbPath);
  const db = new Database(dbPath);
  // The store's connection may be mid-transaction; wait for it rather than fail a login.
  db.pragma('busy_timeout = 5000');
  if (dbPath !== ':memory:') db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  db.exec(SCHEMA);
  return db;
}
