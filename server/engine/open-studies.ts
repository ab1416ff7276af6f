// Turns study files into served study versions: load and check the protocol,
// materialise its pools into stimuli, register the version in the store.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadStudy, type LoadedStudy } from '../../studies/load.ts';
import type { StimulusInput } from '../store/store.ts';
import type { Engine, StudyDef } from './engine.ts';

type Materialize = (loaded: LoadedStudy, opts: { dataDir: string }) => Promise<StimulusInput[]> | StimulusInput[];

let materializer: Materialize | null | undefined;

/** The stimulus materialiser (server/stimuli) when present; fixed pools alone work without it. */
async function getMaterializer(): Promise<Materialize | null> {
  if (materializer !== undefined) return materializer;
  try {
    const url = pathToFileURL(join(import.meta.dirname, '..', 'stimuli', 'index.ts')).href;
    const mod = (await import(url)) as { materializePools?: Materialize };
    materializer = mod.materializePools ?? null;
  } catch {
    materializer = null;
  }
  return materializer;
}

function fixedStimuli(loaded: LoadedStudy): StimulusInput[] {
  const out: StimulusInput[] = [];
  for (const [name, pool] of Object.entries(loaded.protocol.pools)) {
    if (pool.kind !== 'fixed') {
      throw new Error(`${loaded.file}: pool '${name}' is ${pool.kind}; it needs the stimulus materialiser (server/stimuli)`);
    }
    for (const item of pool.items) {
      const label = { source: 'human' as const, ...(pool.label ?? {}), ...(item.label ?? {}) };
      out.push({ id: item.id, pool: name, text: item.text, label, length_words: item.text.split(/\s+/).filter(Boolean).length });
    }
  }
  return out;
}

export async function studyDef(loaded: LoadedStudy, dataDir: string): Promise<StudyDef> {
  const m = await getMaterializer();
  const stimuli = m ? await m(loaded, { dataDir }) : fixedStimuli(loaded);
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
      const { created } = engine.openStudy(def);
      opened.push({ studyId: def.protocol.id, version: def.version, created });
    } catch (err) {
      if (explicit) throw err;
      opts.warn?.(`skipping ${arg}: ${(err as Error).message}`);
    }
  }
  return opened;
}
