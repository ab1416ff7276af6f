// What the researcher sees of a study: the store's summaries and live rows
// reshaped into the words the admin UI uses (in progress, abandoned, open/full).
import type { ConditionCount, StudySummary } from '../../store/store.ts';
import type { ConditionView, LiveParticipant, MonitorView, StudyView } from '../../../studies/vocabulary/admin-views.ts';

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
  return { id: s.studyId, title: s.title, version: s.version, versions: s.versions, file: s.file, status: s.full ? 'full' : 'open', state: s.state, participants: s.participants, takeovers: s.takeovers, conditions, totals };
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
