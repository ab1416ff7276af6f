// Logging in and out. Two doors to the same check: a no-JavaScript form
// (POST /admin/login, answers with a redirect or the page again) and JSON
// (POST /api/admin/login, answers with the CSRF token), both rate limited.
import express, { type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import { checkPassword, listAccounts } from '../../auth/accounts.ts';
import type { AuthState } from '../../auth/auth-context.ts';
import { isSameOrigin } from '../../auth/origin.ts';
import { createSession, deleteSession, SESSION_COOKIE, SESSION_MAX_MS, type Session } from '../../auth/sessions.ts';
import { requireCsrf, requireSession, sessionFromRequest, sessionOf } from './guard.ts';
import { safeNextPath } from './html.ts';
import { LOGIN_PAGE_CSP, loginPage } from './login-page.ts';
import { firstIssue } from '../../../studies/issues.ts';

const LoginBody = z
  .object({
    username: z.string().min(1, 'username: required').max(64, 'username: at most 64 characters'),
    password: z.string().min(1, 'password: required').max(1024, 'password: at most 1024 characters'),
    next: z.string().max(2000).optional(),
  })
  .strip();

const NO_ACCOUNT_YET =
  'No researcher account exists yet. `credence serve` creates one on start and prints its password; or run `credence admin add NAME`.';

type LoginOutcome =
  | { ok: true; id: string; session: Session }
  | { ok: false; status: 400 | 401 | 403 | 429; error: string; field?: string; retryAfterS?: number };

function isHttps(req: Request): boolean {
  const proto = req.headers['x-forwarded-proto'];
  return req.secure || (typeof proto === 'string' && proto.split(',')[0].trim() === 'https');
}

export function setSessionCookie(req: Request, res: Response, id: string): void {
  res.cookie(SESSION_COOKIE, id, {
    httpOnly: true,
    sameSite: 'strict',
    secure: isHttps(req),
    // Path=/ so that the participant page's socket.io handshake carries it for preview.
    path: '/',
    // The server decides when the session ends (idle or absolute limit); the browser keeps the cookie that long at most.
    maxAge: SESSION_MAX_MS,
  });
}

function clearSessionCookie(req: Request, res: Response): void {
  res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'strict', secure: isHttps(req), path: '/' });
}

async function attemptLogin(auth: AuthState, req: Request, body: unknown): Promise<LoginOutcome> {
  if (!isSameOrigin(req.headers)) return { ok: false, status: 403, error: 'cross-origin login refused', field: 'Origin' };
  const parsed = LoginBody.safeParse(body ?? {});
  if (!parsed.success) {
    const m = firstIssue(parsed.error);
    // The schema's messages name their field already.
    return { ok: false, status: 400, error: m.message, field: m.field ?? '' };
  }
  const { username, password } = parsed.data;
  // req.ip honours --trust-proxy: behind a proxy it is the client's address, not the proxy's.
  const address = req.ip ?? req.socket.remoteAddress ?? '?';
  // Counted before the (slow) hash, so concurrent guesses cannot all be evaluated.
  const reservation = await auth.limits.reserve(username, address);
  if (!reservation.ok) {
    return { ok: false, status: 429, error: 'too many failed logins; try again later', retryAfterS: Math.ceil(reservation.retryAfterMs / 1000) };
  }
  const right = await checkPassword(auth.db, username, password);
  await reservation.settle(right);
  if (!right) return { ok: false, status: 401, error: 'wrong username or password' };
  // A fresh id on every login: a cookie planted before login never becomes a session.
  const previous = await sessionFromRequest(auth.db, req);
  if (previous) await deleteSession(auth.db, previous.id);
  const { id, session } = await createSession(auth.db, username);
  return { ok: true, id, session };
}

export function loginRoutes(auth: AuthState): Router {
  const router = express.Router();
  const form = express.urlencoded({ extended: false, limit: '8kb' });
  const json = express.json({ limit: '8kb' });

  router.get('/admin/login', async (req, res) => {
    if (await sessionFromRequest(auth.db, req)) return res.redirect(303, safeNextPath(req.query.next));
    res.setHeader('Content-Security-Policy', LOGIN_PAGE_CSP);
    const error = (await listAccounts(auth.db)).length === 0 ? NO_ACCOUNT_YET : undefined;
    res.type('html').send(loginPage({ next: safeNextPath(req.query.next), error }));
  });

  router.post('/admin/login', form, async (req, res) => {
    const outcome = await attemptLogin(auth, req, req.body);
    const next = safeNextPath((req.body as { next?: unknown } | undefined)?.next);
    if (outcome.ok) {
      setSessionCookie(req, res, outcome.id);
      return res.redirect(303, next);
    }
    if (outcome.retryAfterS) res.setHeader('Retry-After', String(outcome.retryAfterS));
    res.setHeader('Content-Security-Policy', LOGIN_PAGE_CSP);
    const username = typeof (req.body as { username?: unknown })?.username === 'string' ? (req.body as { username: string }).username : '';
    res.status(outcome.status).type('html').send(loginPage({ next, username: username.slice(0, 64), error: outcome.error }));
  });

  router.post('/api/admin/login', json, async (req, res) => {
    const outcome = await attemptLogin(auth, req, req.body);
    if (!outcome.ok) {
      if (outcome.retryAfterS) res.setHeader('Retry-After', String(outcome.retryAfterS));
      return res.status(outcome.status).json({ error: outcome.error, ...(outcome.field ? { field: outcome.field } : {}) });
    }
    setSessionCookie(req, res, outcome.id);
    res.json({ username: outcome.session.username, csrfToken: outcome.session.csrfToken, expiresAt: outcome.session.expiresAt });
  });

  router.get('/api/admin/session', requireSession(auth.db, 'api'), (_req, res) => {
    const { session } = sessionOf(res);
    res.json({ username: session.username, csrfToken: session.csrfToken, expiresAt: session.expiresAt });
  });

  router.post('/api/admin/logout', requireSession(auth.db, 'api'), requireCsrf, async (req, res) => {
    await deleteSession(auth.db, sessionOf(res).sessionId);
    clearSessionCookie(req, res);
    res.status(204).end();
  });

  return router;
}
