// Refuse bad storage before serving. Without these checks a read-only, corrupt
// or empty database file let the server start and then fail every join, or
// start silently empty. Also keeps the files private: the database holds
// researcher password hashes, recruiter ids and every answer, so its folder is
// created 0700 and the database, its WAL and shared-memory files are 0600.
import Database from 'better-sqlite3';
import { accessSync, chmodSync, closeSync, constants, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

export class StorageError extends Error {}

const SIDE_FILES = ['', '-wal', '-shm', '-journal'];

/**
 * Creates a folder of the data directory (and any missing parent) 0700. Every
 * writer that may be first to make `data/` goes through here (the database, and
 * `prepare` writing generated stimuli before the database exists), so a fresh
 * `npm start` never leaves the folder readable by others.
 */
export function ensurePrivateDir(dir: string): void {
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
}

/**
 * Creates the database's folder (0700) and file (0600) when missing, and makes
 * existing database files 0600. SQLite gives the WAL and shared-memory files the
 * database file's mode, so they are private from their first byte.
 */
export function prepareDbFiles(path: string, warn?: (message: string) => void): void {
  if (path === ':memory:' || path === '') return;
  const dir = dirname(path);
  if (!existsSync(dir)) ensurePrivateDir(dir);
  else if (warn && (statSync(dir).mode & 0o077) !== 0) {
    warn(`warning: the database folder ${dir} can be read by other users of this machine; run: chmod 700 ${dir}`);
  }
  if (!existsSync(path)) closeSync(openSync(path, 'a', 0o600));
  for (const suffix of SIDE_FILES) {
    const f = path + suffix;
    try {
      if (existsSync(f) && (statSync(f).mode & 0o077) !== 0) chmodSync(f, 0o600);
    } catch {
      // Not ours to change (another owner): the read-only check below names the problem if it matters.
    }
  }
}

/**
 * Checks an existing database file before the server opens it: not empty, writable
 * (the file and its folder, where SQLite writes the WAL), a SQLite database, and
 * passing `PRAGMA quick_check`. Throws a StorageError naming the file and what to do.
 */
export function checkStorage(path: string): void {
  if (path === ':memory:' || !existsSync(path)) return;
  const st = statSync(path);
  if (!st.isFile()) throw new StorageError(`${path} is not a file. Point --db to a database file (a new one is created when missing).`);
  if (st.size === 0) {
    throw new StorageError(
      `${path} is empty (0 bytes), not a Credence database. If it should hold a study's data, restore it from a backup (credence backup --verify FILE, then copy it here); if it was meant to be new, delete the empty file and start again.`,
    );
  }
  for (const [what, file] of [['database file', path], ['database folder', dirname(path)]] as const) {
    try {
      accessSync(file, constants.R_OK | constants.W_OK);
      // Marked read-only (no owner write bit): refused even for root, who could write it anyway.
      if ((statSync(file).mode & 0o200) === 0) throw new Error('read-only mode');
    } catch {
      throw new StorageError(
        `${path}: the ${what} ${file} is not writable by this user, so no answer could be stored. Make it writable (e.g. chown it to the user that runs the server and chmod 600 the file, 700 the folder), or point --db to a writable copy.`,
      );
    }
  }
  let db: Database.Database | undefined;
  try {
    db = new Database(path, { fileMustExist: true });
    const rows = db.pragma('quick_check') as { quick_check: string }[];
    const problems = rows.map((r) => r.quick_check).filter((m) => m !== 'ok');
    if (problems.length > 0) throw new StorageError(corrupt(path, problems.slice(0, 3).join('; ')));
  } catch (err) {
    if (err instanceof StorageError) throw err;
    throw new StorageError(corrupt(path, (err as Error).message));
  } finally {
    db?.close();
  }
}

function corrupt(path: string, why: string): string {
  return `${path} is damaged (${why}). Stop every program using it, keep a copy of the file, and restore the latest backup (check it first with credence backup --verify FILE); sqlite3's .recover can salvage rows from the damaged copy.`;
}
