// Submissions that are not yet acknowledged, kept in localStorage so a reload
// (or a crash) retries them with the same client id: the server treats a
// repeated id as the same submission and never writes it twice.
import type { Submit } from '../../studies/vocabulary/participant-wire.ts';

export interface Outbox {
  pending(): Submit[];
  add(s: Submit): void;
  remove(clientId: string): void;
  /** Forget everything (the participant has finished: nothing left can be accepted). */
  clear(): void;
}

/** An outbox that lives as long as its process (a bot; a browser whose storage is blocked works the same way). */
export function memoryOutbox(): Outbox {
  let items: Submit[] = [];
  return {
    pending: () => items,
    add(s) {
      items = [...items.filter((x) => x.clientId !== s.clientId), s];
    },
    remove(clientId) {
      items = items.filter((x) => x.clientId !== clientId);
    },
    clear() {
      items = [];
    },
  };
}

export function createOutbox(study: string, pid?: string): Outbox {
  const key = `credence:outbox:${study}${pid ? `:${pid}` : ''}`;
  let memory: Submit[] = [];
  const read = (): Submit[] => {
    try {
      const raw = localStorage.getItem(key);
      const parsed: unknown = raw ? JSON.parse(raw) : [];
      return Array.isArray(parsed) ? (parsed as Submit[]) : [];
    } catch {
      return memory;
    }
  };
  const write = (items: Submit[]): void => {
    memory = items;
    try {
      if (items.length) localStorage.setItem(key, JSON.stringify(items));
      else localStorage.removeItem(key);
    } catch {
      // Storage blocked: keep retrying from memory for as long as the tab lives.
    }
  };
  return {
    pending: read,
    add(s) {
      write([...read().filter((x) => x.clientId !== s.clientId), s]);
    },
    remove(clientId) {
      write(read().filter((x) => x.clientId !== clientId));
    },
    clear() {
      write([]);
    },
  };
}
