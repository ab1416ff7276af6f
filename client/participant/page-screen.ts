// One page as the server sent it: progress, remaining time, title, text,
// stimulus, the questions and the submit button. It measures the reaction time
// from its own first paint and holds the answers until the participant submits.
// A new element is made for every page index, so nothing leaks between pages.
import { LitElement, css, html, nothing } from 'lit';
import type { PageView } from '../../studies/vocabulary/participant-wire.ts';
import type { Question } from '../../studies/protocol.ts';
import { renderQuestion } from '../questions/render-question.ts';
import type { QuestionElement } from '../shared/question-element.ts';
import type { PageEventLog } from './page-events.ts';
import type { ServerClock } from './server-clock.ts';
import './countdown-timer.ts';
import './stimulus-text.ts';
import { paragraphs } from '../shared/paragraphs.ts';
import { questionTypes } from '../../studies/questions/index.ts';
import type { DraftAnswers } from './draft-store.ts';

export interface PageAnswer {
  answers: Record<string, unknown>;
  rtMs: number;
  events: ReturnType<PageEventLog['snapshot']>;
}

const CONTINUE_LABEL: Record<PageView['kind'], string> = {
  consent: 'I agree',
  instructions: 'Continue',
  comprehension: 'Check my answers',
  training: 'Submit',
  trial: 'Submit',
  attention: 'Submit',
  questionnaire: 'Submit',
  debrief: 'Finish',
};

export class PageScreen extends LitElement {
  static override properties = {
    view: { attribute: false },
    clock: { attribute: false },
    log: { attribute: false },
    sending: { type: Boolean },
    error: { type: String },
    draft: { attribute: false },
    answers: { state: true },
    readLeftMs: { state: true },
    expired: { state: true },
  };

  view!: PageView;
  clock!: ServerClock;
  log!: PageEventLog;
  /** An answer for this page is waiting for its ack. */
  sending = false;
  /** Why the server refused the last answer, if it did. */
  error = '';
  /** Answers given on this page before a reload, restored into the questions. */
  draft: DraftAnswers = {};
  /** A reactive copy of the answers given so far; each change re-checks whether the page can be submitted. */
  answers: Record<string, unknown> = {};
  readLeftMs = 0;
  expired = false;
  /** performance.now() of the first frame that showed this page. */
  firstPaint: number | undefined;
  private readTimer: ReturnType<typeof setInterval> | undefined;

  static override styles = css`
    :host {
      display: block;
    }
    /* Sticky, so the clock stays in view while a phone scrolls to the submit button. */
    header {
      position: sticky;
      top: 0;
      z-index: 5;
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      gap: 0.4rem 0.75rem;
      margin: 0 -1rem 1.25rem;
      padding: 0.5rem 1rem;
      background: #f6f6f4;
      border-bottom: 1px solid #e2e2de;
      font-size: 0.92em;
      color: #44464c;
    }
    header progress {
      flex: 1 1 auto;
      min-width: 0;
      height: 0.5rem;
      accent-color: #1f5fbf;
    }
    .page-top:focus {
      outline: none;
    }
    h1 {
      font-size: 1.35em;
      line-height: 1.3;
      margin: 0 0 1rem;
      overflow-wrap: anywhere;
    }
    .text {
      overflow-wrap: anywhere;
      margin: 0 0 1.5rem;
    }
    .text p {
      margin: 0 0 0.9rem;
    }
    .feedback {
      border-left: 4px solid #1f5fbf;
      background: #eaf1fc;
      padding: 0.6rem 0.9rem;
      margin: 0 0 1.25rem;
      white-space: pre-wrap;
      overflow-wrap: anywhere;
    }
    .attempts {
      font-weight: 600;
      margin: 0 0 1rem;
    }
    .error {
      color: #a1261b;
      margin: 0 0 1rem;
    }
    .actions {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      gap: 0.75rem;
      margin: 1.5rem 0 0;
    }
    button {
      font: inherit;
      font-weight: 600;
      min-height: 48px;
      min-width: 8rem;
      padding: 0.6rem 1.4rem;
      border-radius: 8px;
      border: 1px solid #1f5fbf;
      background: #1f5fbf;
      color: #fff;
      cursor: pointer;
    }
    button.secondary {
      background: #fff;
      color: #1f5fbf;
    }
    button:disabled {
      opacity: 0.45;
      cursor: not-allowed;
    }
    button:focus-visible {
      outline: 3px solid #0b2f66;
      outline-offset: 2px;
    }
    .wait {
      color: #55575d;
      font-size: 0.92em;
    }
  `;

  override connectedCallback(): void {
    super.connectedCallback();
    this.readTimer = setInterval(() => this.updateReadLeft(), 200);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    if (this.readTimer) clearInterval(this.readTimer);
  }

  /** Puts the answers of a draft back into the questions after a reload. */
  private restoreDraft(): void {
    const saved = this.draft ?? {};
    if (Object.keys(saved).length === 0) return;
    for (const el of this.questionElements()) {
      if (saved[el.question.id] !== undefined) el.value = saved[el.question.id];
    }
    this.answers = { ...saved };
  }

  protected override firstUpdated(): void {
    this.restoreDraft();
    // A new page starts at its top, and screen readers and keyboards start there too
    // (otherwise a phone keeps the previous page's scroll and focus stays on a button that is gone).
    window.scrollTo(0, 0);
    this.renderRoot.querySelector<HTMLElement>('.page-top')?.focus({ preventScroll: true });
    // The page is on screen at the next frame; RT and event times count from there.
    requestAnimationFrame(() => {
      this.firstPaint = performance.now();
      this.log.start(this.firstPaint);
      this.updateReadLeft();
      this.requestUpdate();
    });
    this.updateReadLeft();
  }

  private updateReadLeft(): void {
    const min = this.view?.minReadMs ?? 0;
    const left = this.firstPaint === undefined ? min : Math.max(0, min - (performance.now() - this.firstPaint));
    if (left !== this.readLeftMs) this.readLeftMs = left;
    if (left === 0 && this.readTimer && this.firstPaint !== undefined) {
      clearInterval(this.readTimer);
      this.readTimer = undefined;
    }
  }

  private onAnswer(q: Question, e: Event): void {
    // Native `change` events from inside question elements do not cross their shadow root; ours do.
    if (!(e instanceof CustomEvent)) return;
    e.stopPropagation();
    const next = { ...this.answers };
    if (e.detail === undefined) delete next[q.id];
    else next[q.id] = e.detail;
    this.answers = next;
    // The app keeps it in the browser (reload) and tells the server (a page that times out stores it).
    this.dispatchEvent(new CustomEvent<DraftAnswers>('page-draft', { detail: next, bubbles: true, composed: true }));
  }

  private questionElements(): QuestionElement[] {
    return Array.from(this.renderRoot.querySelectorAll<QuestionElement>('[data-question]'));
  }

  /** Every required question has a valid answer, and every optional one is valid or left empty. */
  get ready(): boolean {
    const els = this.questionElements();
    const ok = (el: QuestionElement) => (el.value === undefined ? el.question.required === false : el.complete);
    return els.length === this.view.questions.length && els.every(ok);
  }

  private get canSubmit(): boolean {
    return !this.sending && !this.expired && this.firstPaint !== undefined && this.readLeftMs === 0 && this.ready;
  }

  private submit(extra?: Record<string, unknown>): void {
    if (this.firstPaint === undefined || this.sending || this.expired) return;
    if (!extra && !this.canSubmit) return;
    const rtMs = Math.max(0, performance.now() - this.firstPaint);
    const answers: Record<string, unknown> = { ...(extra ?? {}) };
    for (const el of this.questionElements()) if (el.value !== undefined) answers[el.question.id] = el.value;
    this.dispatchEvent(
      new CustomEvent<PageAnswer>('page-submit', {
        detail: { answers, rtMs, events: this.log.snapshot() },
        bubbles: true,
        composed: true,
      }),
    );
  }

  private onSubmit(e: Event): void {
    e.preventDefault();
    this.submit();
  }

  override render() {
    const v = this.view;
    const disabled = this.sending || this.expired;
    // Consent without its own question: the two buttons are the answer.
    const consentButtons = v.kind === 'consent' && v.questions.length === 0;
    return html`
      <header>
        <span class=${v.title ? '' : 'page-top'} tabindex=${v.title ? nothing : '-1'}>Page ${v.index + 1} of ${v.total}</span>
        <progress max=${v.total} value=${v.index + 1} aria-label="Progress"></progress>
        ${v.deadlineAt
          ? html`<countdown-timer
              .deadlineAt=${v.deadlineAt}
              .clock=${this.clock}
              .label=${v.deadlineFor === 'study' ? 'Time left for the study' : v.stimulus ? 'Time left for this text' : 'Time left for this page'}
              @expired=${() => (this.expired = true)}
            ></countdown-timer>`
          : nothing}
      </header>
      <form @submit=${this.onSubmit} novalidate>
        ${v.title ? html`<h1 class="page-top" tabindex="-1">${v.title}</h1>` : nothing}
        ${v.feedback ? html`<p class="feedback" role="status">${v.feedback}</p>` : nothing}
        ${v.attemptsLeft !== undefined
          ? html`<p class="attempts">Attempts left: ${v.attemptsLeft}</p>`
          : nothing}
        ${v.text ? html`<div class="text">${paragraphs(v.text).map((para) => html`<p>${para}</p>`)}</div>` : nothing}
        ${v.stimulus && !v.questions.some((q) => questionTypes[q.type]?.presentsStimulus)
          ? html`<stimulus-text .text=${v.stimulus.text} .gltr=${v.stimulus.gltr}></stimulus-text>`
          : nothing}
        ${v.questions.map((q) =>
          renderQuestion(q, {
            disabled,
            passage: v.stimulus?.text,
            sentences: v.stimulus?.sentences,
            onChange: (e: Event) => this.onAnswer(q, e),
          }),
        )}
        ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
        <div class="actions">
          ${consentButtons
            ? html`
                <button type="button" ?disabled=${disabled || this.readLeftMs > 0} @click=${() => this.submit({ consent: true })}>I agree</button>
                <button type="button" class="secondary" ?disabled=${disabled} @click=${() => this.submit({ consent: false })}>I do not agree</button>
              `
            : html`<button type="submit" ?disabled=${!this.canSubmit}>${CONTINUE_LABEL[v.kind] ?? 'Continue'}</button>`}
          ${this.statusLine()}
        </div>
      </form>
    `;
  }

  private statusLine() {
    if (this.expired && !this.sending) return html`<span class="wait" role="status">Time is up — your answers so far are saved; moving on…</span>`;
    if (this.sending) return html`<span class="wait" role="status">Saving your answer…</span>`;
    if (this.readLeftMs > 0) return html`<span class="wait">Please read first (${Math.ceil(this.readLeftMs / 1000)} s)</span>`;
    return nothing;
  }
}
customElements.define('page-screen', PageScreen);

declare global {
  interface HTMLElementTagNameMap {
    'page-screen': PageScreen;
  }
}
