// The template for one question of a page: the element registered for its type
// (registry.ts); a type without one shows a plain notice.
import { html } from 'lit';
import { html as staticHtml, unsafeStatic } from 'lit/static-html.js';
import type { Question } from '../../studies/protocol.ts';
import { questionElementTag } from './registry.ts';

export interface RenderQuestionOptions {
  disabled: boolean;
  /** The page's stimulus text (boundary questions list its sentences). */
  passage?: string;
  /** The stimulus split into sentences by the server, when it sends them. */
  sentences?: string[];
  onChange(e: Event): void;
}

export function renderQuestion(q: Question, o: RenderQuestionOptions) {
  const tag = questionElementTag(q.type);
  if (!tag) return html`<p class="error">This question (${q.type}) cannot be shown. Please tell the researcher.</p>`;
  // The tag comes from the registry (made by code from a registered type), so it is safe to splice in.
  const el = unsafeStatic(tag);
  return staticHtml`<${el} data-question .question=${q} .passage=${o.passage ?? ''} .sentences=${o.sentences} ?disabled=${o.disabled} @change=${o.onChange}></${el}>`;
}
