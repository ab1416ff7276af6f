// Pick one option, or several (e.g. "Would you share this story?").
import { z } from 'zod';
import type { QuestionType } from '../question-type.ts';
import { shuffle } from '../random.ts';
import { OptionsSchema, optionValues } from './options.ts';

const Params = z
  .object({
    options: OptionsSchema,
    multiple: z.boolean().default(false),
    /** With multiple: how many must / may be picked. */
    min_selected: z.number().int().min(0).optional(),
    max_selected: z.number().int().min(1).optional(),
  })
  .strict()
  .refine((p) => p.multiple || (p.min_selected === undefined && p.max_selected === undefined), {
    message: 'min_selected/max_selected need multiple: true',
    path: ['multiple'],
  });
type Params = z.infer<typeof Params>;
type Answer = string | string[];

export const choice: QuestionType<Params, Answer> = {
  type: 'choice',
  params: Params,
  response(p) {
    const value = z.enum(optionValues(p.options));
    if (!p.multiple) return value;
    return z
      .array(value)
      .min(p.min_selected ?? 1)
      .max(p.max_selected ?? p.options.length)
      .refine((a) => new Set(a).size === a.length, 'each option at most once');
  },
  botAnswer(p, ctx) {
    const values = p.options.map((o) => o.value);
    if (!p.multiple) return values[ctx.rng.int(values.length)];
    const lo = p.min_selected ?? 1;
    const hi = p.max_selected ?? values.length;
    const k = lo + ctx.rng.int(hi - lo + 1);
    const picked = new Set(shuffle(values, ctx.rng).slice(0, k));
    return values.filter((v) => picked.has(v));
  },
  role: () => 'other',
  // One pick reads as the option's number; several picks have no scale.
  scale: (p) => (p.multiple ? undefined : { min: 1, max: p.options.length, levels: p.options.map((o) => o.value) }),
  read(p, a) {
    if (Array.isArray(a)) return { value_num: a.length, value_text: a.join('|'), correct: null };
    return { value_num: p.options.findIndex((o) => o.value === a) + 1, value_text: a, correct: null };
  },
  columns: (p) =>
    p.multiple
      ? [
          { name: 'value_text', type: 'string', description: `chosen values joined by |, of: ${p.options.map((o) => o.value).join(', ')}` },
          { name: 'value_num', type: 'number', description: 'how many options were chosen' },
        ]
      : [
          { name: 'value_text', type: 'string', description: `chosen value, one of: ${p.options.map((o) => o.value).join(', ')}` },
          { name: 'value_num', type: 'number', description: p.options.map((o, i) => `${i + 1} = ${o.value}`).join('; ') },
        ],
};
