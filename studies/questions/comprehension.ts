// A question about the instructions with one right option. The engine gives
// the comprehension phase's `attempts` (default 2), then ends the participant.
import { z } from 'zod';
import type { QuestionType } from '../question-type.ts';
import { OptionsSchema } from './options.ts';
import { attention } from './attention.ts';

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
  // Answered, checked and read exactly as an attention item; only bots and the codebook differ.
  response: attention.response,
  role: () => 'comprehension',
  expected: attention.expected,
  botAnswer(p, ctx) {
    if (ctx.profile === 'attentive') return p.expected;
    const values = p.options.map((o) => o.value);
    return values[ctx.rng.int(values.length)];
  },
  read: attention.read,
  columns: (p) => [
    { name: 'value_text', type: 'string', description: `chosen option (expected: ${p.expected})` },
    { name: 'correct', type: 'boolean', description: 'answered as expected' },
  ],
};
