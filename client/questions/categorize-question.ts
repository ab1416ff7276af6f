// Categorise the stimulus: one category (radio buttons), or several
// (checkboxes), always with "none of these" last. Among checkboxes, ticking
// "none of these" clears the categories and ticking a category clears it, so
// the answer is never a category together with none.
import { html } from 'lit';
import { NONE_CATEGORY } from '../../studies/vocabulary/categories.ts';
import type { Option } from '../../studies/questions/options.ts';
import { QuestionElement } from '../shared/question-element.ts';
import { questionStyles } from '../shared/question-styles.ts';
import { checkboxGroup } from '../shared/checkbox-group.ts';
import { radioGroup } from '../shared/radio-group.ts';
import { defineQuestionElement } from './registry.ts';

interface Params {
  categories: Option[];
  multiple: boolean;
  none_label: string;
}

export class CategorizeQuestion extends QuestionElement<Params, string | string[]> {
  static override styles = questionStyles;

  private choices(): Option[] {
    return [...this.params.categories, { value: NONE_CATEGORY, label: this.params.none_label }];
  }

  private toggle(value: string, on: boolean): void {
    let chosen = new Set(Array.isArray(this.value) ? this.value : []);
    if (on && value === NONE_CATEGORY) chosen = new Set([NONE_CATEGORY]);
    else if (on) {
      chosen.delete(NONE_CATEGORY);
      chosen.add(value);
    } else chosen.delete(value);
    const list = this.choices().map((o) => o.value).filter((v) => chosen.has(v));
    this.answer(list.length ? list : undefined);
  }

  override render() {
    if (this.paramsError) return html`<p class="error">${this.paramsError}</p>`;
    if (!this.params.multiple) {
      return radioGroup({
        name: this.qid,
        legend: this.prompt,
        options: this.choices(),
        selected: typeof this.value === 'string' ? this.value : undefined,
        disabled: this.disabled,
        onSelect: (v) => this.answer(v),
      });
    }
    const chosen = new Set(Array.isArray(this.value) ? this.value : []);
    return checkboxGroup({
      name: this.qid,
      legend: this.prompt,
      hint: `Choose all that apply, or ${this.params.none_label.toLowerCase()}.`,
      options: this.choices(),
      chosen: new Set(Array.isArray(this.value) ? this.value : []),
      disabled: this.disabled,
      onToggle: (v, on) => this.toggle(v, on),
    });
  }
}
defineQuestionElement('categorize', CategorizeQuestion);
