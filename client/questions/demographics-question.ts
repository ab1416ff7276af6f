// Age, party identification and ideology as one item. The answer is an object
// with one number per asked field; it is complete when every field is valid.
import { css, html } from 'lit';
import { IDEOLOGY_LABELS, PARTY_ID_LABELS } from '../../studies/questions/demographics.ts';
import { QuestionElement } from '../shared/question-element.ts';
import { questionStyles } from '../shared/question-styles.ts';
import { radioGroup } from '../shared/radio-group.ts';
import { defineQuestionElement } from './registry.ts';

type Field = 'age' | 'party_id' | 'ideology';
interface Params {
  fields: Field[];
  age_min: number;
  age_max: number;
}
type Answer = Partial<Record<Field, number | null>>;

/** The radio value of "Prefer not to say"; the answer holds null for it. */
const PREFER_NOT = 0;

const SCALE: Record<Exclude<Field, 'age'>, { legend: string; labels: string[] }> = {
  party_id: { legend: 'Generally speaking, do you think of yourself as a Democrat, a Republican, an Independent, or what?', labels: PARTY_ID_LABELS },
  ideology: { legend: 'How would you describe your political views?', labels: IDEOLOGY_LABELS },
};

export class DemographicsQuestion extends QuestionElement<Params, Answer> {
  static override styles = [
    questionStyles,
    css`
      .part {
        margin: 0 0 1.25rem;
      }
      label.prompt {
        display: block;
      }
      input[type='number'] {
        max-width: 8rem;
      }
    `,
  ];

  private set(field: Field, v: number | null | undefined): void {
    const next: Answer = { ...(this.value ?? {}) };
    if (v === null) next[field] = null;
    else if (v === undefined || !Number.isFinite(v)) delete next[field];
    else next[field] = v;
    this.answer(Object.keys(next).length ? next : undefined);
  }

  private onAge(e: Event): void {
    const raw = (e.target as HTMLInputElement).value.trim();
    this.set('age', raw === '' ? undefined : Number(raw));
  }

  private ageError(): string {
    const a = this.value?.age;
    if (a === undefined || a === null) return '';
    const { age_min: lo, age_max: hi } = this.params;
    return Number.isInteger(a) && a >= lo && a <= hi ? '' : `Please enter a whole number from ${lo} to ${hi}.`;
  }

  override render() {
    if (this.paramsError) return html`<p class="error">${this.paramsError}</p>`;
    const p = this.params;
    return html`
      ${this.prompt ? html`<p class="prompt">${this.prompt}</p>` : ''}
      ${p.fields.map((f) => {
        if (f === 'age') {
          const id = `${this.qid}-age`;
          const err = this.ageError();
          return html`<div class="part">
            <label class="prompt" for=${id}>What is your age, in years?</label>
            <input
              id=${id}
              type="number"
              inputmode="numeric"
              min=${p.age_min}
              max=${p.age_max}
              step="1"
              .value=${this.value?.age !== undefined ? String(this.value.age) : ''}
              ?disabled=${this.disabled}
              aria-invalid=${err ? 'true' : 'false'}
              aria-describedby="${id}-err"
              @input=${this.onAge}
            />
            <p class="error" id="${id}-err" aria-live="polite">${err}</p>
          </div>`;
        }
        const s = SCALE[f];
        return html`<div class="part">
          ${radioGroup({
            name: `${this.qid}-${f}`,
            legend: s.legend,
            options: [...s.labels.map((label, i) => ({ value: i + 1, label })), { value: PREFER_NOT, label: 'Prefer not to say' }],
            selected: this.value?.[f] === null ? PREFER_NOT : this.value?.[f],
            disabled: this.disabled,
            onSelect: (v) => this.set(f, v === PREFER_NOT ? null : v),
          })}
        </div>`;
      })}
    `;
  }
}
defineQuestionElement('demographics', DemographicsQuestion);
