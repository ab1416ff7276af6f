// The template for one question of a page, by its type. Tags are fixed here,
// never taken from protocol text; an unknown type shows a plain notice.
import { html } from 'lit';
import type { Question } from '../../studies/protocol.ts';

export interface RenderQuestionOptions {
  disabled: boolean;
  /** The page's stimulus text (boundary questions list its sentences). */
  passage?: string;
  /** The stimulus split into sentences by the server, when it sends them. */
  sentences?: string[];
  onChange(e: Event): void;
}

export function renderQuestion(q: Question, o: RenderQuestionOptions) {
  switch (q.type) {
    case 'likert':
      return html`<likert-question data-question .question=${q} ?disabled=${o.disabled} @change=${o.onChange}></likert-question>`;
    case 'slider':
      return html`<slider-question data-question .question=${q} ?disabled=${o.disabled} @change=${o.onChange}></slider-question>`;
    case 'choice':
      return html`<choice-question data-question .question=${q} ?disabled=${o.disabled} @change=${o.onChange}></choice-question>`;
    case 'judgment':
      return html`<judgment-question data-question .question=${q} ?disabled=${o.disabled} @change=${o.onChange}></judgment-question>`;
    case 'text':
      return html`<text-question data-question .question=${q} ?disabled=${o.disabled} @change=${o.onChange}></text-question>`;
    case 'boundary':
      return html`<boundary-question data-question .question=${q} .passage=${o.passage ?? ''} .sentences=${o.sentences} ?disabled=${o.disabled} @change=${o.onChange}></boundary-question>`;
    case 'demographics':
      return html`<demographics-question data-question .question=${q} ?disabled=${o.disabled} @change=${o.onChange}></demographics-question>`;
    case 'attention':
      return html`<attention-question data-question .question=${q} ?disabled=${o.disabled} @change=${o.onChange}></attention-question>`;
    case 'comprehension':
      return html`<comprehension-question data-question .question=${q} ?disabled=${o.disabled} @change=${o.onChange}></comprehension-question>`;
    default:
      return html`<p class="error">This question (${q.type}) cannot be shown. Please tell the researcher.</p>`;
  }
}
