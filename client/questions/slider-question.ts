// A number on a min–max line in steps. A range input always holds a value, so
// the item counts as answered only once the participant has touched it (drag,
// click or keys); until then the thumb is faded and nothing is sent.
import { css, html } from 'lit';
import { QuestionElement } from '../shared/question-element.ts';
import { questionStyles } from '../shared/question-styles.ts';
import { defineQuestionElement } from './registry.ts';

interface Params {
  min: number;
  max: number;
  step: number;
  labels?: { min?: string; max?: string };
}

export class SliderQuestion extends QuestionElement<Params, number> {
  static override styles = [
    questionStyles,
    css`
      .track {
        padding: 0.25rem 0;
      }
      input[type='range'] {
        width: 100%;
        min-height: 44px;
        margin: 0;
        accent-color: #1f5fbf;
        box-sizing: border-box;
      }
      input[type='range'].untouched {
        opacity: 0.55;
      }
      .ends {
        display: flex;
        justify-content: space-between;
        gap: 1rem;
        font-size: 0.92em;
        color: #44464c;
      }
      .ends span:last-child {
        text-align: right;
      }
      output {
        display: block;
        margin-top: 0.4rem;
        font-weight: 600;
      }
    `,
  ];

  private pick(e: Event): void {
    const v = Number((e.target as HTMLInputElement).value);
    // Snap to the grid the server checks, against float noise in step arithmetic.
    const { min, step } = this.params;
    this.answer(Number((min + Math.round((v - min) / step) * step).toFixed(10)));
  }

  override render() {
    if (this.paramsError) return html`<p class="error">${this.paramsError}</p>`;
    const p = this.params;
    const mid = p.min + Math.round((p.max - p.min) / 2 / p.step) * p.step;
    const lo = p.labels?.min ? `${p.min} — ${p.labels.min}` : String(p.min);
    const hi = p.labels?.max ? `${p.max} — ${p.labels.max}` : String(p.max);
    return html`
      <div class="prompt" id="${this.qid}-label">${this.prompt || 'Your answer'}</div>
      <div class="track">
        <input
          type="range"
          class=${this.value === undefined ? 'untouched' : ''}
          min=${p.min}
          max=${p.max}
          step=${p.step}
          .value=${String(this.value ?? mid)}
          ?disabled=${this.disabled}
          aria-labelledby="${this.qid}-label"
          aria-describedby="${this.qid}-ends"
          aria-valuetext=${this.value === undefined ? 'not answered yet' : String(this.value)}
          @input=${this.pick}
          @change=${this.pick}
          @pointerup=${this.pick}
        />
        <div class="ends" id="${this.qid}-ends"><span>${lo}</span><span>${hi}</span></div>
      </div>
      <output aria-live="polite">${this.value === undefined ? 'Move the slider to answer.' : `Your answer: ${this.value}`}</output>
    `;
  }
}
defineQuestionElement('slider', SliderQuestion);
