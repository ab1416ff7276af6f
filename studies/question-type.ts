// The contract every question type fulfils, in the spirit of jsPsych plugins:
// one descriptor declares the parameters a protocol may give, the answers the
// server accepts, how a bot answers, and how analysis reads the answer. The
// client renders the type; nothing else needs to know what a "likert" is.
import type { z } from 'zod';
import type { Rng } from './random.ts';
import type { Label } from './protocol.ts';

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

export interface QuestionType<P = any, A = any> {
  type: string;
  /** Parameters beyond {type, id, prompt, required}; a strict schema, so a misspelt key is reported. */
  params: z.ZodType<P, z.ZodTypeDef, any>;
  /** Validates a submitted answer (server side, on every submit). Missing answers to optional questions never reach it. */
  response(params: P): z.ZodType<A>;
  botAnswer(params: P, ctx: BotContext): A;
  /** attention/comprehension: the right answer. */
  expected?(params: P): unknown;
  /** The analysis columns of one answer (ResponseRow value_num/value_text/correct). */
  read(params: P, answer: A, ctx?: ReadContext): ReadValue;
  /** Codebook: the columns `read` (and `parts`, for composites) fill. */
  columns(params: P): AnalysisColumn[];
  /** Composite answers (demographics): one named value per sub-answer, for wide exports. */
  parts?(params: P, answer: A): Record<string, number | string | boolean | null>;
}

/** The keys every question has; everything else is the type's parameters. */
export const COMMON_QUESTION_KEYS = ['type', 'id', 'prompt', 'required'] as const;

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
