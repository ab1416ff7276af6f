// Human or machine, on a scale from "definitely human" to "definitely
// machine"; the answer is the point's number, 1..n.
import { html } from 'lit';
import { QuestionElement } from '../shared/question-element.ts';
import { questionStyles } from '../shared/question-styles.ts';
import { radioGroup } from '../shared/radio-group.ts';
import { defineQuestionElement } from './registry.ts';

export class JudgmentQuestion extends QuestionElement<{ labels: string[] }, number> {
  static override styles = questionStyles;

  override render() {
    if (this.paramsError) return html`<p class="error">${this.paramsError}</p>`;
    return radioGroup({
      name: this.qid,
      // Without a prompt the item still needs its question on screen, not only for screen readers.
      legend: this.prompt || 'Was this text written by a person or by a machine?',
      options: this.params.labels.map((label, i) => ({ value: i + 1, label })),
      selected: this.value,
      disabled: this.disabled,
      onSelect: (v) => this.answer(v),
    });
  }
}
defineQuestionElement('judgment', JudgmentQuestion);
