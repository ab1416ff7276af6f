// Researcher accounts: who may log in to /admin, with scrypt-hashed passwords.
import { z } from 'zod';
import type { AuthDb } from './auth-db.ts';
import { decoyPasswordHash, hashPassword, verifyPassword } from './passwords.ts';

export const UsernameSchema = z
  .string()
  .min(1, 'username: must not be empty')
  .max(64, 'username: at most 64 characters')
  .regex(/^[a-z0-9][a-z0-9._-]*$/i, 'username: letters, digits, ".", "_" and "-" only');
export const NewPasswordSchema = z
  .string()
  .min(10, 'password: at least 10 characters')
  .max(1024, 'password: at most 1024 characters');

export interface Account {
  username: string;
  createdAt: number;
  passwordChangedAt: number;
}

export function hasAccount(db: AuthDb, username: string): boolean {
  return db.prepare('SELECT 1 FROM researcher_accounts WHERE username = ?').get(username) !== undefined;
}

export function listAccounts(db: AuthDb): Account[] {
  const rows = db
    .prepare('SELECT username, created_at, password_changed_at FROM researcher_accounts ORDER BY username')
    .all() as { username: string; created_at: number; password_changed_at: number }[];
  return rows.map((r) => ({ username: r.username, createdAt: r.created_at, passwordChangedAt: r.password_changed_at }));
}

/** Creates an account; false (and nothing written) when the username is taken. */
export async function createAccount(db: AuthDb, username: string, password: string, now = Date.now()): Promise<boolean> {
  UsernameSchema.parse(username);
  const hash = await hashPassword(password);
  const r = db
    .prepare(
      'INSERT INTO researcher_accounts (username, password_hash, created_at, password_changed_at) VALUES (?, ?, ?, ?) ON CONFLICT(username) DO NOTHING',
    )
    .run(username, hash, now, now);
  return r.changes === 1;
}

export async function setPassword(db: AuthDb, username: string, password: string, now = Date.now()): Promise<boolean> {
  const hash = await hashPassword(password);
  const r = db
    .prepare('UPDATE researcher_accounts SET password_hash = ?, password_changed_at = ? WHERE username = ?')
    .run(hash, now, username);
  return r.changes === 1;
}

/**
 * Checks a username/password pair. An unknown username costs the same scrypt
 * time as a known one, so response time does not reveal which accounts exist.
 */
export async function checkPassword(db: AuthDb, username: string, password: string): Promise<boolean> {
  const row = db.prepare('SELECT password_hash FROM researcher_accounts WHERE username = ?').get(username) as
    | { password_hash: string }
    | undefined;
  if (!row) {
    await verifyPassword(password, await decoyPasswordHash());
    return false;
  }
  return verifyPassword(password, row.password_hash);
}
