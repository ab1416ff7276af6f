// Online backup of the live database: participants keep answering while it
// runs, and the copy is one consistent snapshot that holds every transaction
// committed before it began. A SQLite database is copied with SQLite's backup
// API (better-sqlite3's db.backup); a PostgreSQL one is copied row by row into a
// new SQLite file (copy.ts, one REPEATABLE READ snapshot), which a researcher
// restores with the tool they already have: `credence db copy --from FILE --to
// postgres://…` (or serves and exports as it is). verifyBackup checks a copy,
// of either, before anyone relies on it.
import Database from 'better-sqlite3';
import { chmodSync, existsSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import { copyDatabase } from './copy.ts';
import { CopyError } from './tables.ts';
import { describeDb, isPostgresUrl } from './open.ts';

export class BackupError extends Error {}

export interface BackupSummary {
  file: string;
  bytes: number;
  studies: number;
  participants: number;
  responses: number;
}

function summary(db: Database.Database, file: string): BackupSummary {
  const count = (table: string) => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  return { file, bytes: statSync(file).size, studies: count('studies'), participants: count('participants'), responses: count('responses') };
}

/** Copies the database `db` (a SQLite file or a postgres:// URL) to the new SQLite file `out`, then verifies the copy. */
export async function backupDatabase(db: string, out: string): Promise<BackupSummary> {
  const pgSource = isPostgresUrl(db);
  if (!pgSource && !existsSync(db)) throw new BackupError(`${db}: no such database (give the live one with --db)`);
  if (existsSync(out)) throw new BackupError(`${out} exists; give a new file name (a backup never overwrites one)`);
  const tmp = join(dirname(out), `.${basename(out)}.${process.pid}.partial`);
  try {
    if (pgSource) await copyDatabase(db, tmp);
    else await sqliteBackup(db, tmp);
  } catch (err) {
    for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(tmp + suffix, { force: true });
    // A refused copy already names the database and what to do.
    if (err instanceof CopyError) throw err;
    throw new BackupError(`${describeDb(db)}: backup failed: ${(err as Error).message}`);
  }
  chmodSync(tmp, 0o600); // it holds password hashes, recruiter ids and answers
  renameSync(tmp, out);
  return verifyBackup(out);
}

async function sqliteBackup(dbPath: string, tmp: string): Promise<void> {
  const source = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    source.pragma('busy_timeout = 5000');
    // After the first step, copy the rest in one step: a copy that another process's writes restart
    // would otherwise start over every few pages on a busy server.
    await source.backup(tmp, { progress: ({ remainingPages }) => Math.max(1, remainingPages) });
  } finally {
    source.close();
  }
}

/** Opens a copy read-only and checks it: integrity_check, the schema of a Credence database, row counts. */
export function verifyBackup(file: string): BackupSummary {
  if (!existsSync(file)) throw new BackupError(`${file}: no such file`);
  if (statSync(file).size === 0) throw new BackupError(`${file} is empty (0 bytes): not a backup`);
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    const problems = (db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check).filter((m) => m !== 'ok');
    if (problems.length) throw new BackupError(`${file} fails integrity_check: ${problems.slice(0, 3).join('; ')}`);
    const tables = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name));
    const missing = ['studies', 'participants', 'responses', 'answers'].filter((t) => !tables.has(t));
    if (missing.length) throw new BackupError(`${file} is a SQLite database but not a Credence one (no ${missing.join(', ')} table)`);
    return summary(db, file);
  } catch (err) {
    if (err instanceof BackupError) throw err;
    throw new BackupError(`${file} is not a readable SQLite database: ${(err as Error).message}`);
  } finally {
    db?.close();
  }
}
