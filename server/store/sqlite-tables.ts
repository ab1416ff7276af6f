// Whole tables of a SQLite database, for db copy and backup (tables.ts): read in
// one snapshot (a read transaction: a server may keep writing meanwhile, WAL),
// written in one IMMEDIATE transaction. Rows stream through a cursor a batch at
// a time, so a table of any size never sits in memory.
import Database from 'better-sqlite3';
import { existsSync, rmSync } from 'node:fs';
import { MIGRATIONS } from './schema.ts';
import { migrateSqlite, openWritable } from './sqlite.ts';
import { BATCH_ROWS, BOOKKEEPING_TABLES, quoteName as quote, CopyError, ENGINE_COLUMNS, type TableColumns, type TableSource, type TableSpec, type TableTarget } from './tables.ts';

function tablesOf(db: Database.Database): TableColumns {
  const out: TableColumns = new Map();
  const names = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all() as string[];
  for (const name of names) {
    if (BOOKKEEPING_TABLES.includes(name)) continue;
    const cols = (db.prepare(`SELECT name FROM pragma_table_info(?) ORDER BY cid`).pluck().all(name) as string[]).filter((c) => !ENGINE_COLUMNS.includes(c));
    out.set(name, cols);
  }
  return out;
}

export class SqliteTableSource implements TableSource {
  private readonly db: Database.Database;

  constructor(readonly label: string) {
    if (!existsSync(label)) throw new CopyError(`${label}: no such database`);
    this.db = new Database(label, { readonly: true, fileMustExist: true });
    this.db.pragma('busy_timeout = 5000');
    // Every table is read in this one read transaction: one snapshot, whatever commits meanwhile.
    this.db.exec('BEGIN');
  }

  async schemaVersion(): Promise<{ version: number; latest: number }> {
    return { version: this.db.pragma('user_version', { simple: true }) as number, latest: MIGRATIONS.length };
  }

  async tables(): Promise<TableColumns> {
    return tablesOf(this.db);
  }

  async *rows(table: TableSpec, columns: string[]): AsyncIterable<unknown[][]> {
    const st = this.db.prepare(`SELECT ${columns.map(quote).join(', ')} FROM ${quote(table.name)} ORDER BY ${table.order.sqlite}`).raw(true);
    let batch: unknown[][] = [];
    for (const row of st.iterate() as IterableIterator<unknown[]>) {
      batch.push(row);
      if (batch.length === BATCH_ROWS) {
        yield batch;
        batch = [];
      }
    }
    if (batch.length) yield batch;
  }

  async close(): Promise<void> {
    if (this.db.inTransaction) this.db.exec('COMMIT');
    this.db.close();
  }
}

export class SqliteTableTarget implements TableTarget {
  private readonly db: Database.Database;
  /** The file did not exist: a failed copy removes it again rather than leave an empty database behind. */
  private readonly created: boolean;
  private readonly inserts = new Map<string, Database.Statement>();

  constructor(readonly label: string) {
    this.created = !existsSync(label);
    this.db = openWritable(label);
  }

  async schemaVersion(): Promise<{ version: number; latest: number }> {
    return { version: this.db.pragma('user_version', { simple: true }) as number, latest: MIGRATIONS.length };
  }

  async migrate(): Promise<void> {
    migrateSqlite(this.db, this.label);
  }

  async begin(): Promise<void> {
    this.db.exec('BEGIN IMMEDIATE');
  }

  async tables(): Promise<TableColumns> {
    return tablesOf(this.db);
  }

  async hasRows(table: string): Promise<boolean> {
    return this.db.prepare(`SELECT 1 FROM ${quote(table)} LIMIT 1`).get() !== undefined;
  }

  async count(table: string): Promise<number> {
    return this.db.prepare(`SELECT count(*) FROM ${quote(table)}`).pluck().get() as number;
  }

  async insert(table: string, columns: string[], rows: unknown[][]): Promise<void> {
    const key = `${table}\u0000${columns.join(',')}`;
    let st = this.inserts.get(key);
    if (!st) {
      st = this.db.prepare(`INSERT INTO ${quote(table)} (${columns.map(quote).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`);
      this.inserts.set(key, st);
    }
    for (const row of rows) st.run(...row);
  }

  /** An INTEGER PRIMARY KEY continues from the largest id stored: nothing to move. */
  async finish(): Promise<void> {
    this.db.exec('COMMIT');
  }

  async abort(): Promise<void> {
    if (this.db.open && this.db.inTransaction) this.db.exec('ROLLBACK');
    if (this.created) {
      this.db.close();
      for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(this.label + suffix, { force: true });
    }
  }

  async close(): Promise<void> {
    if (!this.db.open) return;
    // One self-contained file (WAL folded in): a backup is renamed or moved as that one file.
    try {
      if (!this.db.inTransaction) this.db.pragma('journal_mode = DELETE');
    } catch {
      // Another connection has the file open (WAL then stays, and is folded in by whoever closes last).
    }
    this.db.close();
  }
}
