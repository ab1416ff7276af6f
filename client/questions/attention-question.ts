// An instructed-response item; the answer is the chosen option's value. The
// expected answer stays on the server's side of the check: it is not shown.
import { html } from 'lit';
import type { QuestionType } from '../../studies/question-type.ts';
import { OptionsSchema, type Option } from '../../studies/questions/options.ts';
import { QuestionElement } from '../shared/question-element.ts';
import { questionStyles } from '../shared/question-styles.ts';
import { radioGroup } from '../shared/radio-group.ts';
import { defineQuestionElement } from './registry.ts';
import { issuesText } from '../../studies/issues.ts';

export class AttentionQuestion extends QuestionElement<{ options: Option[] }, string> {
  static override styles = questionStyles;

  /** The page view carries the options but not the expected answer (the server keeps it), so only the options are parsed. */
  protected override parseParams(_d: QuestionType, raw: Record<string, unknown>) {
    const r = OptionsSchema.safeParse(raw.options);
    return r.success
      ? { success: true as const, data: { options: r.data } }
      : { success: false as const, error: issuesText(r.error, { prefix: ['options'] }) };
  }

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
defineQuestionElement('attention', AttentionQuestion);
