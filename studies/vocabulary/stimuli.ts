// A stimulus as the stimulus materialiser makes it (server/stimuli) and the
// page plan draws from it (studies/plan.ts, analysis/simulate.ts).

export interface StimulusInput {
  id: string;
  pool: string;
  text: string;
  label: { source: 'human' | 'machine'; model?: string; model_size?: string; sampling?: string; [k: string]: unknown };
  length_words: number;
  /** The id of the human text it is or came from (see server/stimuli/stimulus.ts); absent in databases made before it existed. */
  source?: string;
  boundary?: number;
  sentences?: string[];
  /** Generated stimuli: the prompt the model continued. */
  prompt?: string;
  /** Per-token ranks for the GLTR overlay. */
  gltr?: { token: string; rank: number }[];
  provenance?: unknown;
}
