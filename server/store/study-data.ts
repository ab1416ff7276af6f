// One study's data as the analysis reads it: the one assembly behind
// `credence analyze` and `credence export` and the /admin report (studyData), and
// the /admin results (analysisInput, the same rows without what only exports
// need), so the web and the CLI analyse exactly the same rows.
import type { AnalysisInput } from '../../analysis/analyze.ts';
import type { ParticipantRow, ResponseRow } from '../../analysis/rows.ts';
import { participantFlags, withFlags } from '../../analysis/export/flags.ts';
import type { Store } from './store.ts';
import { DEFAULT_KINDS, PARTICIPANT_KINDS, type ParticipantKind } from '../../studies/vocabulary/participant-kinds.ts';

/** What the exports of one study write: everything but the analysis's own read of the responses. */
export interface StudyExport extends Omit<AnalysisInput, 'responses' | 'participants'> {
  studyId: string;
  /** Every stored version of the protocol, oldest first (the newest is `study`). */
  versions: string[];
  /** The participant kinds in the data (real only unless asked). */
  kinds: ParticipantKind[];
  /** How many participants of the other kinds were left out. */
  leftOut: Partial<Record<ParticipantKind, number>>;
  /** Whole rows: exports write them and the report's metadata reads their versions. */
  participants: readonly ParticipantRow[];
  /**
   * The responses as the exports write them, with the exclusion flags too_fast, failed_attention and
   * takeovers filled in. Re-iterable; each pass streams the rows from the store (flaggedRows).
   */
  exportRows: AsyncIterable<ResponseRow>;
}

/** One study's export and the rows its analysis reads. */
export interface StudyData extends StudyExport, AnalysisInput {
  participants: readonly ParticipantRow[];
}

/** "left out: 3 pilot, 12 bot", or '' when nobody was. */
export function leftOutText(data: Pick<StudyData, 'leftOut'>): string {
  const parts = PARTICIPANT_KINDS.filter((k) => (data.leftOut[k] ?? 0) > 0).map((k) => `${data.leftOut[k]} ${k}`);
  return parts.length ? `left out: ${parts.join(', ')}` : '';
}

/** Undefined when the store holds no version of the study. Only real participants unless `kinds` says otherwise. */
export async function studyExport(store: Store, studyId: string, kinds: readonly ParticipantKind[] = DEFAULT_KINDS): Promise<StudyExport | undefined> {
  const newest = await store.studyVersion(studyId);
  if (!newest) return undefined;
  const counts = await store.kindCounts(studyId);
  const participants = await store.participants(studyId, kinds);
  return {
    studyId,
    study: newest.protocol,
    versions: (await store.studyVersions(studyId)).map((v) => v.version),
    kinds: [...kinds],
    leftOut: Object.fromEntries(PARTICIPANT_KINDS.filter((k) => !kinds.includes(k)).map((k) => [k, counts[k]])),
    participants,
    exportRows: flaggedRows(store, studyId, kinds, newest.protocol.exclusions.min_rt_ms, participants),
    stimuli: await store.stimuli(studyId),
    scores: await store.detectorScores(studyId),
  };
}

/** studyExport and the analysis's read of the responses (re-iterable; it reads only the analysis's columns). */
export async function studyData(store: Store, studyId: string, kinds: readonly ParticipantKind[] = DEFAULT_KINDS): Promise<StudyData | undefined> {
  const data = await studyExport(store, studyId, kinds);
  return data && { ...data, responses: await store.responsesForAnalysis(studyId, kinds) };
}

/**
 * The responses as the exports write them, re-iterable. Each pass reads the rows twice through the store's
 * download read (streamed on either engine, so memory stays flat): first the participants' flags, then the
 * rows with them. Each read is closed when its pass ends or is abandoned (a download the client left).
 */
export function flaggedRows(
  store: Store,
  studyId: string,
  kinds: readonly ParticipantKind[],
  minRtMs: number | null | undefined,
  participants: readonly ParticipantRow[],
): AsyncIterable<ResponseRow> {
  return {
    async *[Symbol.asyncIterator]() {
      const first = await store.responsesForExport(studyId, kinds);
      let flags;
      try {
        flags = await participantFlags(first.rows, participants);
      } finally {
        first.close();
      }
      const second = await store.responsesForExport(studyId, kinds);
      try {
        yield* withFlags(second.rows, minRtMs, flags);
      } finally {
        second.close();
      }
    },
  };
}

/**
 * What the analysis alone reads (the /admin results, bench/analyze): studyData's analysis input without
 * what only exports and the report's metadata need (whole participant rows, versions, kind counts).
 * Undefined when the store holds no version of the study.
 */
export async function analysisInput(store: Store, studyId: string, kinds: readonly ParticipantKind[] = DEFAULT_KINDS): Promise<AnalysisInput | undefined> {
  const newest = await store.studyVersion(studyId);
  if (!newest) return undefined;
  return {
    study: newest.protocol,
    participants: await store.participantsForAnalysis(studyId, kinds),
    responses: await store.responsesForAnalysis(studyId, kinds),
    stimuli: await store.stimuli(studyId),
    scores: await store.detectorScores(studyId),
  };
}
