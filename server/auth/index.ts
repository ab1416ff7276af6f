// The researcher login, as other parts of the server see it: make sure the first
// account exists, and tell whether a request or socket handshake is a researcher's.
import type { IncomingHttpHeaders } from 'node:http';
import { createAccount, hasAccount, NewPasswordSchema } from './accounts.ts';
import { authFor, liveAuthStates, type AuthContext } from './auth-context.ts';
import { generatePassword } from './passwords.ts';
import { cookieValue, readSession, SESSION_COOKIE, type Session } from './sessions.ts';
import { firstIssue } from '../../studies/issues.ts';

export const ADMIN_USERNAME = 'admin';
export const ADMIN_PASSWORD_ENV = 'CREDENCE_ADMIN_PASSWORD';

/**
 * Creates the `admin` account on first start. Its password comes from
 * CREDENCE_ADMIN_PASSWORD, or is generated and returned once (the caller prints
 * it; it is never stored in clear or shown again). On later starts: `{username}`.
 */
export async function ensureAdminAccount(
  ctx: AuthContext,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ username: string; password?: string }> {
  const { db } = authFor(ctx);
  if (await hasAccount(db, ADMIN_USERNAME)) return { username: ADMIN_USERNAME };
  const fromEnv = env[ADMIN_PASSWORD_ENV];
  if (fromEnv !== undefined && fromEnv !== '') {
    const ok = NewPasswordSchema.safeParse(fromEnv);
    if (!ok.success) throw new Error(firstIssue(ok.error, { root: ADMIN_PASSWORD_ENV }).error);
    await createAccount(db, ADMIN_USERNAME, fromEnv);
    return { username: ADMIN_USERNAME };
  }
  const password = generatePassword();
  const created = await createAccount(db, ADMIN_USERNAME, password);
  // Another process created it between the check and the insert: its password stands.
  return created ? { username: ADMIN_USERNAME, password } : { username: ADMIN_USERNAME };
}

/** The researcher session a request's cookie names on this server, if live. */
export function researcherSession(headers: IncomingHttpHeaders, ctx: AuthContext): Promise<Session | undefined> {
  return readSession(authFor(ctx).db, cookieValue(headers.cookie, SESSION_COOKIE));
}

/**
 * Whether the request (or socket.io handshake) headers carry a live researcher
 * session. With `ctx`, only that server's sessions count; without, any server
 * running in this process (mountAdmin also sets `ctx.isResearcher`, which is
 * the form the realtime edge should prefer).
 */
export async function isResearcherRequest(headers: IncomingHttpHeaders, ctx?: AuthContext): Promise<boolean> {
  const id = cookieValue(headers.cookie, SESSION_COOKIE);
  if (!id) return false;
  if (ctx) return (await readSession(authFor(ctx).db, id)) !== undefined;
  for (const s of liveAuthStates()) if ((await readSession(s.db, id)) !== undefined) return true;
  return false;
}

export { SESSION_COOKIE } from './sessions.ts';
export { closeAuth, type AuthContext } from './auth-context.ts';
export type { Session } from './sessions.ts';
