// The Results view's data: tables (plain cells) and figures (SVG text, which the
// browser shows as images, so no markup in it runs). The numbers come from the
// analysis package (analysis/analyze.ts, tables.ts, figures.ts: the same pieces
// as `credence analyze`'s report.html, without the TF-IDF transfer matrix, which
// is too slow to recompute live). If the analysis fails on a study, the view
// falls back to counts and means per condition (results-fallback.ts) and says why.
import type { AppContext } from '../context.ts';
import { analysisInput, leftOutText } from '../../store/study-data.ts';
import { DEFAULT_KINDS, PARTICIPANT_KINDS, type ParticipantKind } from '../../../studies/vocabulary/participant-kinds.ts';
import { conditionMeans, type ConditionMeans } from './results-fallback.ts';
import { studyView } from './study-view.ts';
import type { ResultsView, ResultTable } from '../../../studies/vocabulary/admin-views.ts';

export function meansTables(means: ConditionMeans[]): ResultTable[] {
  const participants: ResultTable = {
    title: 'Participants and responses per condition',
    columns: ['condition', 'participants', 'responses', 'timed out'],
    rows: means.map((m) => [m.condition, m.participants, m.responses, m.timedOut]),
  };
  const byQuestion: ResultTable = {
    title: 'Mean of each numeric answer per condition',
    note: 'Timed-out answers are left out. SD is the sample standard deviation.',
    columns: ['condition', 'question', 'type', 'n', 'mean', 'sd'],
    rows: means.flatMap((m) =>
      m.questions.map((q) => [m.condition, q.questionId, q.questionType, q.n, round(q.mean), q.sd === null ? null : round(q.sd)]),
    ),
  };
  return [participants, byQuestion];
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

async function analysisTablesAndFigures(ctx: AppContext, studyId: string, kinds: readonly ParticipantKind[]): Promise<Pick<ResultsView, 'headlines' | 'tables' | 'figures' | 'notes'>> {
  const data = await analysisInput(ctx.store, studyId, kinds);
  if (!data) throw new Error(`no stored version of study '${studyId}'`);
  // Loaded on first use: vega is heavy, and most server starts never open Results.
  const [{ analyzeStudy }, { resultTables }, { renderFigures }, { headlines }] = await Promise.all([
    import('../../../analysis/analyze.ts'),
    import('../../../analysis/tables.ts'),
    import('../../../analysis/figures.ts'),
    import('../../../analysis/headline.ts'),
  ]);
  const result = analyzeStudy(data);
  const figures = await renderFigures(result);
  return {
    headlines: headlines(result).map((h) => h.text),
    tables: resultTables(result).map((t) => ({ title: t.title, columns: t.columns, rows: t.rows, why: t.why })),
    figures: figures.map((f) => ({ title: f.title, description: f.description, svg: f.svg })),
    notes: result.notes,
  };
}

/**
 * Recomputed at most every 5 s per study however many researchers watch, and
 * at most once per 20 times as long as the last computation took: the analysis
 * runs on the event loop that acknowledges participants, so a large study's
 * results refresh less often rather than slow the study down.
 */
const RESULTS_MIN_TTL_MS = 5000;
const RESULTS_LOAD_FACTOR = 20;
const cache = new WeakMap<AppContext, Map<string, { at: number; ttlMs: number; view: Promise<ResultsView> }>>();

async function computeResults(ctx: AppContext, studyId: string, kinds: readonly ParticipantKind[]): Promise<ResultsView> {
  const now = Date.now();
  const summary = (await ctx.store.studySummaries(now)).find((s) => s.studyId === studyId);
  const counts = await ctx.store.kindCounts(studyId);
  const leftOut = Object.fromEntries(PARTICIPANT_KINDS.filter((k) => !kinds.includes(k)).map((k) => [k, counts[k]]));
  const left = leftOutText({ leftOut });
  const kindNote = left ? [`Participants of kinds ${kinds.join(', ')} only; ${left}.`] : [];
  const head = { studyId, generatedAt: now, study: summary ? studyView(summary) : null, kinds: [...kinds], leftOut };
  try {
    const r = await analysisTablesAndFigures(ctx, studyId, kinds);
    return { ...head, source: 'analysis', ...r, notes: [...kindNote, ...r.notes] };
  } catch (err) {
    return {
      ...head,
      source: 'counts-and-means',
      headlines: [],
      tables: meansTables(conditionMeans(await ctx.store.iterateResponses(studyId, kinds))),
      figures: [],
      notes: [...kindNote, `The full analysis failed on this study (${err instanceof Error ? err.message : String(err)}); showing counts and means per condition instead.`],
    };
  }
}

export function resultsFor(ctx: AppContext, studyId: string, kinds: readonly ParticipantKind[] = DEFAULT_KINDS): Promise<ResultsView> {
  let perStudy = cache.get(ctx);
  if (!perStudy) cache.set(ctx, (perStudy = new Map()));
  const key = `${studyId}\u0000${kinds.join(',')}`;
  const hit = perStudy.get(key);
  if (hit && Date.now() - hit.at < hit.ttlMs) return hit.view;
  const t0 = performance.now();
  const entry = { at: Date.now(), ttlMs: RESULTS_MIN_TTL_MS, view: computeResults(ctx, studyId, kinds) };
  perStudy.set(key, entry);
  void entry.view.then(
    () => (entry.ttlMs = Math.max(RESULTS_MIN_TTL_MS, (performance.now() - t0) * RESULTS_LOAD_FACTOR)),
    () => perStudy.delete(key),
  );
  return entry.view;
}
