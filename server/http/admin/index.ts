// The researcher area: /admin (the lit app and its login page) and /api/admin
// (JSON, CSV), plus the socket.io namespace /admin for the live monitor. Every
// route but the login itself needs a researcher session; every mutation also
// needs the session's CSRF token and a same-origin request.
import type { Express } from 'express';
import { existsSync, statSync } from 'node:fs';
import { ADMIN_BUNDLE, buildAdminClient } from '../../../client/admin/build.ts';
import { authFor } from '../../auth/auth-context.ts';
import { isResearcherRequest } from '../../auth/index.ts';
import type { AppContext } from '../context.ts';
import { accountsRoutes } from './accounts-routes.ts';
import { APP_PAGE_CSP, appPage } from './app-page.ts';
import { adminHeaders, requireCsrf, requireSession } from './guard.ts';
import { loginRoutes } from './login-routes.ts';
import { mountMonitorSocket } from './monitor-socket.ts';
import { studiesRoutes } from './studies-routes.ts';

export function mountAdmin(app: Express, ctx: AppContext): void {
  try {
    buildAdminClient();
  } catch (err) {
    // Participants must still be served; /admin answers 503 until the bundle builds.
    console.error(`researcher app: could not build client/dist-admin/admin.js: ${err instanceof Error ? err.message : String(err)}`);
  }
  const auth = authFor(ctx);
  ctx.isResearcher = (req) => isResearcherRequest(req.headers, ctx);

  app.use(['/admin', '/api/admin'], adminHeaders);
  app.use(loginRoutes(auth));

  // Everything below needs a session; mutations also the CSRF token.
  app.use('/api/admin', requireSession(auth.db, 'api'), requireCsrf);
  app.use(studiesRoutes(ctx));
  app.use(accountsRoutes(auth));
  // What /healthz used to tell anyone: the served studies and submit latency, now for researchers only.
  app.get('/api/admin/health', (_req, res) => {
    res.json({ ok: true, studies: ctx.engine.servedStudies(), submits: ctx.engine.stats() });
  });
  app.all('/api/admin/{*rest}', (req, res) => {
    res.status(404).json({ error: `no such researcher endpoint: ${req.method} ${req.path}` });
  });

  const page = requireSession(auth.db, 'page');
  app.get(['/admin/assets/admin.js', '/admin/assets/admin.js.map'], page, (req, res) => {
    const file = req.path.endsWith('.map') ? `${ADMIN_BUNDLE}.map` : ADMIN_BUNDLE;
    if (!existsSync(file)) return res.status(503).type('text').send('the researcher app is not built (see the server log)');
    res.type(file.endsWith('.map') ? 'json' : 'js').sendFile(file);
  });
  app.get(['/admin', '/admin/{*rest}'], page, (_req, res) => {
    const version = existsSync(ADMIN_BUNDLE) ? String(Math.floor(statSync(ADMIN_BUNDLE).mtimeMs)) : '0';
    res.setHeader('Content-Security-Policy', APP_PAGE_CSP);
    res.type('html').send(appPage(version));
  });
  app.all(['/admin', '/admin/{*rest}'], page, (_req, res) => {
    res.status(405).json({ error: 'method not allowed' });
  });

  // Errors inside the researcher area reach the app's one error handler (errors.ts), which answers /api/ in JSON.
  mountMonitorSocket(ctx, auth.db);
}

// Re-exported so the serve/start commands import everything researcher-related from one place.
export { ensureAdminAccount, isResearcherRequest } from '../../auth/index.ts';
