// What the participant link says: the study id from `/s/<study>`, and the
// recruiter's ids from the query string (Prolific appends them to the link).
import type { JoinAuth } from '../../studies/vocabulary/participant-wire.ts';

export interface LaunchParams {
  study: string;
  prolific?: NonNullable<JoinAuth['prolific']>;
  preview: boolean;
  /** `?pilot=1`: a test run, kept apart from real participants. */
  pilot: boolean;
}

export function readLaunchParams(loc: { pathname: string; search: string }): LaunchParams | undefined {
  const m = /^\/s\/([^/]+)\/?$/.exec(loc.pathname);
  if (!m) return undefined;
  let study: string;
  try {
    study = decodeURIComponent(m[1]);
  } catch {
    return undefined;
  }
  const q = new URLSearchParams(loc.search);
  const pid = q.get('PROLIFIC_PID')?.trim();
  const prolific = pid
    ? {
        PROLIFIC_PID: pid,
        ...(q.get('STUDY_ID') ? { STUDY_ID: q.get('STUDY_ID')! } : {}),
        ...(q.get('SESSION_ID') ? { SESSION_ID: q.get('SESSION_ID')! } : {}),
      }
    : undefined;
  const preview = q.get('preview') === '1' || q.get('preview') === 'true';
  const pilot = q.get('pilot') === '1' || q.get('pilot') === 'true';
  return { study, prolific, preview, pilot };
}
