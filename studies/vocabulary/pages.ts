// The kinds of page a study is made of, and one page of a participant's
// concrete sequence. Shared by the engine (which plans and serves pages), the
// store (which records the kind of each answered page), the client (which shows
// them) and analysis (which reads `page_kind`).
import type { Question } from '../protocol.ts';

export const PAGE_KINDS = [
  'consent',
  'instructions',
  'comprehension',
  'training',
  'trial',
  'attention',
  'questionnaire',
  'debrief',
] as const;

export type PageKind = (typeof PAGE_KINDS)[number];

/** One page of a participant's concrete sequence, fixed at assignment (studies/plan.ts). */
export interface PlannedPage {
  kind: PageKind;
  /** The phase (or block, on trial pages) the page came from. */
  block: string | null;
  /** 0-based position among the participant's trial pages; null elsewhere. */
  trialIndex: number | null;
  title?: string;
  text?: string;
  stimulusId?: string;
  /** Training items may carry their own text instead of a pool stimulus. */
  inlineStimulus?: { id: string; text: string; label?: Record<string, unknown> };
  questions: Question[];
  timeLimitMs?: number;
  minReadMs?: number;
  /** Training: shown after the answer. */
  feedback?: string;
  /** Comprehension: attempts allowed. */
  attempts?: number;
  gltr?: boolean;
}
