// The part a question plays in the analysis. Each question type's descriptor
// declares the role its questions play by default (studies/questions); a
// protocol may name another with `analysis: <role>` on any question.

export const ROLES = [
  'credibility_4pt',
  'credibility_10',
  'sharing',
  'demographics',
  'detection',
  'confidence',
  'boundary',
  'attention',
  'comprehension',
  'rationale',
  /** Categorize questions: labels for the bias-probe analysis (analysis/categories.ts). */
  'categorization',
  'other',
] as const;

export type Role = (typeof ROLES)[number];
