// The contract every question type fulfils, in the spirit of a jsPsych
// plugin's `info`: one descriptor declares the parameters a protocol may give,
// the answers the server accepts, how a bot answers, the part it plays in the
// analysis, its typed export columns and its correctness rule. The client
// renders the type with the element registered for it (client/questions);
// nothing else needs to know what a "likert" is.
import type { z } from 'zod';
import type { Rng } from './random.ts';
import type { Label } from './protocol.ts';
import type { Role } from './vocabulary/roles.ts';

/** What a bot knows when it answers: its randomness, its profile and the stimulus shown (bots peek, people don't). */
export interface BotContext {
  rng: Rng;
  /** attentive: plausible answers, passes checks; random: uniform; careless: uniform and fails attention checks. */
  profile: 'attentive' | 'random' | 'careless';
  stimulus?: { label: Label; boundary?: number; sentences?: string[] };
  /**
   * Simulated effect for attentive bots, in scale units of the item: machine
   * texts are rated `effect` lower than human ones (credibility), and judgments
   * are right more often as effect grows. 0 or absent = no difference.
   */
  effect?: number;
}

/** What the reader of an answer may know about the trial (for `correct` of judgment and boundary questions). */
export interface ReadContext {
  stimulus?: { label: Label; boundary?: number };
}

export interface AnalysisColumn {
  name: string;
  type: 'number' | 'string' | 'boolean';
  description: string;
}

export interface ReadValue {
  value_num: number | null;
  value_text: string | null;
  correct: boolean | null;
}

/** The answer range of a scale item, lowest first (analysis: ranges, top-two-box, codebook levels). */
export interface Scale {
  min: number;
  max: number;
  /** Point labels or option values, lowest first; empty when the points are unlabelled numbers. */
  levels: string[];
}

export interface QuestionType<P = any, A = any> {
  type: string;
  /**
   * Asked by the engine itself, never written in a protocol (the consent
   * question of the consent page); the loader refuses it in a protocol.
   */
  engineOnly?: boolean;
  /** The question shows the page's stimulus itself (boundary lists its sentences), so the page does not show it again. */
  presentsStimulus?: boolean;
  /** Parameters beyond {type, id, prompt, required, analysis}; a strict schema, so a misspelt key is reported. */
  params: z.ZodType<P, z.ZodTypeDef, any>;
  /** Validates a submitted answer (server side, on every submit). Missing answers to optional questions never reach it. */
  response(params: P): z.ZodType<A>;
  botAnswer(params: P, ctx: BotContext): A;
  /**
   * The role its questions play in the analysis unless the protocol names one
   * (`analysis:`). Without params (an answer stored under a question the
   * protocol no longer has), the role the type plays whatever its parameters.
   */
  role(params: P | undefined): Role;
  /** Scale items: the answer range and its levels. */
  scale?(params: P): Scale | undefined;
  /** attention/comprehension: the right answer. */
  expected?(params: P): unknown;
  /** The correctness rule of an unanswered (timed-out) question: attention checks left to time out are failed. */
  unansweredCorrect?: boolean;
  /** The analysis columns of one answer (ResponseRow value_num/value_text/correct). */
  read(params: P, answer: A, ctx?: ReadContext): ReadValue;
  /** Detection items: whether a stored answer says "machine" (true), "human" (false), or cannot tell (null). */
  saysMachine?(params: P, row: Pick<ReadValue, 'value_num' | 'value_text'>): boolean | null;
  /** Codebook: the columns `read` (and `parts`, named by part) fill, with their types. */
  columns(params: P): AnalysisColumn[];
  /** Composite answers (demographics, ranking): one named value per sub-answer, for wide exports. */
  parts?(answer: A): Record<string, number | string | boolean | null>;
}

/** The keys every question has; everything else is the type's parameters. */
export const COMMON_QUESTION_KEYS = ['type', 'id', 'prompt', 'required', 'analysis'] as const;

/** The parameter part of a protocol question. */
export function questionParams(question: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(question)) if (!(COMMON_QUESTION_KEYS as readonly string[]).includes(k)) out[k] = v;
  return out;
}

/** A normal draw clamped to [lo, hi] and rounded to the nearest step above lo. */
export function clampedNormal(rng: Rng, mean: number, sd: number, lo: number, hi: number, step = 1): number {
  // Box–Muller; 1 - next() keeps log away from 0.
  const u = 1 - rng.next();
  const v = rng.next();
  const x = mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  const snapped = lo + Math.round((x - lo) / step) * step;
  return Math.min(hi, Math.max(lo, Number(snapped.toFixed(10))));
}

/** Uniform over the grid lo, lo+step, …, ≤ hi. */
export function uniformStep(rng: Rng, lo: number, hi: number, step = 1): number {
  const n = Math.floor((hi - lo) / step + 1e-9) + 1;
  return Number((lo + rng.int(n) * step).toFixed(10));
}
