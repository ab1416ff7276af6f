// Free text with length bounds; the answer is the text (an empty box is no
// answer). The counter tells how many characters are still needed.
import { css, html, nothing } from 'lit';
import { html as staticHtml, literal } from 'lit/static-html.js';
import { QuestionElement } from '../shared/question-element.ts';
import { questionStyles } from '../shared/question-styles.ts';
import { defineQuestionElement } from './registry.ts';

interface Params {
  min_length: number;
  max_length: number;
  placeholder?: string;
  multiline: boolean;
}

export class TextQuestion extends QuestionElement<Params, string> {
  static override styles = [
    questionStyles,
    css`
      label.prompt {
        display: block;
      }
      textarea {
        min-height: 7rem;
        resize: vertical;
      }
      .count {
        font-size: 0.9em;
        color: #55575d;
        margin: 0.3rem 0 0;
      }
    `,
  ];

  private onInput(e: Event): void {
    const s = (e.target as HTMLInputElement | HTMLTextAreaElement).value;
    this.answer(s.trim() === '' ? undefined : s);
  }

  private counter(): string {
    const p = this.params;
    const n = (this.value ?? '').trim().length;
    if (n < p.min_length) return `${p.min_length - n} more characters needed (at least ${p.min_length}).`;
    return `${(this.value ?? '').length} of at most ${p.max_length} characters.`;
  }

  override render() {
    if (this.paramsError) return html`<p class="error">${this.paramsError}</p>`;
    const p = this.params;
    const id = `${this.qid}-input`;
    // One element either way: a <textarea> or a one-line <input>, with the same attributes
    // (lit has no attribute spread, so the tag itself is the static part that varies).
    const tag = p.multiline ? literal`textarea` : literal`input`;
    return staticHtml`
      <label class=${this.prompt ? 'prompt' : 'sr-only'} for=${id}>${this.prompt || 'Your answer'}</label>
      <${tag}
        type=${p.multiline ? nothing : 'text'}
        id=${id}
        maxlength=${p.max_length}
        placeholder=${p.placeholder ?? ''}
        .value=${this.value ?? ''}
        ?disabled=${this.disabled}
        aria-describedby="${this.qid}-count"
        @input=${this.onInput}
      ></${tag}>
      <p class="count" id="${this.qid}-count">${this.counter()}</p>
    `;
  }
}
defineQuestionElement('text', TextQuestion);
