// A question about the instructions with one right option; the answer is the
// chosen option's value. Attempts left and feedback come with the page.
import { html } from 'lit';
import type { Option } from '../../studies/questions/options.ts';
import { QuestionElement } from '../shared/question-element.ts';
import { questionStyles } from '../shared/question-styles.ts';
import { radioGroup } from '../shared/radio-group.ts';

export class ComprehensionQuestion extends QuestionElement<{ options: Option[] }, string> {
  static override styles = questionStyles;

  override render() {
    if (this.paramsError) return html`<p class="error">${this.paramsError}</p>`;
    return radioGroup({
      name: this.qid,
      legend: this.prompt,
      options: this.params.options,
      selected: this.value,
      disabled: this.disabled,
      onSelect: (v) => this.answer(v),
    });
  }
}
customElements.define('comprehension-question', ComprehensionQuestion);
