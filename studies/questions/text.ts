// Free text (e.g. the rationale for a judgment), with length bounds in characters.
import { z } from 'zod';
import type { QuestionType } from '../question-type.ts';

const Params = z
  .object({
    min_length: z.number().int().min(0).default(0),
    max_length: z.number().int().min(1).max(10000).default(1000),
    placeholder: z.string().optional(),
    multiline: z.boolean().default(true),
  })
  .strict()
  .refine((p) => p.max_length >= p.min_length, { message: 'max_length must be ≥ min_length', path: ['max_length'] });
type Params = z.infer<typeof Params>;

const REASONS = [
  'The wording felt natural and the details fit together.',
  'Some sentences repeat themselves and the topic drifts.',
  'It reads like a typical news report with specific names and dates.',
  'A few phrases are odd and the logic does not quite follow.',
  'The style is consistent from start to end.',
];
const LETTERS = 'abcdefghijklmnopqrstuvwxyz ';

function fit(p: Params, s: string, pad: () => string): string {
  let out = s;
  while (out.length < p.min_length) out += ' ' + pad();
  return out.slice(0, p.max_length).trim().padEnd(p.min_length, '.');
}

export const text: QuestionType<Params, string> = {
  type: 'text',
  params: Params,
  response: (p) =>
    z
      .string()
      .max(p.max_length, `at most ${p.max_length} characters`)
      .refine((s) => s.trim().length >= p.min_length, `at least ${p.min_length} characters`),
  botAnswer(p, ctx) {
    if (ctx.profile === 'attentive') {
      const pick = () => REASONS[ctx.rng.int(REASONS.length)];
      return fit(p, pick(), pick);
    }
    const gibberish = () => Array.from({ length: 8 }, () => LETTERS[ctx.rng.int(LETTERS.length)]).join('');
    return fit(p, gibberish(), gibberish);
  },
  role: () => 'rationale',
  read: (_p, a) => ({ value_num: null, value_text: a, correct: null }),
  columns: (p) => [{ name: 'value_text', type: 'string', description: `free text, ${p.min_length}–${p.max_length} characters` }],
};
