// The consent page's own question, which the engine adds to the consent page
// (studies/plan.ts): true = agrees. A protocol never asks it; its descriptor is
// here so that answers to it are checked, read and exported like any other.
import { z } from 'zod';
import type { QuestionType } from '../question-type.ts';

const Params = z.object({}).strict();
type Params = z.infer<typeof Params>;

export const consent: QuestionType<Params, boolean> = {
  type: 'consent',
  engineOnly: true,
  params: Params,
  response: () => z.boolean(),
  // Bots that decline are made by their driver, not by the answer.
  botAnswer: () => true,
  role: () => 'other',
  read: (_p, a) => ({ value_num: a ? 1 : 0, value_text: null, correct: null }),
  columns: () => [{ name: 'value_num', type: 'number', description: '1 = agrees to take part, 0 = declines' }],
};
