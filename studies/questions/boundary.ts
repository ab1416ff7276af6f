// Real or Fake Text (RoFT): the passage is shown sentence by sentence and the
// participant picks the first sentence written by the machine. The answer is
// a 0-based sentence index as split by studies/sentences.ts; the stimulus
// carries the true index as `boundary`. The engine also checks the index is
// below the stimulus' sentence count, which the descriptor cannot know.
import { z } from 'zod';
import { clampedNormal, type QuestionType } from '../question-type.ts';

const Params = z
  .object({
    /** RoFT awards points by distance past the boundary; shown to the participant if set. */
    show_points: z.boolean().default(false),
  })
  .strict();
type Params = z.infer<typeof Params>;

/** RoFT scoring: 5 points for the exact sentence, fewer the later the guess, 0 before the boundary. */
export function roftPoints(guess: number, boundary: number): number {
  return guess < boundary ? 0 : Math.max(0, 5 - (guess - boundary));
}

export const boundary: QuestionType<Params, number> = {
  type: 'boundary',
  presentsStimulus: true,
  params: Params,
  response: () => z.number().int().min(0).max(1000),
  botAnswer(_p, ctx) {
    const n = ctx.stimulus?.sentences?.length ?? 10;
    const truth = ctx.stimulus?.boundary;
    if (ctx.profile !== 'attentive' || truth === undefined) return ctx.rng.int(n);
    // People guess late more often than early (RoFT); a folded normal past the boundary.
    const late = Math.abs(clampedNormal(ctx.rng, 0, 1.5 / (1 + (ctx.effect ?? 0)), -n, n));
    return Math.min(n - 1, truth + late);
  },
  role: () => 'boundary',
  read: (_p, a, ctx) => ({
    value_num: a,
    value_text: null,
    correct: ctx?.stimulus?.boundary === undefined ? null : a === ctx.stimulus.boundary,
  }),
  columns: () => [
    { name: 'value_num', type: 'number', description: '0-based index of the sentence picked as the first machine-written one' },
    { name: 'correct', type: 'boolean', description: 'the pick equals the true boundary' },
  ],
};
