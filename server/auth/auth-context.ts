// One auth state per running server (AppContext): the researcher tables of its
// store and its login rate limiter. Tests start several servers in one process,
// so nothing here is a plain module global.
import type { AppContext } from '../http/context.ts';
import type { ResearcherStore, Store } from '../store/store.ts';
import { LoginLimits } from './rate-limit.ts';

export interface AuthState {
  db: ResearcherStore;
  limits: LoginLimits;
}

const states = new Map<AuthContext, AuthState>();

/** What auth needs of a server: its store (whose database holds the accounts), and its socket.io server to end with it. */
export type AuthContext = { store: Pick<Store, 'researchers'>; io?: AppContext['io'] };

/** The auth state of a server, made on first use and forgotten when its HTTP server closes. */
export function authFor(ctx: AuthContext): AuthState {
  const key = ctx;
  let state = states.get(key);
  if (state) return state;
  state = { db: ctx.store.researchers, limits: new LoginLimits() };
  states.set(key, state);
  const made = state;
  // socket.io's attached HTTP server: a closed server answers for nobody.
  const http = (ctx.io as { httpServer?: { once(event: 'close', fn: () => void): unknown } } | undefined)?.httpServer;
  http?.once('close', () => {
    if (states.get(key) === made) states.delete(key);
  });
  return state;
}

/** Every live auth state (for checks that are handed only request headers). */
export function liveAuthStates(): AuthState[] {
  return [...states.values()];
}

/** Forgets a server's auth state now (for commands that use auth without serving; the caller closes its store). */
export function closeAuth(ctx: AuthContext): void {
  states.delete(ctx);
}
