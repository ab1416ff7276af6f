// The tables of a Credence database, listed once for whatever moves whole
// databases (db copy, the PostgreSQL backup): both engines hold the same tables
// and columns (schema.ts, postgres-schema.ts), so one list in the order their
// foreign keys need (a row's parent is written before it) serves every
// direction. Each engine reads and writes them through a TableSource/TableTarget
// (sqlite-tables.ts, postgres-tables.ts).

/** A copy refused before anything was written: the message says why and what to do. */
export class CopyError extends Error {}

export interface TableSpec {
  name: string;
  /**
   * The order rows are read in, per engine: the order they were written, so a
   * copy keeps the order a query without its own ORDER BY, or one that ends in
   * SQLite's rowid or PostgreSQL's seq, gives back (a study's versions and
   * stimuli, the answers of a response).
   */
  order: { sqlite: string; postgres: string };
}

export const TABLES: readonly TableSpec[] = [
  { name: 'studies', order: { sqlite: 'rowid', postgres: 'seq' } },
  { name: 'stimuli', order: { sqlite: 'rowid', postgres: 'seq' } },
  { name: 'study_states', order: { sqlite: 'rowid', postgres: 'study_id' } },
  { name: 'participants', order: { sqlite: 'rowid', postgres: 'started_at, idx, id' } },
  { name: 'participant_plans', order: { sqlite: 'rowid', postgres: 'participant_id' } },
  { name: 'responses', order: { sqlite: 'id', postgres: 'id' } },
  { name: 'answers', order: { sqlite: 'rowid', postgres: 'seq' } },
  { name: 'events', order: { sqlite: 'id', postgres: 'id' } },
  { name: 'deadline_claims', order: { sqlite: 'rowid', postgres: 'participant_id' } },
  { name: 'detector_scores', order: { sqlite: 'rowid', postgres: 'study_id, stimulus_id, detector, model_hash, metric' } },
  { name: 'purges', order: { sqlite: 'id', postgres: 'id' } },
  { name: 'researcher_accounts', order: { sqlite: 'rowid', postgres: 'username' } },
  { name: 'researcher_sessions', order: { sqlite: 'rowid', postgres: 'created_at, id_hash' } },
];

/**
 * Columns an engine keeps for itself, never copied: PostgreSQL's `seq` identity
 * stands in for SQLite's rowid and is numbered afresh by the order rows arrive.
 */
export const ENGINE_COLUMNS: readonly string[] = ['seq'];

/** socket.io's PostgreSQL adapter stores notifications over 8,000 bytes here (its default name). */
export const ADAPTER_TABLE = 'socket_io_attachments';
/** rate-limiter-flexible's PostgreSQL store: one table for every limit, keys prefixed by the limit's name. */
export const LIMITS_TABLE = 'credence_rate_limits';

/**
 * Tables that are no study's data, never copied: the engine's own record of its
 * schema (each database keeps its own), and what running server processes share
 * through a PostgreSQL store's database (server/realtime/postgres-link.ts makes
 * them): the adapter's large notifications and the rate limits' counts.
 */
export const BOOKKEEPING_TABLES: readonly string[] = ['schema_version', ADAPTER_TABLE, LIMITS_TABLE];

/** A table as one database holds it: its copied columns in the database's own order. */
export type TableColumns = Map<string, string[]>;

/** Reading every table of one database in one consistent snapshot. */
export interface TableSource {
  /** The database, as messages name it (a PostgreSQL URL without its password). */
  readonly label: string;
  /** Its schema version, and the version this program writes on its engine. */
  schemaVersion(): Promise<{ version: number; latest: number }>;
  /** Every data table the database holds (bookkeeping left out), with its copied columns. */
  tables(): Promise<TableColumns>;
  /** The rows of one table in the table's order, as arrays in `columns` order, a batch at a time. */
  rows(table: TableSpec, columns: string[]): AsyncIterable<unknown[][]>;
  close(): Promise<void>;
}

/** Writing into one database inside one transaction: nothing is visible, or kept, before finish(). */
export interface TableTarget {
  readonly label: string;
  /** Its schema version before anything was done (0: a new database), and this program's. */
  schemaVersion(): Promise<{ version: number; latest: number }>;
  /** Creates the schema of a new (version 0) database, before begin(). */
  migrate(): Promise<void>;
  begin(): Promise<void>;
  tables(): Promise<TableColumns>;
  hasRows(table: string): Promise<boolean>;
  count(table: string): Promise<number>;
  insert(table: string, columns: string[], rows: unknown[][]): Promise<void>;
  /** Moves id counters past the copied ids, then commits. */
  finish(): Promise<void>;
  /** Rolls back whatever was written (safe to call after a failure anywhere). */
  abort(): Promise<void>;
  close(): Promise<void>;
}

/** A table or column name quoted for SQL (the same double quotes on both engines). */
export const quoteName = (name: string) => `"${name.replaceAll('"', '""')}"`;

/** Rows per batch read or written: bounded memory for tables of any size. */
export const BATCH_ROWS = 1000;
