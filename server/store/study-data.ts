// One study's data as the analysis reads it: the one assembly behind
// `credence analyze` and `credence export`, the /admin report and the /admin
// results, so the web and the CLI analyse exactly the same rows.
import type { AnalysisInput } from '../../analysis/analyze.ts';
import type { Store } from './store.ts';

export interface StudyData extends AnalysisInput {
  studyId: string;
  /** Every stored version of the protocol, oldest first (the newest is `study`). */
  versions: string[];
}

/** Undefined when the store holds no version of the study. */
export function studyData(store: Store, studyId: string): StudyData | undefined {
  const newest = store.studyVersion(studyId);
  if (!newest) return undefined;
  return {
    studyId,
    study: newest.protocol,
    versions: store.studyVersions(studyId).map((v) => v.version),
    participants: store.participants(studyId),
    // Re-iterable: each pass (the analysis, each export) streams the rows afresh.
    responses: { [Symbol.iterator]: () => store.iterateResponses(studyId) },
    stimuli: store.stimuli(studyId),
    scores: store.detectorScores(studyId),
  };
}
