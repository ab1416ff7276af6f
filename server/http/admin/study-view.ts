// What the researcher sees of a study: the store's summaries and live rows
// reshaped into the words the admin UI uses (in progress, abandoned, open/full).
import type { ConditionCount, LiveParticipant, StudySummary } from '../../store/store.ts';

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
  participants: number;
  conditions: ConditionView[];
  totals: Omit<ConditionView, 'condition'>;
}

export function conditionView(c: ConditionCount): ConditionView {
  return { condition: c.condition, target: c.target, completed: c.completed, inProgress: c.active, abandoned: c.idle, endedEarly: c.ended };
}

export function studyView(s: StudySummary): StudyView {
  const conditions = s.conditions.map(conditionView);
  const totals = { target: 0, completed: 0, inProgress: 0, abandoned: 0, endedEarly: 0 };
  for (const c of conditions) {
    totals.target += c.target;
    totals.completed += c.completed;
    totals.inProgress += c.inProgress;
    totals.abandoned += c.abandoned;
    totals.endedEarly += c.endedEarly;
  }
  return { id: s.studyId, title: s.title, version: s.version, versions: s.versions, file: s.file, status: s.full ? 'full' : 'open', participants: s.participants, conditions, totals };
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

export const MONITOR_LIMIT = 500;

export function monitorView(studyId: string, rows: LiveParticipant[], now: number, limit = MONITOR_LIMIT): MonitorView {
  const counts = { inProgress: 0, abandoned: 0, completed: 0, endedEarly: 0, total: rows.length };
  for (const p of rows) {
    if (p.state === 'in-progress') counts.inProgress++;
    else if (p.state === 'abandoned') counts.abandoned++;
    else if (p.state === 'completed') counts.completed++;
    else counts.endedEarly++;
  }
  const rank = (p: LiveParticipant) => (p.state === 'in-progress' ? 0 : p.state === 'abandoned' ? 1 : 2);
  const sorted = [...rows].sort(
    (a, b) => rank(a) - rank(b) || (b.endedAt ?? b.lastSeenAt) - (a.endedAt ?? a.lastSeenAt) || a.participantId.localeCompare(b.participantId),
  );
  return {
    studyId,
    now,
    counts,
    dropouts: counts.abandoned + counts.endedEarly,
    participants: sorted.slice(0, limit),
    truncated: sorted.length > limit,
  };
}
