// The researcher app's only way to the server's JSON: same-origin fetch with the
// session cookie, the CSRF token on every mutation, and a redirect to the login
// page whenever the session has ended.
import type { StudyView, MonitorView, ResultsView } from '../../studies/vocabulary/admin-views.ts';
import type { ParticipantKind, StudyState } from '../../studies/vocabulary/participant-kinds.ts';

export type { StudyView, MonitorView, ResultsView };
export type { ConditionView, LiveParticipant } from '../../studies/vocabulary/admin-views.ts';

export interface SessionInfo {
  username: string;
  csrfToken: string;
  expiresAt: number;
}

export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly field?: string,
  ) {
    super(message);
  }
}

let csrfToken = '';

export function goToLogin(): void {
  const next = location.pathname + location.search + location.hash;
  location.assign(`/admin/login?next=${encodeURIComponent(next)}`);
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (method !== 'GET') headers['X-CSRF-Token'] = csrfToken;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
    cache: 'no-store',
  });
  if (res.status === 401) {
    goToLogin();
    throw new ApiError('researcher login required', 401);
  }
  if (res.status === 204) return undefined as T;
  const data = (await res.json().catch(() => ({}))) as { error?: string; field?: string };
  if (!res.ok) throw new ApiError(data.error ?? `${method} ${path}: HTTP ${res.status}`, res.status, data.field);
  return data as T;
}

export async function loadSession(): Promise<SessionInfo> {
  const s = await request<SessionInfo>('GET', '/api/admin/session');
  csrfToken = s.csrfToken;
  return s;
}

export const api = {
  studies: () => request<{ now: number; studies: StudyView[] }>('GET', '/api/admin/studies'),
  study: (id: string) =>
    request<{ now: number; study: StudyView; versions: { version: string; file: string | null; createdAt: number }[]; previewUrl: string }>(
      'GET',
      `/api/admin/studies/${encodeURIComponent(id)}`,
    ),
  monitor: (id: string) => request<MonitorView>('GET', `/api/admin/studies/${encodeURIComponent(id)}/monitor`),
  results: (id: string, include: readonly ParticipantKind[] = []) => request<ResultsView>('GET', `/api/admin/studies/${encodeURIComponent(id)}/results${includeQuery(include)}`),
  setState: (id: string, state: StudyState) => request<{ studyId: string; state: StudyState }>('POST', `/api/admin/studies/${encodeURIComponent(id)}/state`, { state }),
  accounts: () => request<{ accounts: { username: string; createdAt: number; passwordChangedAt: number }[] }>('GET', '/api/admin/accounts'),
  addAccount: (username: string, password: string) => request<{ username: string }>('POST', '/api/admin/accounts', { username, password }),
  changePassword: (currentPassword: string, newPassword: string) =>
    request<void>('POST', '/api/admin/password', { currentPassword, newPassword }),
  logout: () => request<void>('POST', '/api/admin/logout'),
};

/** `?include=pilot,bot` for the kinds beyond real that a results view asks for (empty for none). */
function includeQuery(include: readonly ParticipantKind[]): string {
  return include.length ? `?include=${include.join(',')}` : '';
}

export function csvUrl(studyId: string, include: readonly ParticipantKind[] = []): string {
  return `/api/admin/studies/${encodeURIComponent(studyId)}/responses.csv${includeQuery(include)}`;
}

export function codebookUrl(studyId: string): string {
  return `/api/admin/studies/${encodeURIComponent(studyId)}/codebook.csv`;
}

export function reportUrl(studyId: string, include: readonly ParticipantKind[] = []): string {
  return `/api/admin/studies/${encodeURIComponent(studyId)}/report.html${includeQuery(include)}`;
}

export function previewUrl(studyId: string): string {
  return `/s/${encodeURIComponent(studyId)}?preview=1`;
}
