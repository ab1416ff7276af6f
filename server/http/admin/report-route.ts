// GET /api/admin/studies/:id/report.html — the analysis report as `credence
// analyze` writes it (self-contained HTML, inline SVG, no scripts), without the
// TF-IDF transfer matrix. Sent as a download under a sandboxing CSP, so that
// even opened in place nothing in it can run with the researcher's session.
import type { Response } from 'express';
import type { AppContext } from '../context.ts';
import { SOFTWARE } from '../../cli/version.ts';
import { studyData } from '../../store/study-data.ts';
import type { ParticipantKind } from '../../../studies/vocabulary/participant-kinds.ts';

export const REPORT_CSP = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:";

export async function sendReport(ctx: AppContext, res: Response, studyId: string, kinds?: readonly ParticipantKind[]): Promise<void> {
  const data = await studyData(ctx.store, studyId, kinds);
  if (!data) {
    res.status(404).json({ error: `no stored version of study '${studyId}'`, field: 'id' });
    return;
  }
  const { buildReport } = await import('../../../analysis/report.ts');
  const report = await buildReport({ ...data, software: SOFTWARE });
  res.setHeader('Content-Security-Policy', REPORT_CSP);
  res.setHeader('Content-Disposition', `attachment; filename="${studyId.replace(/[^a-z0-9_-]+/gi, '_')}-report.html"`);
  res.type('html').send(report.html);
}
