// The tidy tables analysis reads: one row per answered (or timed-out) question,
// one row per participant, one row per detector score. The store yields these
// (server/store), exports write them, and every statistic in analysis/ is a pure
// function of them. Column names are snake_case so that R and pandas read them
// as they are.
import type { PageKind } from '../studies/vocabulary/pages.ts';
import type { ParticipantState } from '../studies/vocabulary/statuses.ts';

export type StimulusSource = 'human' | 'machine';

export interface ResponseRow {
  study_id: string;
  /** Hash of the normalised protocol the participant ran. */
  study_version: string;
  participant_id: string;
  /** real | pilot | bot (absent in rows made before kinds existed: real). */
  participant_kind?: string;
  condition: string;
  page_index: number;
  page_kind: PageKind;
  /** The block id (trials) or phase id the page came from. */
  block: string | null;
  /** 0-based position of this trial among the participant's trials, null off trial pages. */
  trial_index: number | null;
  question_id: string;
  question_type: string;
  stimulus_id: string | null;
  stimulus_pool: string | null;
  stimulus_source: StimulusSource | null;
  model: string | null;
  model_size: string | null;
  sampling: string | null;
  length_words: number | null;
  /** The answer as JSON text (null when timed out or unanswered). */
  value_json: string | null;
  /** The answer as a number when the question type reads as one (likert point, slider, judgment scale...). */
  value_num: number | null;
  /** The answer as text for text/choice questions. */
  value_text: string | null;
  /** For attention/comprehension/training items: whether the answer matched the expected one. */
  correct: boolean | null;
  rt_ms: number | null;
  /** The server's own observation of the page, from sending it to the answer, ms. */
  rt_server_ms?: number | null;
  /** The reported rt_ms contradicts the server's observation beyond clock and latency slack. */
  rt_inconsistent?: boolean;
  timed_out: boolean;
  /** Exports only (analysis/export/flags.ts): a trial answer faster than the protocol's min_rt_ms. */
  too_fast?: boolean;
  /** Exports only: the participant failed an attention check (answered wrongly, timed out, or was ended for it). */
  failed_attention?: boolean;
  /** Exports only: times another browser took the participant's record over with the same recruiter id. */
  takeovers?: number;
  /** Times the page lost focus or was hidden while shown. */
  blur_count: number;
  submitted_at: string;
  client_id: string | null;
}

/** Response rows as a reader hands them out: an array or a synchronous cursor, or batches from a network cursor. */
export type RowStream = Iterable<ResponseRow> | AsyncIterable<ResponseRow>;

/**
 * What the analysis reads of a response row (collect.ts): a ResponseRow is one, and a store's
 * analysis read (responsesForAnalysis) hands out only these, without the columns only exports
 * carry (times, client and block ids, the server's timing), which at a million rows cost more
 * to read and keep than the statistics.
 */
export type AnalysisResponseRow = Pick<
  ResponseRow,
  | 'study_version'
  | 'participant_id'
  | 'condition'
  | 'page_kind'
  | 'question_id'
  | 'question_type'
  | 'stimulus_id'
  | 'stimulus_source'
  | 'model_size'
  | 'sampling'
  | 'length_words'
  | 'value_json'
  | 'value_num'
  | 'value_text'
  | 'correct'
  | 'rt_ms'
  | 'rt_inconsistent'
  | 'timed_out'
>;

export interface ParticipantRow {
  study_id: string;
  study_version: string;
  participant_id: string;
  /** real | pilot | bot (absent: real). */
  kind?: string;
  condition: string;
  /** The stored status, or 'abandoned' for one in progress but idle past the slot TTL. */
  status: ParticipantState;
  prolific_pid: string | null;
  prolific_study_id: string | null;
  prolific_session_id: string | null;
  /** Seed of every random choice made for this participant. */
  assignment_seed: number;
  started_at: string;
  ended_at: string | null;
  pages_total: number;
  page_index: number;
  /** Times another browser took this record over with the same recruiter id (see docs/deploy.md); 0 for most. */
  takeovers: number;
}

/** What the analysis reads of a participant row: a ParticipantRow is one (participantsForAnalysis reads only these). */
export type AnalysisParticipantRow = Pick<ParticipantRow, 'participant_id' | 'condition' | 'status'>;

export interface StimulusRow {
  study_id: string;
  stimulus_id: string;
  pool: string;
  source: StimulusSource;
  model: string | null;
  model_size: string | null;
  sampling: string | null;
  length_words: number;
  text: string;
  /** JSON: prompt, seed, sampling parameters, model hash, dtype, software version. */
  provenance_json: string | null;
  /** The stimulus's whole label as JSON (probe pools add template, prompt, slot, slot_value); absent where not read. */
  label_json?: string | null;
  /** RoFT passages: 0-based index of the first machine-written sentence (absent or null elsewhere). */
  boundary?: number | null;
  /** RoFT passages: how many sentences the passage was split into (the chance rate is 1 / this). */
  sentence_count?: number | null;
}

export interface DetectorScoreRow {
  study_id: string;
  stimulus_id: string;
  /** roberta | zero-shot | tfidf */
  detector: string;
  /** sha256 of the model file (or of the trained TF-IDF model's parameters). */
  model_hash: string;
  /** e.g. real_probability, fake_probability, mean_logprob, mean_rank, mean_log_rank, mean_entropy, gltr_top10, fast_detectgpt */
  metric: string;
  value: number;
  scored_at: string;
}
