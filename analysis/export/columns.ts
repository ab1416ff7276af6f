// The columns of the long export (one row per response), in order, with their
// type and meaning: the single source for the CSV header (`credence export`,
// `credence analyze` and /admin's responses.csv), the JSONL keys and the codebook.
import type { ResponseRow } from '../rows.ts';

export type ColumnType = 'string' | 'integer' | 'number' | 'boolean' | 'datetime' | 'json';

export interface ColumnDoc {
  name: keyof ResponseRow & string;
  type: ColumnType;
  description: string;
}

export const LONG_COLUMNS = [
  { name: 'study_id', type: 'string', description: 'Study id (the protocol file name)' },
  { name: 'study_version', type: 'string', description: 'sha256 of the normalised protocol the participant ran' },
  { name: 'participant_id', type: 'string', description: 'Participant id (not the Prolific id)' },
  { name: 'participant_kind', type: 'string', description: 'real | pilot | bot (analysis sees only real participants unless asked)' },
  { name: 'condition', type: 'string', description: 'Between-subject condition assigned by the server' },
  { name: 'page_index', type: 'integer', description: "0-based position of the page in the participant's plan" },
  { name: 'page_kind', type: 'string', description: 'Kind of page' },
  { name: 'block', type: 'string', description: 'Trials block id, or the phase id off trial pages' },
  { name: 'trial_index', type: 'integer', description: "0-based position among the participant's trials; empty off trial pages" },
  { name: 'question_id', type: 'string', description: 'Question id in the protocol (see the question rows of this codebook)' },
  { name: 'question_type', type: 'string', description: 'Question type' },
  { name: 'stimulus_id', type: 'string', description: 'Stimulus shown on the page; empty when none' },
  { name: 'stimulus_pool', type: 'string', description: 'Pool the stimulus came from' },
  { name: 'stimulus_source', type: 'string', description: 'True source of the stimulus' },
  { name: 'model', type: 'string', description: 'Generating model of a machine stimulus' },
  { name: 'model_size', type: 'string', description: 'Model size label of a machine stimulus (e.g. 355M)' },
  { name: 'sampling', type: 'string', description: 'Sampling method of a machine stimulus (e.g. top-k 40)' },
  { name: 'length_words', type: 'integer', description: 'Stimulus length in words' },
  { name: 'value_json', type: 'json', description: 'The answer exactly as submitted, as JSON; empty when timed out' },
  { name: 'value_num', type: 'number', description: "The answer as a number where the question type reads as one (see the question's levels)" },
  { name: 'value_text', type: 'string', description: 'The answer as text (choices, free text, judged source, demographics as JSON)' },
  { name: 'correct', type: 'boolean', description: 'Attention/comprehension: passed; judgment/boundary: right; empty otherwise' },
  { name: 'rt_ms', type: 'number', description: 'Reaction time in ms, from first paint to answer (client clock)' },
  { name: 'rt_server_ms', type: 'number', description: "The server's own observation of the page, from sending it to the answer, ms" },
  { name: 'rt_inconsistent', type: 'boolean', description: 'Exclusion flag: rt_ms contradicts the server observation beyond clock and latency slack' },
  { name: 'timed_out', type: 'boolean', description: 'Exclusion flag: the server deadline passed before an answer (answers given by then are kept)' },
  { name: 'too_fast', type: 'boolean', description: "Exclusion flag: a trial answer faster than the protocol's exclusions.min_rt_ms (dropped from the analysis when the rule is set)" },
  { name: 'failed_attention', type: 'boolean', description: 'Exclusion flag (per participant, on each of their rows): failed an attention check, by a wrong answer, a timeout or being ended for it' },
  { name: 'takeovers', type: 'integer', description: 'Exclusion flag (per participant, on each of their rows): times another browser took this record over with the same recruiter id; 0 for most' },
  { name: 'blur_count', type: 'integer', description: 'Times the page lost focus or was hidden while shown' },
  { name: 'submitted_at', type: 'datetime', description: 'Server time the response was stored (ISO 8601, UTC)' },
  { name: 'client_id', type: 'string', description: 'Client-made submission id (idempotent retries)' },
] as const satisfies readonly ColumnDoc[];

// Fails to compile if ResponseRow gains a field not listed above, so no export can silently drop one.
type Unlisted = Exclude<keyof ResponseRow, (typeof LONG_COLUMNS)[number]['name']>;
const everyFieldListed: [Unlisted] extends [never] ? true : { missing: Unlisted } = true;
void everyFieldListed;

/** How every CSV of the project writes a boolean; the codebook lists it as the levels of each boolean column. */
export const CSV_BOOLEAN_LEVELS = 'TRUE | FALSE';

/**
 * CSV cell text: empty for null (NA in R, NaN in pandas), TRUE/FALSE for
 * booleans (R reads them as logical; pandas, readr and Excel as booleans too).
 * The one encoding of every CSV the CLI and /admin write.
 */
export function csvCell(v: unknown): string {
  if (v == null) return '';
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  return String(v);
}
