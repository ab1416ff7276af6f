// A group of native radio buttons in a fieldset with a legend: arrow keys move
// between options, Space selects, screen readers announce "n of m". Every
// option is a whole-row label, so the touch target is the row, not the dot.
import { html, nothing } from 'lit';

export interface RadioOption<T> {
  value: T;
  label: string;
}

export interface RadioGroupOptions<T> {
  name: string;
  /** The question; without one the group still gets a legend, for screen readers only. */
  legend: string;
  options: RadioOption<T>[];
  selected: T | undefined;
  disabled: boolean;
  /** Lay out as a row where there is room (scales with few short points). */
  row?: boolean;
  hint?: string;
  onSelect(value: T): void;
}

export function radioGroup<T>(o: RadioGroupOptions<T>) {
  const legend = o.legend || 'Your answer';
  return html`
    <fieldset ?disabled=${o.disabled}>
      <legend class=${o.legend ? 'prompt' : 'sr-only'}>${legend}</legend>
      ${o.hint ? html`<p class="hint">${o.hint}</p>` : nothing}
      <div class="options ${o.row ? 'row' : ''}">
        ${o.options.map(
          (opt, i) => html`
            <label class="option">
              <input
                type="radio"
                name=${o.name}
                .value=${String(i)}
                .checked=${o.selected !== undefined && opt.value === o.selected}
                @change=${() => o.onSelect(opt.value)}
              />
              <span>${opt.label}</span>
            </label>
          `,
        )}
      </div>
    </fieldset>
  `;
}
