// An instructed-response item ("select 'Somewhat' to show you are reading"):
// the protocol states the expected option; failing it can exclude.
import { z } from 'zod';
import type { QuestionType } from '../question-type.ts';
import { OptionsSchema, optionValues } from './options.ts';

const Params = z
  .object({ options: OptionsSchema, expected: z.string().min(1) })
  .strict()
  .refine((p) => p.options.some((o) => o.value === p.expected), { message: 'expected must be one of the options', path: ['expected'] });
type Params = z.infer<typeof Params>;

export const attention: QuestionType<Params, string> = {
  type: 'attention',
  params: Params,
  response: (p) => z.enum(optionValues(p.options)),
  role: () => 'attention',
  scale: (p) => ({ min: 1, max: p.options.length, levels: p.options.map((o) => o.value) }),
  expected: (p) => p.expected,
  unansweredCorrect: false,
  botAnswer(p, ctx) {
    if (ctx.profile === 'attentive') return p.expected;
    const values = p.options.map((o) => o.value);
    if (ctx.profile === 'random') return values[ctx.rng.int(values.length)];
    const wrong = values.filter((v) => v !== p.expected);
    return wrong[ctx.rng.int(wrong.length)];
  },
  read: (p, a) => ({ value_num: null, value_text: a, correct: a === p.expected }),
  columns: (p) => [
    { name: 'value_text', type: 'string', description: `chosen option (expected: ${p.expected})` },
    { name: 'correct', type: 'boolean', description: 'passed the attention check' },
  ],
};
