// One study's data as the analysis reads it: the one assembly behind
// `credence analyze` and `credence export` and the /admin report (studyData), and
// the /admin results (analysisInput, the same rows without what only exports
// need), so the web and the CLI analyse exactly the same rows.
import type { AnalysisInput } from '../../analysis/analyze.ts';
import type { ParticipantRow, ResponseRow } from '../../analysis/rows.ts';
import { participantFlags, withFlags } from '../../analysis/export/flags.ts';
import type { Store } from './store.ts';
import { DEFAULT_KINDS, PARTICIPANT_KINDS, type ParticipantKind } from '../../studies/vocabulary/participant-kinds.ts';

export interface StudyData extends AnalysisInput {
  studyId: string;
  /** Every stored version of the protocol, oldest first (the newest is `study`). */
  versions: string[];
  /** The participant kinds in the data (real only unless asked). */
  kinds: ParticipantKind[];
  /** How many participants of the other kinds were left out. */
  leftOut: Partial<Record<ParticipantKind, number>>;
  /** Whole rows: exports write them and the report's metadata reads their versions. */
  participants: readonly ParticipantRow[];
  /** The responses as the exports write them: with the exclusion flags too_fast, failed_attention and takeovers filled in. */
  exportRows: Iterable<ResponseRow>;
}

/** "left out: 3 pilot, 12 bot", or '' when nobody was. */
export function leftOutText(data: Pick<StudyData, 'leftOut'>): string {
  const parts = PARTICIPANT_KINDS.filter((k) => (data.leftOut[k] ?? 0) > 0).map((k) => `${data.leftOut[k]} ${k}`);
  return parts.length ? `left out: ${parts.join(', ')}` : '';
}

/** Undefined when the store holds no version of the study. Only real participants unless `kinds` says otherwise. */
export async function studyData(store: Store, studyId: string, kinds: readonly ParticipantKind[] = DEFAULT_KINDS): Promise<StudyData | undefined> {
  const newest = await store.studyVersion(studyId);
  if (!newest) return undefined;
  const counts = await store.kindCounts(studyId);
  const participants = await store.participants(studyId, kinds);
  const responses = await store.iterateResponses(studyId, kinds);
  return {
    studyId,
    study: newest.protocol,
    versions: (await store.studyVersions(studyId)).map((v) => v.version),
    kinds: [...kinds],
    leftOut: Object.fromEntries(PARTICIPANT_KINDS.filter((k) => !kinds.includes(k)).map((k) => [k, counts[k]])),
    participants,
    // Re-iterable: each pass reads the rows afresh; the analysis reads only its columns.
    responses: await store.responsesForAnalysis(studyId, kinds),
    exportRows: {
      [Symbol.iterator]: () => {
        // The participants' flags need a first pass of their own; the rows then stream with them.
        const flags = participantFlags(responses, participants);
        return withFlags(responses, newest.protocol.exclusions.min_rt_ms, flags);
      },
    },
    stimuli: await store.stimuli(studyId),
    scores: await store.detectorScores(studyId),
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
