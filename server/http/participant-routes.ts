// The participant's HTTP side: `/s/<study>` serves the app's HTML shell and
// `/static/*` its bundle. Everything else a participant does goes over the
// socket. A link to a full study gets a plain "study full" page (unless the
// visitor already has a record there, which always resumes).
import express, { type Express, type Response } from 'express';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import escapeHtml from 'escape-html';
import type { AppContext } from './context.ts';

function plainPage(res: Response, status: number, title: string, message: string): void {
  res
    .status(status)
    .type('html')
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
        `<title>${escapeHtml(title)}</title></head><body style="font:17px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem">` +
        `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p></body></html>`,
    );
}

export function mountParticipantRoutes(app: Express, ctx: AppContext, clientDir: string): void {
  const htmlFile = join(clientDir, 'participant.html');
  app.use('/static', express.static(join(clientDir, 'dist'), { fallthrough: false, index: false }));

  app.get('/s/:study', async (req, res) => {
    const study = String(req.params.study);
    if (!ctx.engine.isServed(study)) return plainPage(res, 404, 'Study not found', `There is no open study '${study}'. Please check the link.`);
    const pid = typeof req.query.PROLIFIC_PID === 'string' ? req.query.PROLIFIC_PID : undefined;
    const returning = pid ? (await ctx.store.participantByPid(study, pid)) !== undefined : false;
    if (!returning && (await ctx.engine.isFull(study))) {
      return plainPage(res, 200, 'This study is full', 'Every place in this study has been taken. Thank you for your interest; please return the study on Prolific.');
    }
    if (!existsSync(htmlFile)) return plainPage(res, 503, 'Not ready', 'The participant app is not built on this server.');
    res.type('html').set('Cache-Control', 'no-store').send(readFileSync(htmlFile, 'utf8'));
  });

  // For load balancers and uptime checks: says the process answers, nothing more (details: /api/admin/health, behind the login).
  app.get('/healthz', (_req, res) => {
    res.type('text/plain').set('Cache-Control', 'no-store').send('ok');
  });
}
