// What the admin API sends the researcher app: the JSON shapes of /api/admin
// and the monitor socket. The server builds them (server/http/admin), the
// researcher app (client/admin) reads them; both import them from here.
import type { PageKind } from './pages.ts';
import type { ParticipantState, ParticipantStatus } from './statuses.ts';
import type { ParticipantKind, StudyState } from './participant-kinds.ts';

/** One participant as the live monitor lists them. */
export interface LiveParticipant {
  participantId: string;
  condition: string;
  status: ParticipantStatus;
  /** 'abandoned' when in progress and idle past the slot TTL. */
  state: ParticipantState;
  prolificPid: string | null;
  pageIndex: number;
  pagesTotal: number;
  pageKind: PageKind | null;
  pageStartedAt: number;
  /** ms on the current page at the time of the call (0 once ended). */
  timeOnPageMs: number;
  lastSeenAt: number;
  startedAt: number;
  endedAt: number | null;
  flagged: boolean;
}

export interface ConditionView {
  condition: string;
  target: number;
  completed: number;
  /** In progress and seen within the slot TTL. */
  inProgress: number;
  /** In progress but idle past the TTL: their slot is free again. */
  abandoned: number;
  /** Ended without completing: no consent, failed attention or comprehension, timed out. */
  endedEarly: number;
}

export interface StudyView {
  id: string;
  title: string;
  version: string;
  versions: string[];
  file: string | null;
  status: 'open' | 'full';
  /** Set by the researcher: open, paused or closed to new arrivals. */
  state: StudyState;
  participants: number;
  /** Records taken over by another browser with the same recruiter id (each one is an event). */
  takeovers: number;
  conditions: ConditionView[];
  totals: Omit<ConditionView, 'condition'>;
}

export interface MonitorView {
  studyId: string;
  now: number;
  counts: { inProgress: number; abandoned: number; completed: number; endedEarly: number; total: number };
  /** Dropouts: abandoned in progress, plus ended early (timed out, failed, no consent). */
  dropouts: number;
  /** Live first (most recently seen first), then the rest by end time; at most `limit`. */
  participants: LiveParticipant[];
  truncated: boolean;
  /** Set on socket pushes: when the next push comes (2 s, longer when the server is busy). */
  pushIntervalMs?: number;
}

export type Cell = string | number | boolean | null;

export interface ResultTable {
  title: string;
  note?: string;
  columns: string[];
  rows: Cell[][];
  /** Why each empty cell is empty (null where the cell has a value). */
  why?: (string | null)[][];
}

export interface ResultFigure {
  title: string;
  /** What the marks are: the caption and the image's text alternative. */
  description: string;
  /** SVG text, shown by the browser as an image so no markup in it runs. */
  svg: string;
}

export interface ResultsView {
  studyId: string;
  generatedAt: number;
  /** Which code produced the numbers: the analysis package, or the admin area's own counts and means. */
  source: 'analysis' | 'counts-and-means';
  study: StudyView | null;
  /** The report's headline sentences (analysis/headline.ts), first on the page. */
  headlines: string[];
  tables: ResultTable[];
  figures: ResultFigure[];
  /** What could not be computed, and why (from the analysis, or why it fell back). */
  notes: string[];
  /** The participant kinds in these results (real only unless asked). */
  kinds: ParticipantKind[];
  /** Participants of the other kinds, left out. */
  leftOut: Partial<Record<ParticipantKind, number>>;
}
