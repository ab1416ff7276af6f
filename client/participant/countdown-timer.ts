// Remaining time on a timed page, from the server's deadline and the estimated
// clock offset, so a reload or a wrong local clock never gives extra time.
import { LitElement, css, html } from 'lit';
import type { ServerClock } from './server-clock.ts';

export function formatRemaining(ms: number): string {
  const s = Math.ceil(ms / 1000);
  const m = Math.floor(s / 60);
  return `${m}:${String(s % 60).padStart(2, '0')}`;
}

export class CountdownTimer extends LitElement {
  static override properties = {
    deadlineAt: { type: Number },
    clock: { attribute: false },
  };

  deadlineAt = 0;
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
    :host([low]) {
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
    return html`<span role="timer" aria-label="Time left">${formatRemaining(left)}</span
      ><span class="sr-only" aria-live="polite">${this.announced}</span>`;
  }
}
customElements.define('countdown-timer', CountdownTimer);

declare global {
  interface HTMLElementTagNameMap {
    'countdown-timer': CountdownTimer;
  }
}
