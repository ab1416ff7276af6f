// A composite: age, party identification (7-point, ANES wording) and ideology
// (7-point) as one page item with fixed sub-answers, as in Kreps et al.
import { z } from 'zod';
import type { QuestionType } from '../question-type.ts';

export const PARTY_ID_LABELS = [
  'Strong Democrat',
  'Not very strong Democrat',
  'Independent, leaning Democrat',
  'Independent',
  'Independent, leaning Republican',
  'Not very strong Republican',
  'Strong Republican',
];
export const IDEOLOGY_LABELS = [
  'Extremely liberal',
  'Liberal',
  'Slightly liberal',
  'Moderate; middle of the road',
  'Slightly conservative',
  'Conservative',
  'Extremely conservative',
];

const Field = z.enum(['age', 'party_id', 'ideology']);
type Field = z.infer<typeof Field>;

const Params = z
  .object({
    fields: z.array(Field).min(1).refine((f) => new Set(f).size === f.length, 'each field once').default(['age', 'party_id', 'ideology']),
    age_min: z.number().int().min(0).default(18),
    age_max: z.number().int().max(130).default(100),
  })
  .strict();
type Params = z.infer<typeof Params>;
/** null: "prefer not to say" (party ID and ideology offer it; analysis reads it as missing). */
type Answer = Partial<Record<Field, number | null>>;

export const demographics: QuestionType<Params, Answer> = {
  type: 'demographics',
  params: Params,
  response(p) {
    const shape: Partial<Record<Field, z.ZodTypeAny>> = {};
    for (const f of p.fields) shape[f] = f === 'age' ? z.number().int().min(p.age_min).max(p.age_max) : z.number().int().min(1).max(7).nullable();
    return z.object(shape as Record<Field, z.ZodTypeAny>).strict() as unknown as z.ZodType<Answer>;
  },
  botAnswer(p, ctx) {
    const out: Answer = {};
    const party = 1 + ctx.rng.int(7);
    for (const f of p.fields) {
      if (f === 'age') out.age = p.age_min + ctx.rng.int(Math.min(p.age_max, 80) - p.age_min + 1);
      else if (f === 'party_id') out.party_id = party;
      // Attentive bots hold an ideology close to their party; the others answer at random.
      else out.ideology = ctx.profile === 'attentive' ? Math.min(7, Math.max(1, party - 1 + ctx.rng.int(3))) : 1 + ctx.rng.int(7);
    }
    return out;
  },
  role: () => 'demographics',
  read: (_p, a) => ({ value_num: null, value_text: JSON.stringify(a), correct: null }),
  parts: (a) => ({ ...a }),
  columns: (p) =>
    p.fields.map((f) => ({
      name: f,
      type: 'number' as const,
      description:
        f === 'age'
          ? `age in years, ${p.age_min}–${p.age_max}`
          : (f === 'party_id' ? PARTY_ID_LABELS : IDEOLOGY_LABELS).map((l, i) => `${i + 1} = ${l}`).join('; '),
    })),
};
