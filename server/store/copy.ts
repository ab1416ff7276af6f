// Moving a whole database to another, on either engine (`credence db copy`, and
// the PostgreSQL backup into a SQLite file): every row of every table (tables.ts)
// with its ids and hashes as they are, read in one snapshot of the source and
// written in one transaction on the target, so the target holds all of it or
// nothing. Rows are only inserted, never updated, so the append-only triggers
// hold on the target as on the source. A target must be new or empty, and both
// sides at this program's schema (`credence db migrate` brings them there).
import { realpathSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describeDb, isPostgresUrl } from './open.ts';
import { PostgresTableSource, PostgresTableTarget } from './postgres-tables.ts';
import { SqliteTableSource, SqliteTableTarget } from './sqlite-tables.ts';
import { CopyError, TABLES, type TableSource, type TableTarget } from './tables.ts';

export interface CopyOptions {
  /** Add to a target that already holds rows (a row whose key it already has fails the whole copy). */
  allowNonEmpty?: boolean;
  /** Called as each table is done, with the rows copied. */
  onTable?: (table: string, rows: number) => void;
}

export interface CopyResult {
  from: string;
  to: string;
  /** Rows copied per table, in copy order. */
  tables: { table: string; rows: number }[];
}

export async function openTableSource(db: string): Promise<TableSource> {
  return isPostgresUrl(db) ? PostgresTableSource.open(db) : new SqliteTableSource(db);
}

export async function openTableTarget(db: string): Promise<TableTarget> {
  return isPostgresUrl(db) ? PostgresTableTarget.open(db) : new SqliteTableTarget(db);
}

/** What names one database, for telling two apart: a file's real path, or a URL. */
function identity(db: string): string {
  if (isPostgresUrl(db)) {
    const u = new URL(db);
    return `postgres://${u.hostname}:${u.port || '5432'}${u.pathname}`;
  }
  return existsSync(db) ? realpathSync(db) : resolve(db);
}

const migrateHint = (db: string) => `run: credence db migrate --db ${describeDb(db)}`;

export async function copyDatabase(from: string, to: string, opts: CopyOptions = {}): Promise<CopyResult> {
  if (identity(from) === identity(to)) throw new CopyError(`--from and --to name the same database (${describeDb(from)})`);
  const source = await openTableSource(from);
  let target: TableTarget | undefined;
  try {
    const sv = await source.schemaVersion();
    if (sv.version > sv.latest) throw new CopyError(`${source.label}: schema version ${sv.version} is newer than this program (${sv.latest}); use a newer Credence`);
    if (sv.version !== sv.latest) throw new CopyError(`${source.label}: schema version ${sv.version}, this program's is ${sv.latest}; ${migrateHint(from)}`);
    target = await openTableTarget(to);
    const result = await copyInto(source, target, from, to, opts);
    return result;
  } catch (err) {
    await target?.abort();
    throw err;
  } finally {
    await target?.close();
    await source.close();
  }
}

async function copyInto(source: TableSource, target: TableTarget, from: string, to: string, opts: CopyOptions): Promise<CopyResult> {
  const tv = await target.schemaVersion();
  if (tv.version > tv.latest) throw new CopyError(`${target.label}: schema version ${tv.version} is newer than this program (${tv.latest}); use a newer Credence`);
  // A brand-new database gets this program's schema; one made by an older program is the researcher's to migrate.
  if (tv.version === 0) await target.migrate();
  else if (tv.version !== tv.latest) throw new CopyError(`${target.label}: schema version ${tv.version}, this program's is ${tv.latest}; ${migrateHint(to)}`);
  await target.begin();

  const known = new Set(TABLES.map((t) => t.name));
  const sourceTables = await source.tables();
  const unknown = [...sourceTables.keys()].filter((t) => !known.has(t));
  if (unknown.length) throw new CopyError(`${source.label} holds table${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} that this program does not know; use the Credence that made it`);
  const targetTables = await target.tables();

  const before = new Map<string, number>();
  for (const { name } of TABLES) {
    if (!targetTables.has(name)) continue;
    if (!opts.allowNonEmpty && (await target.hasRows(name))) {
      throw new CopyError(`${target.label} is not empty: table ${name} holds rows. Copy into a new database, or give --allow-non-empty to add to it`);
    }
    before.set(name, opts.allowNonEmpty ? await target.count(name) : 0);
  }

  const tables: CopyResult['tables'] = [];
  for (const spec of TABLES) {
    const columns = sourceTables.get(spec.name);
    if (!columns) continue; // the source never made it (e.g. no researcher has logged in): nothing to copy
    const theirs = targetTables.get(spec.name);
    if (!theirs && !(await hasRows(source, spec, columns))) continue; // empty, and not made on the target's engine yet
    const differs = !theirs || theirs.length !== columns.length || columns.some((c) => !theirs.includes(c));
    if (differs) {
      throw new CopyError(
        `table ${spec.name} has columns (${columns.join(', ')}) in ${source.label} but ${theirs ? `(${theirs.join(', ')})` : 'does not exist'} in ${target.label}; ${migrateHint(to)}`,
      );
    }
    let rows = 0;
    for await (const batch of source.rows(spec, columns)) {
      await target.insert(spec.name, columns, batch);
      rows += batch.length;
    }
    // Every row read went in as it was: a trigger or rule that dropped one silently would show here.
    const stored = await target.count(spec.name);
    if (stored !== (before.get(spec.name) ?? 0) + rows) throw new Error(`${target.label}: table ${spec.name} holds ${stored} rows after copying ${rows}`);
    tables.push({ table: spec.name, rows });
    opts.onTable?.(spec.name, rows);
  }
  await target.finish();
  return { from: source.label, to: target.label, tables };
}

async function hasRows(source: TableSource, spec: (typeof TABLES)[number], columns: string[]): Promise<boolean> {
  for await (const batch of source.rows(spec, columns)) if (batch.length) return true;
  return false;
}
