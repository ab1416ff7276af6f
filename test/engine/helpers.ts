// Shared by engine and integration tests: fixture studies written to a temp
// folder (variants of fixtures/mini.yaml), a store and engine on a real SQLite
// file, and a temp dir that is removed afterwards.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { loadStudy } from '../../studies/load.ts';
import { openStore } from '../../server/store/open.ts';
import { TEST_ENGINES, type TestEngine } from '../helpers/engines.ts';
import { Engine, type StudyDef } from '../../server/engine/engine.ts';
import { studyDef } from '../../server/engine/open-studies.ts';

export const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

export function tempDir(prefix = 'credence-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The mini fixture as a plain object, to change and write out. */
export function miniProtocol(): any {
  return parse(readFileSync(join(FIXTURES, 'mini.yaml'), 'utf8'));
}

/** Writes a (changed) protocol to dir/<id>.yaml and returns the path. */
export function writeStudy(dir: string, protocol: any): string {
  const file = join(dir, `${protocol.id}.yaml`);
  writeFileSync(file, stringify(protocol));
  return file;
}

export async function loadDef(file: string): Promise<StudyDef> {
  return studyDef(loadStudy(file), dirname(file));
}

/** An engine on a fresh store: a SQLite file `dir/dbName`, or a new database of `on` (test/helpers/engines.ts). */
export async function openEngine(dir: string, files: string[], dbName = 'test.db', on: TestEngine = TEST_ENGINES[0]) {
  return reopenEngine(await on.newDb(dir, dbName), files);
}

/** An engine on an existing database (a restart: `reopenEngine(e.db, files)`). */
export async function reopenEngine(db: string, files: string[]) {
  const store = await openStore({ db });
  let closed = false;
  const engine = new Engine({ store });
  for (const f of files) (await engine.openStudy(await loadDef(f)));
  await engine.start();
  return {
    /** The database, to open it again (a restart) with openStore. */
    db,
    store,
    engine,
    /** Idempotent: a test may close early (a server going down) and again in its finally. */
    close: async () => {
      if (closed) return;
      closed = true;
      await engine.stop();
      await store.close();
    },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
