// Researcher endpoints about studies: the list with counts, one study, its live
// monitor, its raw responses as CSV with their codebook, its results and its
// report (real participants only unless ?include=pilot,bot), and its state
// (open, paused, closed: the one thing here that writes).
import express, { type Request, type Response, type Router } from 'express';
import type { AppContext } from '../context.ts';
import { sendCodebookCsv, sendResponsesCsv } from './responses-csv.ts';
import { resultsFor } from './results.ts';
import { sendReport } from './report-route.ts';
import { monitorView, studyView } from './study-view.ts';
import { flaggedRows } from '../../store/study-data.ts';
import { DEFAULT_KINDS, STUDY_STATES, parseKinds, type ParticipantKind, type StudyState } from '../../../studies/vocabulary/participant-kinds.ts';

/** The kinds a request asks for: real, plus `?include=pilot,bot`; undefined after a 400 for a bad list. */
function kindsOf(req: Request, res: Response): ParticipantKind[] | undefined {
  const include = req.query.include;
  if (include === undefined || include === '') return [...DEFAULT_KINDS];
  try {
    return [...new Set([...DEFAULT_KINDS, ...parseKinds(String(include))])];
  } catch (err) {
    res.status(400).json({ error: `include: ${(err as Error).message}`, field: 'include' });
    return undefined;
  }
}

export function previewUrl(studyId: string): string {
  return `/s/${encodeURIComponent(studyId)}?preview=1`;
}

async function knownStudy(ctx: AppContext, req: Request, res: Response): Promise<string | undefined> {
  const id = String(req.params.id ?? '');
  if (!(await ctx.store.studyIds()).includes(id)) {
    res.status(404).json({ error: `unknown study '${id}'`, field: 'id' });
    return undefined;
  }
  return id;
}

export function studiesRoutes(ctx: AppContext): Router {
  const router = express.Router();

  router.get('/api/admin/studies', async (_req, res) => {
    const now = Date.now();
    res.json({ now, studies: (await ctx.store.studySummaries(now)).map(studyView) });
  });

  router.get('/api/admin/studies/:id', async (req, res) => {
    const id = await knownStudy(ctx, req, res);
    if (!id) return;
    const now = Date.now();
    const summary = (await ctx.store.studySummaries(now)).find((s) => s.studyId === id);
    if (!summary) return res.status(404).json({ error: `unknown study '${id}'`, field: 'id' });
    const versions = (await ctx.store.studyVersions(id)).map((v) => ({ version: v.version, file: v.file, createdAt: v.createdAt }));
    res.json({ now, study: studyView(summary), versions, previewUrl: previewUrl(id) });
  });

  router.get('/api/admin/studies/:id/monitor', async (req, res) => {
    const id = await knownStudy(ctx, req, res);
    if (!id) return;
    const now = Date.now();
    res.json(monitorView(id, await ctx.store.liveParticipants(id, now), now));
  });

  router.get('/api/admin/studies/:id/responses.csv', async (req, res, next) => {
    const id = await knownStudy(ctx, req, res);
    if (!id) return;
    const kinds = kindsOf(req, res);
    if (!kinds) return;
    try {
      // Streamed from the store as `credence export` writes them: the participants' flags first, then the rows.
      const rows = flaggedRows(ctx.store, id, kinds, (await ctx.store.studyVersion(id))?.protocol.exclusions.min_rt_ms, await ctx.store.participants(id, kinds));
      // ?raw=1: the stored text unchanged (no formula neutralisation), like the CLI's --raw.
      await sendResponsesCsv(res, id, rows, { raw: req.query.raw === '1' });
    } catch (err) {
      next(err);
    }
  });

  router.get('/api/admin/studies/:id/codebook.csv', async (req, res, next) => {
    const id = await knownStudy(ctx, req, res);
    if (!id) return;
    try {
      await sendCodebookCsv(res, id, (await ctx.store.studyVersion(id))!.protocol, { raw: req.query.raw === '1' });
    } catch (err) {
      next(err);
    }
  });

  router.get('/api/admin/studies/:id/results', async (req, res, next) => {
    const id = await knownStudy(ctx, req, res);
    if (!id) return;
    try {
      const kinds = kindsOf(req, res);
      if (!kinds) return;
      res.json(await resultsFor(ctx, id, kinds));
    } catch (err) {
      next(err);
    }
  });

  router.get('/api/admin/studies/:id/report.html', async (req, res, next) => {
    const id = await knownStudy(ctx, req, res);
    if (!id) return;
    try {
      const kinds = kindsOf(req, res);
      if (!kinds) return;
      await sendReport(ctx, res, id, kinds);
    } catch (err) {
      next(err);
    }
  });

  // Participants already in a paused or closed study finish; new arrivals are told so.
  router.post('/api/admin/studies/:id/state', express.json({ limit: '1kb' }), async (req, res) => {
    const id = await knownStudy(ctx, req, res);
    if (!id) return;
    const state = (req.body as { state?: unknown } | undefined)?.state;
    if (typeof state !== 'string' || !(STUDY_STATES as readonly string[]).includes(state)) {
      return res.status(400).json({ error: `state: expected one of ${STUDY_STATES.join(', ')}`, field: 'state' });
    }
    await ctx.store.setStudyState(id, state as StudyState, Date.now());
    res.json({ studyId: id, state });
  });

  return router;
}
