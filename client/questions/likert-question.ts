// n labelled points; the answer is the point's number, 1..n.
import { html } from 'lit';
import { QuestionElement } from '../shared/question-element.ts';
import { questionStyles } from '../shared/question-styles.ts';
import { radioGroup } from '../shared/radio-group.ts';
import { defineQuestionElement } from './registry.ts';

export class LikertQuestion extends QuestionElement<{ labels: string[] }, number> {
  static override styles = questionStyles;

  override render() {
    if (this.paramsError) return html`<p class="error">${this.paramsError}</p>`;
    const labels = this.params.labels;
    return radioGroup({
      name: this.qid,
      legend: this.prompt,
      options: labels.map((label, i) => ({ value: i + 1, label })),
      selected: this.value,
      disabled: this.disabled,
      // Short scales side by side where they fit; long ones stacked so labels stay readable.
      row: labels.length <= 5,
      onSelect: (v) => this.answer(v),
    });
  }
}
defineQuestionElement('likert', LikertQuestion);
