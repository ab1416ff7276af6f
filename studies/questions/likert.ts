// n labelled points, answered with the point's number 1..n (e.g. the 4-point
// credibility item: not at all / not very / somewhat / very credible).
import { z } from 'zod';
import { clampedNormal, type QuestionType } from '../question-type.ts';

const Params = z
  .object({
    /** One label per point, lowest first. */
    labels: z.array(z.string().min(1)).min(2, 'at least two points').max(11, 'at most 11 points'),
  })
  .strict();
type Params = z.infer<typeof Params>;

export const likert: QuestionType<Params, number> = {
  type: 'likert',
  params: Params,
  response: (p) => z.number().int().min(1).max(p.labels.length),
  botAnswer(p, ctx) {
    const n = p.labels.length;
    if (ctx.profile !== 'attentive') return 1 + ctx.rng.int(n);
    // Attentive readers lean slightly above the midpoint; machine texts lose `effect` points.
    const shift = ctx.stimulus?.label.source === 'machine' ? -(ctx.effect ?? 0) : 0;
    return clampedNormal(ctx.rng, (n + 1) / 2 + 0.4 + shift, n / 5, 1, n);
  },
  // A 4-point scale is the credibility item of Kreps et al.; other scales are analysed only when the protocol names a role.
  role: (p) => (p?.labels.length === 4 ? 'credibility_4pt' : 'other'),
  scale: (p) => ({ min: 1, max: p.labels.length, levels: p.labels }),
  read: (_p, a) => ({ value_num: a, value_text: null, correct: null }),
  columns: (p) => [
    {
      name: 'value_num',
      type: 'number',
      description: p.labels.map((l, i) => `${i + 1} = ${l}`).join('; '),
    },
  ],
};
