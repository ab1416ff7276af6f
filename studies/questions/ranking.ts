// Put options in order (most to least, as the prompt says), by dragging or by
// keyboard. The answer is the order: every option value once, first = rank 1.
import { z } from 'zod';
import type { QuestionType } from '../question-type.ts';
import { shuffle } from '../random.ts';
import { OptionsSchema, optionValues } from './options.ts';

const Params = z.object({ options: OptionsSchema }).strict();
type Params = z.infer<typeof Params>;
type Answer = string[];

export const ranking: QuestionType<Params, Answer> = {
  type: 'ranking',
  params: Params,
  response: (p) =>
    z
      .array(z.enum(optionValues(p.options)))
      .length(p.options.length, `all ${p.options.length} options in order`)
      .refine((a) => new Set(a).size === a.length, 'each option once'),
  // No option is right; every profile answers with a uniformly random order.
  botAnswer: (p, ctx) => shuffle(p.options.map((o) => o.value), ctx.rng),
  role: () => 'other',
  read: (_p, a) => ({ value_num: null, value_text: a.join('|'), correct: null }),
  /** Wide export: one column per option holding its rank, 1 = first. */
  parts: (a) => Object.fromEntries(a.map((v, i) => [v, i + 1])),
  columns: (p) => [
    { name: 'value_text', type: 'string', description: `option values from first (rank 1) to last, joined by |, of: ${p.options.map((o) => o.value).join(', ')}` },
    ...p.options.map((o) => ({ name: o.value, type: 'number' as const, description: `rank given to "${o.label}", 1 = first of ${p.options.length}` })),
  ],
};
