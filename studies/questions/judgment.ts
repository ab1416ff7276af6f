// Human or machine? A scale from "definitely human" to "definitely machine"
// (Clark et al. 2021: 4 points). Answers 1..n; the upper half means machine.
import { z } from 'zod';
import type { QuestionType } from '../question-type.ts';

export const DEFAULT_JUDGMENT_LABELS = ['Definitely human-written', 'Possibly human-written', 'Possibly machine-generated', 'Definitely machine-generated'];

const Params = z
  .object({
    labels: z
      .array(z.string().min(1))
      .min(2)
      .max(10)
      .refine((l) => l.length % 2 === 0, 'an even number of points (human half, machine half)')
      .default(DEFAULT_JUDGMENT_LABELS),
  })
  .strict();
type Params = z.infer<typeof Params>;

/** true when the answer says "machine". */
export function judgedMachine(p: Params, answer: number): boolean {
  return answer > p.labels.length / 2;
}

export const judgment: QuestionType<Params, number> = {
  type: 'judgment',
  params: Params,
  response: (p) => z.number().int().min(1).max(p.labels.length),
  botAnswer(p, ctx) {
    const n = p.labels.length;
    const half = n / 2;
    const source = ctx.stimulus?.label.source;
    if (ctx.profile !== 'attentive' || !source) return 1 + ctx.rng.int(n);
    // Attentive readers are right a little more often than chance (Clark et al.), more so as effect grows.
    const pRight = 0.5 + 0.5 * Math.tanh(ctx.effect ?? 0.2);
    const saysMachine = ctx.rng.next() < pRight ? source === 'machine' : source !== 'machine';
    const confidence = ctx.rng.int(half); // 0 = least sure
    return saysMachine ? half + 1 + confidence : half - confidence;
  },
  role: () => 'detection',
  scale: (p) => ({ min: 1, max: p.labels.length, levels: p.labels }),
  saysMachine: (p, row) =>
    row.value_text === 'machine' || row.value_text === 'human' ? row.value_text === 'machine' : row.value_num == null ? null : judgedMachine(p, row.value_num),
  read: (p, a, ctx) => ({
    value_num: a,
    value_text: judgedMachine(p, a) ? 'machine' : 'human',
    correct: ctx?.stimulus ? judgedMachine(p, a) === (ctx.stimulus.label.source === 'machine') : null,
  }),
  columns: (p) => [
    { name: 'value_num', type: 'number', description: p.labels.map((l, i) => `${i + 1} = ${l}`).join('; ') },
    { name: 'value_text', type: 'string', description: `human (1..${p.labels.length / 2}) or machine (${p.labels.length / 2 + 1}..${p.labels.length})` },
    { name: 'correct', type: 'boolean', description: 'the judged source equals the true source of the stimulus' },
  ],
};
