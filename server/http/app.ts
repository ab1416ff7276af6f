// The express application: security headers and request ids on every route,
// participant routes, the researcher area and the detector demo route, all on
// one AppContext, and one error handler last.
import express, { type Express } from 'express';
import type { AppContext } from './context.ts';
import { mountParticipantRoutes } from './participant-routes.ts';
import { mountAdmin } from './admin/index.ts';
import { mountDetect } from './detect-route.ts';
import { detectGuard, detectOff } from './detect-guard.ts';
import { securityHeaders } from './security-headers.ts';
import { errorHandler, notFound, requestId } from './errors.ts';
import { trustFunction } from './client-address.ts';

export function createApp(ctx: AppContext, opts: { clientDir: string; log?: (line: string) => void }): Express {
  const app = express();
  app.disable('x-powered-by');
  // req.ip and req.secure read X-Forwarded-* only from the proxies --trust-proxy names.
  app.set('trust proxy', trustFunction(ctx.trustProxy ?? false));
  app.use(requestId);
  app.use(securityHeaders());
  // Every browser asks for it on every page: no icon, and no 404 in the logs and the console.
  app.get('/favicon.ico', (_req, res) => {
    res.status(204).end();
  });
  mountParticipantRoutes(app, ctx, opts.clientDir);
  mountAdmin(app, ctx);
  if (ctx.detect) {
    app.use('/api/detect', detectGuard({ isResearcher: async (req) => (await ctx.isResearcher?.(req)) === true }));
    mountDetect(app, ctx);
  } else {
    app.all('/api/detect', detectOff);
  }
  app.use(notFound);
  app.use(errorHandler(opts.log ?? ((line) => process.stderr.write(line + '\n'))));
  return app;
}
