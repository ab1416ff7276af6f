// A question about the instructions with one right option. The engine gives
// the comprehension phase's `attempts` (default 2), then ends the participant.
import { z } from 'zod';
import type { QuestionType } from '../question-type.ts';
import { OptionsSchema, optionValues } from './options.ts';

const Params = z
  .object({
    options: OptionsSchema,
    expected: z.string().min(1),
    /** Shown after a wrong attempt. */
    feedback: z.string().optional(),
  })
  .strict()
  .refine((p) => p.options.some((o) => o.value === p.expected), { message: 'expected must be one of the options', path: ['expected'] });
type Params = z.infer<typeof Params>;

export const comprehension: QuestionType<Params, string> = {
  type: 'comprehension',
  params: Params,
  response: (p) => z.enum(optionValues(p.options)),
  expected: (p) => p.expected,
  botAnswer(p, ctx) {
    if (ctx.profile === 'attentive') return p.expected;
    const values = p.options.map((o) => o.value);
    return values[ctx.rng.int(values.length)];
  },
  read: (p, a) => ({ value_num: null, value_text: a, correct: a === p.expected }),
  columns: (p) => [
    { name: 'value_text', type: 'string', description: `chosen option (expected: ${p.expected})` },
    { name: 'correct', type: 'boolean', description: 'answered as expected' },
  ],
};
