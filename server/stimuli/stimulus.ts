// What a participant reads: one text with its label and where it came from.
import type { Label } from '../../studies/protocol.ts';

export interface Stimulus {
  /** `${pool}-${i}`: stable for a given protocol version and data. */
  id: string;
  pool: string;
  text: string;
  label: Label;
  length_words: number;
  /**
   * The id of the human text this stimulus is or came from: its own id for a
   * human text, the prompt's text for a continuation or a RoFT passage
   * (`distinct_by: source` keeps two of them from one participant).
   */
  source: string;
  /** Generated stimuli: the prompt the model continued. */
  prompt?: string;
  /** RoFT: 0-based index of the first machine-written sentence of `sentences`. */
  boundary?: number;
  /**
   * RoFT: the passage's sentences as the participant must see them. Authoritative
   * (a model's continuation may start without a capital, so re-splitting `text`
   * can merge the boundary sentence into the human part).
   */
  sentences?: string[];
  /** Per-token ranks of generated text, when `credence prepare` stored them (GLTR overlay). */
  gltr?: { token: string; rank: number }[];
  /** How the text was obtained: corpus file and lines, import file and record, model, seed, sampling… */
  provenance?: Record<string, unknown>;
}

/** A pool that cannot be turned into stimuli (missing or corrupt file, too few texts, unprepared generated pool). */
export class StimulusError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StimulusError';
  }
}
