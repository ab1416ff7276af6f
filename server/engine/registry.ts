// The served studies: which version of each study is open, its protocol and
// stimuli held in memory, and the throwaway store that preview participants
// live in (preview stores nothing; it vanishes with the process).
import type { Protocol } from '../../studies/protocol.ts';
import type { StimulusInput, Store, StoredStimulus } from '../store/store.ts';
import { openThrowawayStore } from '../store/open.ts';
import { chooseCondition } from './assign.ts';

export interface StudyDef {
  protocol: Protocol;
  /** Hash of the normalised protocol. */
  version: string;
  file: string | null;
  stimuli: StimulusInput[];
}

/** A served study version as the engine reads it on every page. */
export interface Runtime {
  protocol: Protocol;
  stimuli: Map<string, StoredStimulus>;
  list: StoredStimulus[];
}

export class StudyRegistry {
  readonly previewStore: Store = openThrowawayStore();
  private readonly served = new Map<string, string>();
  private readonly runtimes = new Map<string, Promise<Runtime>>();
  private readonly previewIds = new Set<string>();

  constructor(readonly store: Store) {}

  /** Registers a study version in the store (a new version only when the protocol changed) and serves it. */
  async open(def: StudyDef): Promise<{ created: boolean }> {
    const r = await this.store.registerStudy(def);
    await this.previewStore.registerStudy(def);
    this.served.set(def.protocol.id, def.version);
    return r;
  }

  /** The served version of a study, if it is served. */
  versionOf(studyId: string): string | undefined {
    return this.served.get(studyId);
  }

  list(): { studyId: string; version: string }[] {
    return [...this.served].map(([studyId, version]) => ({ studyId, version }));
  }

  /** Whether a new (non-resuming) participant would be refused because every slot is taken. */
  async isFull(studyId: string, now: number): Promise<boolean> {
    const version = this.served.get(studyId);
    if (!version) return false;
    return 'full' in chooseCondition(await this.store.conditionCounts(studyId, now, version), 0);
  }

  /** Read from the store once per version, then from memory (a version never changes). */
  runtime(studyId: string, version: string, preview = false): Promise<Runtime> {
    const key = `${preview ? 'p' : 'm'}\u0000${studyId}\u0000${version}`;
    let rt = this.runtimes.get(key);
    if (!rt) {
      rt = this.load(preview ? this.previewStore : this.store, studyId, version);
      this.runtimes.set(key, rt);
      rt.catch(() => this.runtimes.delete(key));
    }
    return rt;
  }

  private async load(store: Store, studyId: string, version: string): Promise<Runtime> {
    const study = await store.studyVersion(studyId, version);
    if (!study) throw new Error(`unknown study ${studyId} version ${version}`);
    const list = await store.stimuliOf(studyId, version);
    return { protocol: study.protocol, list, stimuli: new Map(list.map((s) => [s.id, s])) };
  }

  /** The shortest slot TTL of the served studies (Infinity when none is served). */
  async shortestSlotTtlMs(): Promise<number> {
    let ttl = Infinity;
    for (const [studyId, version] of this.served) {
      ttl = Math.min(ttl, (await this.runtime(studyId, version)).protocol.design.slot_ttl_minutes * 60_000);
    }
    return ttl;
  }

  addPreview(participantId: string): void {
    this.previewIds.add(participantId);
  }

  isPreview(participantId: string): boolean {
    return this.previewIds.has(participantId);
  }

  storeOf(participantId: string): Store {
    return this.previewIds.has(participantId) ? this.previewStore : this.store;
  }

  close(): Promise<void> {
    return this.previewStore.close();
  }
}
