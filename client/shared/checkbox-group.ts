// A group of native checkboxes in a fieldset with a legend and a hint, each
// option a whole-row label (the counterpart of radio-group.ts for questions
// that take several answers: choice with multiple, categorize with multiple).
import { html } from 'lit';

export interface CheckboxGroupOptions {
  /** Names the hint for aria-describedby. */
  name: string;
  /** The question; without one the group still gets a legend, for screen readers only. */
  legend: string;
  hint: string;
  options: { value: string; label: string }[];
  chosen: ReadonlySet<string>;
  disabled: boolean;
  /** An option that cannot be ticked now (e.g. the most allowed are ticked). */
  optionDisabled?(value: string): boolean;
  onToggle(value: string, on: boolean): void;
}

export function checkboxGroup(o: CheckboxGroupOptions) {
  return html`
    <fieldset ?disabled=${o.disabled}>
      <legend class=${o.legend ? 'prompt' : 'sr-only'}>${o.legend || 'Your answer'}</legend>
      <p class="hint" id="${o.name}-hint">${o.hint}</p>
      <div class="options" aria-describedby="${o.name}-hint">
        ${o.options.map(
          (opt) => html`
            <label class="option">
              <input
                type="checkbox"
                .checked=${o.chosen.has(opt.value)}
                ?disabled=${o.optionDisabled?.(opt.value) ?? false}
                @change=${(e: Event) => o.onToggle(opt.value, (e.target as HTMLInputElement).checked)}
              />
              <span>${opt.label}</span>
            </label>
          `,
        )}
      </div>
    </fieldset>
  `;
}
