// The one place that decides which database a store talks to. Everything
// outside server/store/ opens stores here and sees only the Store interface,
// so a PostgreSQL store can come in behind this function alone.
import type { Store } from './store.ts';
import { SqliteStore } from './sqlite.ts';

export interface OpenStoreOptions {
  /** The database file. */
  path: string;
  /**
   * A long-running server: commits return before the disk sync and durable()
   * resolves after it, so syncing leaves the event loop while acks still wait
   * for the disk. One-shot commands leave it off (every commit syncs).
   */
  server?: boolean;
}

export function openStore(opts: OpenStoreOptions): Store {
  const store = new SqliteStore(opts.path);
  if (opts.server) store.syncInBackground();
  return store;
}

/** A store that lives in memory and vanishes with the process (researcher preview). */
export function openThrowawayStore(): Store {
  return new SqliteStore(':memory:');
}
