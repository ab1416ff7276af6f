// Shared by engine and integration tests: fixture studies written to a temp
// folder (variants of fixtures/mini.yaml), a store and engine on a real SQLite
// file, and a temp dir that is removed afterwards.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, stringify } from 'yaml';
import { loadStudy } from '../../studies/load.ts';
import { SqliteStore } from '../../server/store/sqlite.ts';
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

export async function openEngine(dir: string, files: string[], dbName = 'test.db') {
  const store = new SqliteStore(join(dir, dbName));
  const engine = new Engine({ store });
  for (const f of files) (await engine.openStudy(await loadDef(f)));
  await engine.start();
  return {
    store,
    engine,
    close: async () => {
      await engine.stop();
      await store.close();
    },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
