// Put the options in order. Drag an option, or focus it and press the arrow
// keys (Home/End: to the top/bottom), or use its up/down buttons; each move is
// announced. The answer is the order of option values, first = rank 1; it is
// given by the first move, or by "Keep this order" when the shown order is it.
import { css, html, nothing, type PropertyValues } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import type { Option } from '../../studies/questions/options.ts';
import { QuestionElement } from '../shared/question-element.ts';
import { questionStyles } from '../shared/question-styles.ts';
import { defineQuestionElement } from './registry.ts';

export class RankingQuestion extends QuestionElement<{ options: Option[] }, string[]> {
  static override properties = {
    ...QuestionElement.properties,
    order: { state: true },
    announcement: { state: true },
  };

  /** The option values as shown, first at the top. */
  order: string[] = [];
  announcement = '';
  /** The option to focus after the next render (it moved, and moving a node drops its focus). */
  private refocus: string | undefined;
  /** The option being dragged. */
  private dragged: string | undefined;

  static override styles = [
    questionStyles,
    css`
      li {
        display: flex;
        align-items: center;
        gap: 0.6rem;
        min-height: 44px;
        box-sizing: border-box;
        padding: 0.3rem 0.4rem 0.3rem 0.75rem;
        border: 1px solid #c4c6cc;
        border-radius: 8px;
        background: #fff;
        cursor: grab;
        overflow-wrap: anywhere;
      }
      li.dragging {
        opacity: 0.5;
      }
      .n {
        font-weight: 600;
        color: #55575d;
        min-width: 1.4em;
      }
      .label {
        flex: 1;
      }
      button {
        font: inherit;
        min-width: 44px;
        min-height: 44px;
        border: 1px solid #9ea2aa;
        border-radius: 6px;
        background: #f5f6f8;
        cursor: pointer;
      }
      button:disabled {
        cursor: default;
        opacity: 0.4;
      }
      .keep {
        margin-top: 0.5rem;
        padding: 0 0.9rem;
      }
    `,
  ];

  protected override willUpdate(changed: PropertyValues<this>): void {
    super.willUpdate(changed);
    if (changed.has('question') && this.question && !this.paramsError) {
      const values = this.params.options.map((o) => o.value);
      // A given answer (a resumed page) is shown as given; otherwise the protocol's order.
      this.order = Array.isArray(this.value) && this.value.length === values.length ? [...this.value] : values;
    }
  }

  protected override updated(): void {
    if (this.refocus === undefined) return;
    const li = [...(this.renderRoot.querySelectorAll('li') ?? [])].find((el) => el.dataset.value === this.refocus);
    this.refocus = undefined;
    li?.focus();
  }

  private label(value: string): string {
    return this.params.options.find((o) => o.value === value)?.label ?? value;
  }

  /** Moves `value` to position `to` (0-based, clamped), then answers with the new order. */
  private move(value: string, to: number): void {
    if (this.disabled) return;
    const from = this.order.indexOf(value);
    const target = Math.max(0, Math.min(this.order.length - 1, to));
    if (from < 0) return;
    if (from !== target) {
      const order = [...this.order];
      order.splice(from, 1);
      order.splice(target, 0, value);
      this.order = order;
    }
    this.announcement = `${this.label(value)}: position ${target + 1} of ${this.order.length}.`;
    this.refocus = value;
    this.answer([...this.order]);
  }

  private onKey(e: KeyboardEvent, value: string): void {
    const i = this.order.indexOf(value);
    const to = { ArrowUp: i - 1, ArrowDown: i + 1, Home: 0, End: this.order.length - 1 }[e.key];
    if (to === undefined) return;
    e.preventDefault();
    this.move(value, to);
  }

  private onDrop(e: DragEvent, value: string): void {
    e.preventDefault();
    const dragged = this.dragged;
    this.dragged = undefined;
    if (dragged !== undefined) this.move(dragged, this.order.indexOf(value));
  }

  override render() {
    if (this.paramsError) return html`<p class="error">${this.paramsError}</p>`;
    const n = this.order.length;
    return html`
      <fieldset ?disabled=${this.disabled}>
        <legend class="prompt">${this.prompt}</legend>
        <p class="hint" id="${this.qid}-hint">Drag the options into order, or select one and move it with the arrow keys.</p>
        <ol class="stack" aria-describedby="${this.qid}-hint">
          ${repeat(
            this.order,
            (v) => v,
            (v, i) => html`<li
              data-value=${v}
              tabindex=${this.disabled ? -1 : 0}
              draggable=${this.disabled ? 'false' : 'true'}
              aria-label=${`${this.label(v)}, position ${i + 1} of ${n}`}
              @keydown=${(e: KeyboardEvent) => this.onKey(e, v)}
              @dragstart=${(e: DragEvent) => {
                this.dragged = v;
                e.dataTransfer?.setData('text/plain', v);
                (e.currentTarget as HTMLElement).classList.add('dragging');
              }}
              @dragend=${(e: DragEvent) => (e.currentTarget as HTMLElement).classList.remove('dragging')}
              @dragover=${(e: DragEvent) => e.preventDefault()}
              @drop=${(e: DragEvent) => this.onDrop(e, v)}
            >
              <span class="n" aria-hidden="true">${i + 1}</span>
              <span class="label">${this.label(v)}</span>
              <button type="button" tabindex="-1" aria-label=${`Move ${this.label(v)} up`} ?disabled=${this.disabled || i === 0} @click=${() => this.move(v, i - 1)}>↑</button>
              <button type="button" tabindex="-1" aria-label=${`Move ${this.label(v)} down`} ?disabled=${this.disabled || i === n - 1} @click=${() => this.move(v, i + 1)}>↓</button>
            </li>`,
          )}
        </ol>
        ${this.value === undefined
          ? html`<button type="button" class="keep" ?disabled=${this.disabled} @click=${() => this.answer([...this.order])}>Keep this order</button>`
          : nothing}
        <p class="sr-only" role="status" aria-live="polite">${this.announcement}</p>
      </fieldset>
    `;
  }
}
defineQuestionElement('ranking', RankingQuestion);
