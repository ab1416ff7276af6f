// One auth state per running server (AppContext): its connection to the auth
// tables and its login rate limiter. Tests start several servers in one process,
// so nothing here is a plain module global.
import type { AppContext } from '../http/context.ts';
import { openAuthDb, type AuthDb } from '../store/researcher-db.ts';
import { LoginLimits } from './rate-limit.ts';

export interface AuthState {
  db: AuthDb;
  limits: LoginLimits;
}

const states = new Map<AuthContext, AuthState>();

/** What auth needs of a server: its database (--db), and its socket.io server to close with it. */
export type AuthContext = { db: string; io?: AppContext['io'] };

/** The auth state of a server, opened on first use and closed with its HTTP server. */
export function authFor(ctx: AuthContext): AuthState {
  const key = ctx;
  let state = states.get(key);
  if (state && state.db.open) return state;
  state = { db: openAuthDb(ctx.db), limits: new LoginLimits() };
  states.set(key, state);
  const opened = state;
  const release = () => {
    if (states.get(key) === opened) states.delete(key);
    if (opened.db.open) opened.db.close();
  };
  // socket.io's attached HTTP server: closing the server closes the auth connection too.
  const http = (ctx.io as { httpServer?: { once(event: 'close', fn: () => void): unknown } } | undefined)?.httpServer;
  http?.once('close', release);
  return state;
}

/** Every live auth state (for checks that are handed only request headers). */
export function liveAuthStates(): AuthState[] {
  return [...states.values()].filter((s) => s.db.open);
}

/** Closes a server's auth connection now (for commands that use auth without serving). */
export function closeAuth(ctx: AuthContext): void {
  const state = states.get(ctx);
  if (!state) return;
  states.delete(ctx);
  if (state.db.open) state.db.close();
}
