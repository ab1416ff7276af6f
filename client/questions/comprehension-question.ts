// A question about the instructions with one right option. In the browser it is
// the attention item's element: options only, the expected answer stays on the
// server; attempts left and feedback come with the page.
import { AttentionQuestion } from './attention-question.ts';
import { defineQuestionElement } from './registry.ts';

export class ComprehensionQuestion extends AttentionQuestion {}
defineQuestionElement('comprehension', ComprehensionQuestion);
