// The Results view's data: tables (plain cells) and figures (SVG text, shown by
// the browser as images). Uses the analysis report builder when analysis/
// provides one; until then, counts and means per condition (results-fallback.ts).
import type { AppContext } from '../context.ts';
import { conditionMeans, type ConditionMeans } from './results-fallback.ts';
import { studyView, type StudyView } from './study-view.ts';

export type Cell = string | number | boolean | null;

export interface ResultTable {
  title: string;
  note?: string;
  columns: string[];
  rows: Cell[][];
}

export interface ResultFigure {
  title: string;
  svg: string;
}

export interface ResultsView {
  studyId: string;
  generatedAt: number;
  /** Which code produced the numbers: the analysis report, or the admin area's own counts and means. */
  source: 'analysis' | 'counts-and-means';
  study: StudyView | null;
  tables: ResultTable[];
  figures: ResultFigure[];
}

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

export async function resultsFor(ctx: AppContext, studyId: string): Promise<ResultsView> {
  const now = Date.now();
  const summary = ctx.store.studySummaries(now).find((s) => s.studyId === studyId);
  return {
    studyId,
    generatedAt: now,
    source: 'counts-and-means',
    study: summary ? studyView(summary) : null,
    tables: meansTables(conditionMeans(ctx.store.iterateResponses(studyId))),
    figures: [],
  };
}
