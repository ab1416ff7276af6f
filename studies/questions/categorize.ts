// Categorise the stimulus (issue 16 item 3, the bias probes' annotation):
// one label, or several, from declared categories, or "none of these". With
// `lexicon: <name>` the categories are that lexicon's (the loader checks), so
// people and the lexicon can be compared category by category.
import { z } from 'zod';
import type { QuestionType } from '../question-type.ts';
import { NONE_CATEGORY } from '../vocabulary/categories.ts';
import { shuffle } from '../random.ts';
import type { Option } from './options.ts';

const Params = z
  .object({
    categories: z
      .array(z.union([z.string().min(1), z.object({ value: z.string().min(1), label: z.string().min(1) }).strict()]))
      .min(1, 'at least one category')
      .transform((cs): Option[] => cs.map((c) => (typeof c === 'string' ? { value: c, label: c } : c)))
      .refine((cs) => new Set(cs.map((c) => c.value)).size === cs.length, 'category values must be unique')
      .refine((cs) => cs.every((c) => c.value !== NONE_CATEGORY), `'${NONE_CATEGORY}' is the "none of these" answer, not a category`),
    /** Several categories may be picked (never together with none). */
    multiple: z.boolean().default(false),
    /** The label of the "none of these" answer (its value is `none`). */
    none_label: z.string().min(1).default('None of these'),
    /** The protocol lexicon these categories are (the loader checks they match its categories). */
    lexicon: z.string().min(1).optional(),
  })
  .strict();
type Params = z.infer<typeof Params>;
type Answer = string | string[];

/** The categories then "none of these": what a participant chooses from. */
export function categorizeChoices(p: Params): Option[] {
  return [...p.categories, { value: NONE_CATEGORY, label: p.none_label }];
}

export const categorize: QuestionType<Params, Answer> = {
  type: 'categorize',
  params: Params,
  response(p) {
    const value = z.enum([NONE_CATEGORY, ...p.categories.map((c) => c.value)]);
    if (!p.multiple) return value;
    return z
      .array(value)
      .min(1, `pick at least one category, or ${NONE_CATEGORY}`)
      .refine((a) => new Set(a).size === a.length, 'each category at most once')
      .refine((a) => a.length === 1 || !a.includes(NONE_CATEGORY), `${NONE_CATEGORY} cannot be picked with a category`);
  },
  // No answer is right; bots pick uniformly (several: one or two categories), none about one time in (k+1).
  botAnswer(p, ctx) {
    const values = categorizeChoices(p).map((c) => c.value);
    const pick = values[ctx.rng.int(values.length)];
    if (!p.multiple) return pick;
    if (pick === NONE_CATEGORY || p.categories.length < 2 || ctx.rng.int(2) === 0) return [pick];
    const two = new Set(shuffle(p.categories.map((c) => c.value), ctx.rng).slice(0, 2));
    return p.categories.map((c) => c.value).filter((v) => two.has(v));
  },
  role: () => 'categorization',
  read(_p, a) {
    const list = Array.isArray(a) ? a : [a];
    const chosen = list.filter((v) => v !== NONE_CATEGORY);
    return { value_num: chosen.length, value_text: list.join('|'), correct: null };
  },
  columns: (p) => [
    {
      name: 'value_text',
      type: 'string',
      description: `${p.multiple ? 'chosen categories joined by |' : 'the chosen category'}, of: ${p.categories.map((c) => c.value).join(', ')}; or ${NONE_CATEGORY} (${p.none_label})`,
    },
    { name: 'value_num', type: 'number', description: `how many categories were chosen (0 = ${NONE_CATEGORY})` },
  ],
};
