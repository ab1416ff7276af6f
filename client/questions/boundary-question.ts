// Real or Fake Text: the passage is listed sentence by sentence (split exactly
// as the server splits it, studies/sentences.ts) and the participant picks the
// first sentence written by the machine. The answer is that sentence's 0-based
// index. Native radios: click or tap a sentence, or use the arrow keys.
import { css, html, nothing } from 'lit';
import { splitSentences } from '../../studies/sentences.ts';
import { QuestionElement } from '../shared/question-element.ts';
import { questionStyles } from '../shared/question-styles.ts';
import { defineQuestionElement } from './registry.ts';

export class BoundaryQuestion extends QuestionElement<{ show_points: boolean }, number> {
  static override properties = {
    ...QuestionElement.properties,
    passage: { type: String },
    sentences: { attribute: false },
  };

  /** The stimulus text whose sentences are shown. */
  passage = '';
  /** The server's split of the passage; the answer indexes into it. Without it the shared splitter gives the same split. */
  sentences: string[] | undefined = undefined;

  static override styles = [
    questionStyles,
    css`
      label.option {
        align-items: flex-start;
        flex-wrap: wrap;
        font-family: Georgia, 'Times New Roman', serif;
        line-height: 1.5;
      }
      label.option input {
        margin-top: 0.2rem;
      }
      .n {
        font: 600 0.8em/1.9 system-ui, sans-serif;
        color: #55575d;
        min-width: 1.6em;
      }
      label.option.machine {
        background: #fdebe9;
        border-color: #d99a93;
      }
      label.option.machine:has(input:checked) {
        background: #f8d3ce;
        border-color: #a1261b;
      }
      .sentence {
        flex: 1 1 0;
        min-width: 0;
      }
      /* The marker takes a line of its own above the sentence: beside it, it squeezed the sentence to a word per line on a phone. */
      .tag {
        flex-basis: 100%;
        order: -1;
        font: 600 0.75em/1.6 system-ui, sans-serif;
        color: #a1261b;
      }
    `,
  ];

  override render() {
    if (this.paramsError) return html`<p class="error">${this.paramsError}</p>`;
    const sentences = this.sentences?.length ? this.sentences : splitSentences(this.passage ?? '');
    if (sentences.length === 0) return html`<p class="error">This item has no passage to show.</p>`;
    const picked = this.value;
    return html`
      <fieldset ?disabled=${this.disabled}>
        <legend class="prompt">${this.prompt || 'Which is the first sentence written by the machine?'}</legend>
        <p class="hint">
          The passage starts with human writing and then a machine takes over. Choose the first sentence you think the
          machine wrote; it and every sentence after it are marked.
          ${this.params.show_points ? 'You earn 5 points for the exact sentence, fewer the later you pick, none if too early.' : nothing}
        </p>
        <ol class="stack">
          ${sentences.map((s, i) => {
            const machine = picked !== undefined && i >= picked;
            return html`<li>
              <label class="option ${machine ? 'machine' : ''}">
                <input type="radio" name=${this.qid} .value=${String(i)} .checked=${picked === i} @change=${() => this.answer(i)} />
                <span class="n" aria-hidden="true">${i + 1}</span>
                <span class="sentence">${s}</span>
                ${i === picked ? html`<span class="tag">machine from here</span>` : nothing}
              </label>
            </li>`;
          })}
        </ol>
      </fieldset>
    `;
  }
}
defineQuestionElement('boundary', BoundaryQuestion);
