// The resume token, one per study (and per Prolific id, so two people sharing a
// browser never resume each other). localStorage may be unavailable (private
// mode, blocked storage); then resuming falls back to the Prolific id alone.

function key(study: string, pid: string | undefined): string {
  return `credence:token:${study}${pid ? `:${pid}` : ''}`;
}

export function loadToken(study: string, pid?: string): string | undefined {
  try {
    return localStorage.getItem(key(study, pid)) ?? undefined;
  } catch {
    return undefined;
  }
}

export function saveToken(study: string, pid: string | undefined, token: string): void {
  try {
    localStorage.setItem(key(study, pid), token);
  } catch {
    // Storage full or blocked: the server still resumes by Prolific id.
  }
}

export function clearToken(study: string, pid?: string): void {
  try {
    localStorage.removeItem(key(study, pid));
  } catch {
    /* nothing stored */
  }
}
