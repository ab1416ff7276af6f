// The researcher tables (accounts, sessions): the rows the auth module reads and
// writes, behind typed methods, so that nothing outside server/store knows which
// database holds them (server/auth keeps the rules: hashing, expiry, CSRF).
// They live in the study's own SQLite file beside the store's tables; the Store
// interface has no raw handle, so this opens its own connection to the same
// file, which WAL lets it share.
import Database from 'better-sqlite3';
import type { Database as SqliteDatabase } from 'better-sqlite3';
import { prepareDbFiles } from './storage-check.ts';
import { isPostgresUrl } from './postgres.ts';

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

export interface AccountRow {
  username: string;
  created_at: number;
  password_changed_at: number;
}

export interface SessionRow {
  username: string;
  csrf_token: string;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
}

export class ResearcherDb {
  private readonly db: SqliteDatabase;

  constructor(dbPath: string) {
    // Never a SQLite file named after a URL: the accounts of a PostgreSQL database live in it (behind the store).
    if (isPostgresUrl(dbPath)) throw new Error('researcher accounts on PostgreSQL are not available in this version');
    // Folder 0700 and file 0600 when this is the first to create them (e.g. `credence admin` on a fresh clone).
    prepareDbFiles(dbPath);
    this.db = new Database(dbPath);
    // The store's connection may be mid-transaction; wait for it rather than fail a login.
    this.db.pragma('busy_timeout = 5000');
    if (dbPath !== ':memory:') this.db.pragma('journal_mode = WAL');
    this.db.pragma('foreign_keys = ON');
    this.db.exec(SCHEMA);
  }

  get open(): boolean {
    return this.db.open;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  hasAccount(username: string): boolean {
    return this.db.prepare('SELECT 1 FROM researcher_accounts WHERE username = ?').get(username) !== undefined;
  }

  accounts(): AccountRow[] {
    return this.db.prepare('SELECT username, created_at, password_changed_at FROM researcher_accounts ORDER BY username').all() as AccountRow[];
  }

  /** False (nothing written) when the username is taken. */
  insertAccount(username: string, passwordHash: string, now: number): boolean {
    return this.db
      .prepare('INSERT INTO researcher_accounts (username, password_hash, created_at, password_changed_at) VALUES (?, ?, ?, ?) ON CONFLICT(username) DO NOTHING')
      .run(username, passwordHash, now, now).changes === 1;
  }

  /** False when there is no such account. */
  updatePasswordHash(username: string, passwordHash: string, now: number): boolean {
    return this.db.prepare('UPDATE researcher_accounts SET password_hash = ?, password_changed_at = ? WHERE username = ?').run(passwordHash, now, username).changes === 1;
  }

  passwordHash(username: string): string | undefined {
    return (this.db.prepare('SELECT password_hash FROM researcher_accounts WHERE username = ?').get(username) as { password_hash: string } | undefined)?.password_hash;
  }

  /** Stores a session and removes expired ones on the way, so the table stays the size of the live sessions. */
  insertSession(idHash: string, username: string, csrfToken: string, now: number, expiresAt: number): void {
    this.db.prepare('INSERT INTO researcher_sessions (id_hash, username, csrf_token, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)').run(idHash, username, csrfToken, now, now, expiresAt);
    this.db.prepare('DELETE FROM researcher_sessions WHERE expires_at <= ?').run(now);
  }

  session(idHash: string): SessionRow | undefined {
    return this.db.prepare('SELECT username, csrf_token, created_at, last_seen_at, expires_at FROM researcher_sessions WHERE id_hash = ?').get(idHash) as SessionRow | undefined;
  }

  touchSession(idHash: string, now: number, expiresAt: number): void {
    this.db.prepare('UPDATE researcher_sessions SET last_seen_at = ?, expires_at = ? WHERE id_hash = ?').run(now, expiresAt, idHash);
  }

  deleteSession(idHash: string): void {
    this.db.prepare('DELETE FROM researcher_sessions WHERE id_hash = ?').run(idHash);
  }

  /** Ends every session of `username` (after a password reset). */
  deleteSessionsOf(username: string): void {
    this.db.prepare('DELETE FROM researcher_sessions WHERE username = ?').run(username);
  }

  /** Sessions stored (expired ones included until the next login sweeps them). */
  sessionCount(): number {
    return (this.db.prepare('SELECT count(*) AS c FROM researcher_sessions').get() as { c: number }).c;
  }

  /** Ends every session of `username` except the one with `keepIdHash`. */
  deleteOtherSessions(username: string, keepIdHash: string): void {
    this.db.prepare('DELETE FROM researcher_sessions WHERE username = ? AND id_hash <> ?').run(username, keepIdHash);
  }
}

export type AuthDb = ResearcherDb;

export function openAuthDb(dbPath: string): AuthDb {
  return new ResearcherDb(dbPath);
}
