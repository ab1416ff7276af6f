// The whole analysis of one study as one pure function of its tables: read the
// responses once, apply the declared exclusions, then every statistic.
import type { Protocol } from '../studies/protocol.ts';
import type { AnalysisParticipantRow, AnalysisResponseRow, DetectorScoreRow, StimulusRow } from './rows.ts';
import { collect, type Collected } from './collect.ts';
import { questionMap } from './roles.ts';
import { applyExclusions, type Exclusions } from './exclusions.ts';
import { analyzeCredibility, type ScaleAnalysis, type ScaleOptions } from './credibility.ts';
import { analyzeDetection, machineShareByStimulus, type DetectionAnalysis } from './detection.ts';
import { analyzeRoft, type RoftAnalysis } from './roft.ts';
import { analyzeDetectors, transferMatrix, type DetectorAnalysis, type TrainFn, type TransferMatrix } from './detectors.ts';
import { protocolTermComparisons, type TermsComparison } from './terms.ts';
import { analyzeCategories, type CategoryAnalysis } from './categories.ts';

export interface AnalysisInput {
  study: Protocol;
  /** Full ParticipantRows and ResponseRows will do; a store's analysis reads (participantsForAnalysis, responsesForAnalysis) carry only what is read. */
  participants: readonly AnalysisParticipantRow[];
  responses: Iterable<AnalysisResponseRow>;
  stimuli: readonly StimulusRow[];
  scores: readonly DetectorScoreRow[];
}

export interface AnalysisOptions extends ScaleOptions {
  /** The TF-IDF trainer for the transfer matrix (server/detectors); no matrix without it. */
  train?: TrainFn;
}

export interface AnalysisResult {
  studyId: string;
  title: string;
  studyVersions: string[];
  responses: number;
  conditions: string[];
  /** Each condition's label from the protocol (its id when it has none). */
  conditionLabels: Record<string, string>;
  /** Per condition: the protocol's target and the participants who completed and were not excluded. */
  sample: { condition: string; target: number; analysed: number }[];
  exclusions: Omit<Exclusions, 'excluded'>;
  scales: ScaleAnalysis[];
  detection: DetectionAnalysis | null;
  roft: RoftAnalysis | null;
  detectors: DetectorAnalysis | null;
  transfer: TransferMatrix | null;
  /** Distinctive terms between the sets of stimuli the protocol names (`report.terms`; the release report's Figure 5). */
  terms: TermsComparison[];
  /** Bias probes: categories by model size and probe, from lexicons and from people (categorize questions). */
  categories: CategoryAnalysis | null;
  /** Judgments or picks without a labelled stimulus: counted, not analysed. */
  unlabelled: number;
  /** What could not be computed, and why. */
  notes: string[];
  /** Every protocol question and the part it plays in the analysis (analysis/roles.ts). */
  questions: { id: string; type: string; role: string; phase: string }[];
}

export function analyzeStudy(input: AnalysisInput, opts: AnalysisOptions = {}): AnalysisResult {
  const c = collect({ protocol: input.study, participants: input.participants, responses: input.responses, stimuli: input.stimuli });
  return analyzeCollected(c, input.stimuli, input.scores, opts);
}

export function analyzeCollected(c: Collected, stimuli: readonly StimulusRow[], scores: readonly DetectorScoreRow[], opts: AnalysisOptions = {}): AnalysisResult {
  const ex = applyExclusions(c);
  const seed = opts.seed ?? c.protocol.design.seed;
  const { excluded: _excluded, ...exclusions } = ex;
  const notes: string[] = [];
  let transfer: TransferMatrix | null = null;
  if (opts.train) {
    try {
      transfer = transferMatrix(stimuli, opts.train, seed);
      if (!transfer) notes.push('TF-IDF transfer matrix: needs machine texts and at least 4 human texts');
    } catch (err) {
      notes.push(`TF-IDF transfer matrix skipped: ${(err as Error).message}`);
    }
  }
  // Completed and not excluded, per condition: one pass over the participants, not one per condition.
  const analysed = new Map<string, number>();
  for (const p of c.participants) if (p.status === 'completed' && !ex.excluded.has(p.index)) analysed.set(p.condition, (analysed.get(p.condition) ?? 0) + 1);
  return {
    studyId: c.protocol.id,
    title: c.protocol.title,
    studyVersions: [...c.studyVersions],
    responses: c.rows,
    conditions: c.conditions,
    sample: c.conditions.map((id) => ({
      condition: id,
      target: c.protocol.design.conditions.find((d) => d.id === id)?.target ?? 0,
      analysed: analysed.get(id) ?? 0,
    })),
    conditionLabels: Object.fromEntries(c.conditions.map((id) => [id, c.protocol.design.conditions.find((d) => d.id === id)?.label ?? id])),
    exclusions,
    scales: analyzeCredibility(c, ex, opts),
    detection: analyzeDetection(c, ex),
    roft: analyzeRoft(c, ex),
    detectors: analyzeDetectors(stimuli, scores, machineShareByStimulus(c, ex), seed),
    transfer,
    terms: protocolTermComparisons(c.protocol, stimuli),
    categories: analyzeCategories(c, ex, stimuli, scores),
    unlabelled: c.unlabelled,
    notes,
    questions: [...questionMap(c.protocol).values()].map((q) => ({ id: q.id, type: q.type, role: q.role, phase: q.phase })),
  };
}
