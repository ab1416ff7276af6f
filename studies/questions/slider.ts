// A number on a min–max line in steps (e.g. credibility 0–10).
import { z } from 'zod';
import { clampedNormal, uniformStep, type QuestionType } from '../question-type.ts';

const Params = z
  .object({
    min: z.number(),
    max: z.number(),
    step: z.number().positive().default(1),
    /** Words at the two ends of the line. */
    labels: z.object({ min: z.string().optional(), max: z.string().optional() }).strict().optional(),
  })
  .strict()
  .refine((p) => p.max > p.min, { message: 'max must be greater than min', path: ['max'] });
type Params = z.infer<typeof Params>;

function onGrid(p: Params, v: number): boolean {
  const k = (v - p.min) / p.step;
  return Math.abs(k - Math.round(k)) < 1e-6;
}

export const slider: QuestionType<Params, number> = {
  type: 'slider',
  params: Params,
  response: (p) =>
    z
      .number()
      .min(p.min)
      .max(p.max)
      .refine((v) => onGrid(p, v), `a multiple of ${p.step} from ${p.min}`),
  botAnswer(p, ctx) {
    if (ctx.profile !== 'attentive') return uniformStep(ctx.rng, p.min, p.max, p.step);
    const span = p.max - p.min;
    const shift = ctx.stimulus?.label.source === 'machine' ? -(ctx.effect ?? 0) : 0;
    return clampedNormal(ctx.rng, p.min + 0.62 * span + shift, span / 6, p.min, p.max, p.step);
  },
  // A 0–10 slider is the credibility item of Kreps et al.; others are analysed only when the protocol names a role.
  role: (p) => (p?.min === 0 && p.max === 10 ? 'credibility_10' : 'other'),
  scale: (p) => ({ min: p.min, max: p.max, levels: [] }),
  read: (_p, a) => ({ value_num: a, value_text: null, correct: null }),
  columns: (p) => [
    {
      name: 'value_num',
      type: 'number',
      description: `${p.min} (${p.labels?.min ?? 'min'}) … ${p.max} (${p.labels?.max ?? 'max'}), step ${p.step}`,
    },
  ],
};
