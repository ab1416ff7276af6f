// Remaining time on a timed page, from the server's deadline and the estimated
// clock offset, so a reload or a wrong local clock never gives extra time.
import { LitElement, css, html } from 'lit';
import type { ServerClock } from './server-clock.ts';

export function formatRemaining(ms: number): string {
  const s = Math.ceil(ms / 1000);
  const m = Math.floor(s / 60);
  return `${m}:${String(s % 60).padStart(2, '0')}`;
}

/** The visible warning shows this long before the end. */
const WARN_MS = 30_000;

export class CountdownTimer extends LitElement {
  static override properties = {
    deadlineAt: { type: Number },
    clock: { attribute: false },
    label: { type: String },
  };

  deadlineAt = 0;
  /** What the clock counts: "Time left for this text", "… for this page", "… for the study". */
  label = 'Time left';
  clock!: ServerClock;
  private tick: ReturnType<typeof setInterval> | undefined;
  private expiredSent = false;
  /** Screen readers hear the time only at these marks, not every second. */
  private announced = '';
  /** Time left when first shown: a mark already passed at that point is not announced. */
  private startedWith: number | undefined;

  static override styles = css`
    :host {
      font-variant-numeric: tabular-nums;
      font-weight: 600;
    }
    :host {
      display: inline-flex;
      flex-wrap: wrap;
      align-items: baseline;
      gap: 0 0.4rem;
    }
    .label {
      font-weight: 400;
    }
    :host([low]) {
      color: #a1261b;
    }
    .warn {
      flex-basis: 100%;
      font-weight: 600;
      color: #a1261b;
    }
    .sr-only {
      position: absolute;
      width: 1px;
      height: 1px;
      overflow: hidden;
      clip: rect(0 0 0 0);
      white-space: nowrap;
    }
  `;

  override connectedCallback(): void {
    super.connectedCallback();
    this.tick = setInterval(() => this.requestUpdate(), 250);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    if (this.tick) clearInterval(this.tick);
  }

  /** Milliseconds left, as the server counts them. */
  get remainingMs(): number {
    return this.clock ? this.clock.remaining(this.deadlineAt) : 0;
  }

  override render() {
    const left = this.remainingMs;
    this.toggleAttribute('low', left < 10000);
    if (left <= 0 && !this.expiredSent) {
      this.expiredSent = true;
      this.dispatchEvent(new CustomEvent('expired', { bubbles: true, composed: true }));
    }
    if (this.clock && this.startedWith === undefined) this.startedWith = left;
    const from = this.startedWith ?? 0;
    if (left > 0 && left <= 10_000 && from > 10_000) this.announced = '10 seconds left.';
    else if (left > 0 && left <= 60_000 && from > 60_000 && !this.announced) this.announced = '1 minute left.';
    // A visible warning before the end, once there is less than WARN_MS left of a longer limit.
    const warn = left > 0 && left <= WARN_MS && from > WARN_MS;
    return html`<span class="label" id="timer-label">${this.label}:</span>
      <span role="timer" aria-labelledby="timer-label" data-testid="timer">${formatRemaining(left)}</span
      ><span class="sr-only" aria-live="polite">${this.announced}</span>
      ${warn ? html`<span class="warn" role="status">Less than ${Math.ceil(WARN_MS / 1000)} seconds left — what you have answered is saved when time runs out.</span>` : ''}`;
  }
}
customElements.define('countdown-timer', CountdownTimer);

declare global {
  interface HTMLElementTagNameMap {
    'countdown-timer': CountdownTimer;
  }
}
