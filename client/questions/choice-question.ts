// One option (radio buttons) or several (checkboxes, in the options' order);
// the answer is the value, or the list of values.
import { html } from 'lit';
import type { Option } from '../../studies/questions/options.ts';
import { QuestionElement } from '../shared/question-element.ts';
import { questionStyles } from '../shared/question-styles.ts';
import { checkboxGroup } from '../shared/checkbox-group.ts';
import { radioGroup } from '../shared/radio-group.ts';
import { defineQuestionElement } from './registry.ts';

interface Params {
  options: Option[];
  multiple: boolean;
  min_selected?: number;
  max_selected?: number;
}

export class ChoiceQuestion extends QuestionElement<Params, string | string[]> {
  static override styles = questionStyles;

  private toggle(value: string, on: boolean): void {
    const chosen = new Set(Array.isArray(this.value) ? this.value : []);
    if (on) chosen.add(value);
    else chosen.delete(value);
    const list = this.params.options.map((o) => o.value).filter((v) => chosen.has(v));
    this.answer(list.length ? list : undefined);
  }

  private hint(): string {
    const { min_selected: lo, max_selected: hi } = this.params;
    if (lo !== undefined && hi !== undefined) return lo === hi ? `Choose ${lo}.` : `Choose ${lo} to ${hi}.`;
    if (hi !== undefined) return `Choose up to ${hi}.`;
    if (lo !== undefined && lo > 1) return `Choose at least ${lo}.`;
    return 'Choose all that apply.';
  }

  override render() {
    if (this.paramsError) return html`<p class="error">${this.paramsError}</p>`;
    const p = this.params;
    if (!p.multiple) {
      return radioGroup({
        name: this.qid,
        legend: this.prompt,
        options: p.options,
        selected: typeof this.value === 'string' ? this.value : undefined,
        disabled: this.disabled,
        onSelect: (v) => this.answer(v),
      });
    }
    const chosen = new Set(Array.isArray(this.value) ? this.value : []);
    const atMax = p.max_selected !== undefined && chosen.size >= p.max_selected;
    return checkboxGroup({
      name: this.qid,
      legend: this.prompt,
      hint: this.hint(),
      options: p.options,
      chosen,
      disabled: this.disabled,
      optionDisabled: (v) => atMax && !chosen.has(v),
      onToggle: (v, on) => this.toggle(v, on),
    });
  }
}
defineQuestionElement('choice', ChoiceQuestion);
