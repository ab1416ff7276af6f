// Researcher accounts: who may log in to /admin, with scrypt-hashed passwords.
import { z } from 'zod';
import type { ResearcherStore as AuthDb } from '../store/store.ts';
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

export function hasAccount(db: AuthDb, username: string): Promise<boolean> {
  return db.hasAccount(username);
}

export async function listAccounts(db: AuthDb): Promise<Account[]> {
  return (await db.accounts()).map((r) => ({ username: r.username, createdAt: r.created_at, passwordChangedAt: r.password_changed_at }));
}

/** Creates an account; false (and nothing written) when the username is taken. */
export async function createAccount(db: AuthDb, username: string, password: string, now = Date.now()): Promise<boolean> {
  UsernameSchema.parse(username);
  return db.insertAccount(username, await hashPassword(password), now);
}

export async function setPassword(db: AuthDb, username: string, password: string, now = Date.now()): Promise<boolean> {
  return db.updatePasswordHash(username, await hashPassword(password), now);
}

/**
 * Checks a username/password pair. An unknown username costs the same scrypt
 * time as a known one, so response time does not reveal which accounts exist.
 */
export async function checkPassword(db: AuthDb, username: string, password: string): Promise<boolean> {
  const hash = await db.passwordHash(username);
  if (hash === undefined) {
    await verifyPassword(password, await decoyPasswordHash());
    return false;
  }
  return verifyPassword(password, hash);
}
