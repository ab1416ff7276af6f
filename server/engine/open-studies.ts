// Turns study files into served study versions: load and check the protocol,
// materialise its pools into stimuli, register the version in the store.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadStudy, type LoadedStudy } from '../../studies/load.ts';
import { materializePools } from '../stimuli/index.ts';
import type { Engine, StudyDef } from './engine.ts';

export async function studyDef(loaded: LoadedStudy, dataDir: string): Promise<StudyDef> {
  const stimuli = materializePools(loaded, { dataDir });
  return { protocol: loaded.protocol, version: loaded.version, file: loaded.file, stimuli };
}

export interface OpenStudiesOptions {
  studiesDir: string;
  dataDir: string;
  /** Ids or paths. Absent: every study in studiesDir that loads (others are reported and skipped). */
  studies?: string[];
  warn?: (message: string) => void;
}

export async function openStudies(engine: Engine, opts: OpenStudiesOptions): Promise<{ studyId: string; version: string; created: boolean }[]> {
  const explicit = opts.studies && opts.studies.length > 0;
  const args = explicit
    ? opts.studies!
    : readdirSync(opts.studiesDir)
        .filter((f) => /\.ya?ml$/i.test(f))
        .sort()
        .map((f) => join(opts.studiesDir, f));
  const opened: { studyId: string; version: string; created: boolean }[] = [];
  for (const arg of args) {
    try {
      const loaded = loadStudy(arg, { studiesDir: opts.studiesDir });
      const def = await studyDef(loaded, opts.dataDir);
      const { created } = await engine.openStudy(def);
      opened.push({ studyId: def.protocol.id, version: def.version, created });
    } catch (err) {
      if (explicit) throw err;
      opts.warn?.(`skipping ${arg}: ${(err as Error).message}`);
    }
  }
  return opened;
}
