// The doors of the researcher area: every /admin page and /api/admin endpoint
// passes requireSession; every request that changes something also passes
// requireCsrf (the session's token in a header, and no foreign Origin).
import type { NextFunction, Request, Response } from 'express';
import type { ResearcherStore as AuthDb } from '../../store/store.ts';
import { isSameOrigin } from '../../auth/origin.ts';
import { cookieValue, csrfMatches, readSession, SESSION_COOKIE, type Session } from '../../auth/sessions.ts';

export const CSRF_HEADER = 'x-csrf-token';

export interface SessionLocals {
  session: Session;
  sessionId: string;
}

export function sessionOf(res: Response): SessionLocals {
  const s = res.locals as Partial<SessionLocals>;
  if (!s.session || !s.sessionId) throw new Error('researcher session missing: route mounted without requireSession');
  return { session: s.session, sessionId: s.sessionId };
}

/** The live session named by the request's cookie, if any. */
export async function sessionFromRequest(db: AuthDb, req: Request): Promise<{ id: string; session: Session } | undefined> {
  const id = cookieValue(req.headers.cookie, SESSION_COOKIE);
  const session = await readSession(db, id);
  return session && id ? { id, session } : undefined;
}

/** API requests without a session get 401 JSON; page requests are sent to the login page. */
export function requireSession(db: AuthDb, kind: 'api' | 'page') {
  return async (req: Request, res: Response, next: NextFunction) => {
    const found = await sessionFromRequest(db, req);
    if (!found) {
      res.setHeader('Cache-Control', 'no-store');
      if (kind === 'api') {
        res.status(401).json({ error: 'researcher login required', login: '/admin/login' });
      } else {
        const nextPath = req.originalUrl.startsWith('/admin') ? req.originalUrl : '/admin';
        res.redirect(302, `/admin/login?next=${encodeURIComponent(nextPath)}`);
      }
      return;
    }
    res.locals.session = found.session;
    res.locals.sessionId = found.id;
    next();
  };
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Refuses (403) a state-changing request without the session's CSRF token or from another origin. */
export function requireCsrf(req: Request, res: Response, next: NextFunction): void {
  if (SAFE_METHODS.has(req.method)) return next();
  const { session } = sessionOf(res);
  if (!isSameOrigin(req.headers)) {
    res.status(403).json({ error: 'cross-origin request refused', field: 'Origin' });
    return;
  }
  if (!csrfMatches(session, req.headers[CSRF_HEADER])) {
    res.status(403).json({ error: `missing or wrong CSRF token (send the session's token in the ${CSRF_HEADER} header)`, field: CSRF_HEADER });
    return;
  }
  next();
}

/** Headers for every researcher response: no caching, no framing, no sniffing. */
export function adminHeaders(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'same-origin');
  next();
}
