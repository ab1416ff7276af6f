// The express application: participant routes, the researcher area and the
// detector demo route, all on one AppContext.
import express, { type Express } from 'express';
import type { AppContext } from './context.ts';
import { mountParticipantRoutes } from './participant-routes.ts';
import { mountAdmin } from './admin/index.ts';
import { mountDetect } from './detect-route.ts';

export function createApp(ctx: AppContext, opts: { clientDir: string }): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  mountParticipantRoutes(app, ctx, opts.clientDir);
  mountAdmin(app, ctx);
  mountDetect(app, ctx);
  return app;
}
