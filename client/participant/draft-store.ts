// The answers given so far on each page, kept in the browser so a reload
// restores chosen options and typed text (the server restores the page and its
// time; this restores what was on it). Keyed by study, recruiter id and page;
// localStorage may be unavailable (private mode), then drafts live only in memory.

export type DraftAnswers = Record<string, unknown>;

const memory = new Map<string, DraftAnswers>();

function key(study: string, pid: string | undefined, pageIndex: number): string {
  return `credence-draft:${study}:${pid ?? '-'}:${pageIndex}`;
}

export function loadDraft(study: string, pid: string | undefined, pageIndex: number): DraftAnswers {
  const k = key(study, pid, pageIndex);
  try {
    const raw = localStorage.getItem(k);
    if (raw) return JSON.parse(raw) as DraftAnswers;
  } catch {
    /* unavailable or corrupt: fall back to memory */
  }
  return memory.get(k) ?? {};
}

export function saveDraft(study: string, pid: string | undefined, pageIndex: number, answers: DraftAnswers): void {
  const k = key(study, pid, pageIndex);
  memory.set(k, answers);
  try {
    localStorage.setItem(k, JSON.stringify(answers));
  } catch {
    /* quota or private mode: memory only */
  }
}

/** Forgets one page's draft once its answer is in the outbox: a new attempt at that page (comprehension) starts clean. */
export function forgetDraft(study: string, pid: string | undefined, pageIndex: number): void {
  const k = key(study, pid, pageIndex);
  memory.delete(k);
  try {
    localStorage.removeItem(k);
  } catch {
    /* unavailable */
  }
}

/** Forgets the drafts of pages before `pageIndex` (answered) — or all of them, at the end. */
export function clearDrafts(study: string, pid: string | undefined, beforePageIndex = Infinity): void {
  const prefix = `credence-draft:${study}:${pid ?? '-'}:`;
  const stale = (k: string) => k.startsWith(prefix) && Number(k.slice(prefix.length)) < beforePageIndex;
  for (const k of [...memory.keys()]) if (stale(k)) memory.delete(k);
  try {
    for (let i = localStorage.length - 1; i >= 0; i--) {
      const k = localStorage.key(i);
      if (k && stale(k)) localStorage.removeItem(k);
    }
  } catch {
    /* unavailable */
  }
}
