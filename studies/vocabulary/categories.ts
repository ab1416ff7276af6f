// Words the categorising parts share: the lexicons (studies/lexicons.ts), the
// categorize question (studies/questions/categorize.ts, its client element)
// and the analysis that compares people with a lexicon.

/** The answer value of "none of these"; no lexicon category may take the name. */
export const NONE_CATEGORY = 'none';

/** Detector name of a lexicon's rows in detector_scores: `lexicon:<name>` (model_hash = the lexicon's hash). */
export const LEXICON_DETECTOR_PREFIX = 'lexicon:';
