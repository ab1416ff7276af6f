// The raw CSV's columns: exactly the fields of analysis/rows.ts ResponseRow, in
// its order. The type check below fails to compile if ResponseRow gains a field
// that is not listed here, so the CSV cannot silently drop one.
import type { ResponseRow } from '../../../analysis/rows.ts';

export const RESPONSE_COLUMNS = [
  'study_id',
  'study_version',
  'participant_id',
  'participant_kind',
  'condition',
  'page_index',
  'page_kind',
  'block',
  'trial_index',
  'question_id',
  'question_type',
  'stimulus_id',
  'stimulus_pool',
  'stimulus_source',
  'model',
  'model_size',
  'sampling',
  'length_words',
  'value_json',
  'value_num',
  'value_text',
  'correct',
  'rt_ms',
  'rt_server_ms',
  'rt_inconsistent',
  'timed_out',
  'blur_count',
  'submitted_at',
  'client_id',
] as const satisfies readonly (keyof ResponseRow)[];

type Unlisted = Exclude<keyof ResponseRow, (typeof RESPONSE_COLUMNS)[number]>;
const everyFieldListed: [Unlisted] extends [never] ? true : { missing: Unlisted } = true;
void everyFieldListed;
