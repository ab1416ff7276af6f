// The researcher tables' SQL, written once for both engines: each store hands
// in how it runs a statement (SQLite on its one connection between group
// commits, PostgreSQL on its pool). Placeholders are $1, $2 …; for SQLite they
// become plain ? with the values in the order they appear.
import type { AccountRow, ResearcherStore, SessionRow } from './store.ts';

/** How an engine runs one statement: the rows it returns, or the rows it changed. */
export interface SqlRunner {
  all<T>(sql: string, params: unknown[]): Promise<T[]>;
  run(sql: string, params: unknown[]): Promise<number>;
}

/** `$1 … $2 … $1` → `? … ? … ?` and the values in that order, so one SQL text serves both engines. */
export function sqliteParams(sql: string, params: unknown[]): { text: string; values: unknown[] } {
  const values: unknown[] = [];
  const text = sql.replace(/\$(\d+)/g, (_m, n: string) => {
    values.push(params[Number(n) - 1]);
    return '?';
  });
  return { text, values };
}

export class ResearcherTables implements ResearcherStore {
  constructor(private readonly sql: SqlRunner) {}

  private async one<T>(text: string, params: unknown[]): Promise<T | undefined> {
    return (await this.sql.all<T>(text, params))[0];
  }

  async hasAccount(username: string): Promise<boolean> {
    return (await this.one('SELECT 1 AS x FROM researcher_accounts WHERE username = $1', [username])) !== undefined;
  }

  accounts(): Promise<AccountRow[]> {
    return this.sql.all<AccountRow>('SELECT username, created_at, password_changed_at FROM researcher_accounts ORDER BY username', []);
  }

  async insertAccount(username: string, passwordHash: string, now: number): Promise<boolean> {
    const n = await this.sql.run(
      'INSERT INTO researcher_accounts (username, password_hash, created_at, password_changed_at) VALUES ($1, $2, $3, $3) ON CONFLICT (username) DO NOTHING',
      [username, passwordHash, now],
    );
    return n === 1;
  }

  async updatePasswordHash(username: string, passwordHash: string, now: number): Promise<boolean> {
    return (await this.sql.run('UPDATE researcher_accounts SET password_hash = $1, password_changed_at = $2 WHERE username = $3', [passwordHash, now, username])) === 1;
  }

  async passwordHash(username: string): Promise<string | undefined> {
    return (await this.one<{ password_hash: string }>('SELECT password_hash FROM researcher_accounts WHERE username = $1', [username]))?.password_hash;
  }

  async insertSession(idHash: string, username: string, csrfToken: string, now: number, expiresAt: number): Promise<void> {
    await this.sql.run(
      'INSERT INTO researcher_sessions (id_hash, username, csrf_token, created_at, last_seen_at, expires_at) VALUES ($1, $2, $3, $4, $4, $5)',
      [idHash, username, csrfToken, now, expiresAt],
    );
    await this.sql.run('DELETE FROM researcher_sessions WHERE expires_at <= $1', [now]);
  }

  session(idHash: string): Promise<SessionRow | undefined> {
    return this.one<SessionRow>('SELECT username, csrf_token, created_at, last_seen_at, expires_at FROM researcher_sessions WHERE id_hash = $1', [idHash]);
  }

  async touchSession(idHash: string, now: number, expiresAt: number): Promise<void> {
    await this.sql.run('UPDATE researcher_sessions SET last_seen_at = $1, expires_at = $2 WHERE id_hash = $3', [now, expiresAt, idHash]);
  }

  async deleteSession(idHash: string): Promise<void> {
    await this.sql.run('DELETE FROM researcher_sessions WHERE id_hash = $1', [idHash]);
  }

  async deleteSessionsOf(username: string): Promise<void> {
    await this.sql.run('DELETE FROM researcher_sessions WHERE username = $1', [username]);
  }

  async sessionCount(): Promise<number> {
    return Number((await this.one<{ c: number }>('SELECT count(*) AS c FROM researcher_sessions', []))!.c);
  }

  async deleteOtherSessions(username: string, keepIdHash: string): Promise<void> {
    await this.sql.run('DELETE FROM researcher_sessions WHERE username = $1 AND id_hash <> $2', [username, keepIdHash]);
  }
}
