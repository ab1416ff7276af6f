// Who a participant is, for the data: `real` arrived with recruiter ids,
// `pilot` came through a link without them (or `?pilot=1`), `bot` is a
// simulated participant. Analysis, exports and /admin results see only real
// participants unless asked; only pilot and bot records may ever be deleted.
// Also the study states a researcher sets (open, paused, closed).

export const PARTICIPANT_KINDS = ['real', 'pilot', 'bot'] as const;
export type ParticipantKind = (typeof PARTICIPANT_KINDS)[number];

/** What analysis reads when nobody asks for more. */
export const DEFAULT_KINDS: readonly ParticipantKind[] = ['real'];

/** Kinds that `credence data purge` may remove. */
export const PURGEABLE_KINDS: readonly ParticipantKind[] = ['pilot', 'bot'];

/**
 * Parses a comma list like `pilot,bot` (from `--include` or `--kind`), naming
 * what is wrong; `allowed` limits the kinds (purge never takes `real`).
 */
export function parseKinds(list: string, allowed: readonly ParticipantKind[] = PARTICIPANT_KINDS): ParticipantKind[] {
  const parts = list.split(',').map((s) => s.trim()).filter(Boolean);
  if (parts.length === 0) throw new Error(`expected one or more of ${allowed.join(', ')}, got '${list}'`);
  for (const p of parts) {
    if (!(allowed as readonly string[]).includes(p)) throw new Error(`'${p}' is not one of ${allowed.join(', ')}`);
  }
  return [...new Set(parts)] as ParticipantKind[];
}

/**
 * A recruiter id that is still the template's placeholder (Prolific's
 * `{{%PROLIFIC_PID%}}`, or `{PID}`, `${pid}`, `%PID%`, `[PID]`): the link was
 * opened as written, not by a recruited participant.
 */
export function isPlaceholderId(id: string): boolean {
  const v = id.trim();
  return /\{\{|\}\}|\$\{|%[A-Z_]+%/i.test(v) || /^\{[^{}]*\}$/.test(v) || /^\[[A-Z_]+\]$/i.test(v) || /^PROLIFIC_PID$/i.test(v);
}

export const STUDY_STATES = ['open', 'paused', 'closed'] as const;
/** open: anyone may join; paused and closed: participants already in finish, new arrivals get a page saying so. */
export type StudyState = (typeof STUDY_STATES)[number];
