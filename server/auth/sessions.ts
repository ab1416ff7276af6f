// Researcher sessions: a random id in an HttpOnly cookie, its sha256 and a CSRF
// token kept server-side with an idle and an absolute expiry.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ResearcherStore as AuthDb } from '../store/store.ts';

export const SESSION_COOKIE = 'credence_admin';
/** Idle time after which a session ends. */
export const SESSION_IDLE_MS = 4 * 60 * 60 * 1000;
/** No session lives longer than this, however active. */
export const SESSION_MAX_MS = 24 * 60 * 60 * 1000;
/** last_seen is written at most this often, so a 2-second live monitor does not write every poll. */
const TOUCH_EVERY_MS = 60 * 1000;

export interface Session {
  username: string;
  csrfToken: string;
  createdAt: number;
  expiresAt: number;
}

function hashId(id: string): string {
  return createHash('sha256').update(id).digest('hex');
}

export async function createSession(db: AuthDb, username: string, now = Date.now()): Promise<{ id: string; session: Session }> {
  const id = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(32).toString('base64url');
  const expiresAt = Math.min(now + SESSION_IDLE_MS, now + SESSION_MAX_MS);
  await db.insertSession(hashId(id), username, csrfToken, now, expiresAt);
  return { id, session: { username, csrfToken, createdAt: now, expiresAt } };
}

/** The live session for a cookie value, sliding its idle expiry; undefined when unknown or expired. */
export async function readSession(db: AuthDb, id: string | undefined, now = Date.now()): Promise<Session | undefined> {
  if (!id || id.length > 200) return undefined;
  const key = hashId(id);
  const row = await db.session(key);
  if (!row) return undefined;
  if (row.expires_at <= now) {
    await db.deleteSession(key);
    return undefined;
  }
  let expiresAt = row.expires_at;
  if (now - row.last_seen_at >= TOUCH_EVERY_MS) {
    expiresAt = Math.min(now + SESSION_IDLE_MS, row.created_at + SESSION_MAX_MS);
    await db.touchSession(key, now, expiresAt);
  }
  return { username: row.username, csrfToken: row.csrf_token, createdAt: row.created_at, expiresAt };
}

export function deleteSession(db: AuthDb, id: string): Promise<void> {
  return db.deleteSession(hashId(id));
}

/** Ends every session of a user except `keepId` (after a password change). */
export function deleteOtherSessions(db: AuthDb, username: string, keepId: string): Promise<void> {
  return db.deleteOtherSessions(username, hashId(keepId));
}

export function csrfMatches(session: Session, token: unknown): boolean {
  if (typeof token !== 'string' || token.length === 0) return false;
  const a = Buffer.from(token);
  const b = Buffer.from(session.csrfToken);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The value of one cookie in a Cookie header, or undefined. */
export function cookieValue(header: string | string[] | undefined, name: string): string | undefined {
  const text = Array.isArray(header) ? header.join('; ') : header;
  if (!text) return undefined;
  for (const part of text.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    let v = part.slice(eq + 1).trim();
    if (v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
    try {
      return decodeURIComponent(v);
    } catch {
      return undefined;
    }
  }
  return undefined;
}
