// The page's focus/blur/visibility/fullscreen history, in ms since the page's
// first paint, sent with the answer so analysis can flag participants who
// looked elsewhere (the per-trial flag jsPsych users ask for).
import type { Submit } from '../../studies/vocabulary/participant-wire.ts';

type PageEvent = Submit['events'][number];
const MAX_EVENTS = 500;

export class PageEventLog {
  private events: PageEvent[] = [];
  private origin: number | undefined;
  private readonly onFocus = () => this.push('focus');
  private readonly onBlur = () => this.push('blur');
  private readonly onVisibility = () => this.push(document.visibilityState === 'hidden' ? 'hidden' : 'visible');
  private readonly onFullscreen = () => this.push(document.fullscreenElement ? 'fullscreen-enter' : 'fullscreen-exit');

  constructor() {
    window.addEventListener('focus', this.onFocus);
    window.addEventListener('blur', this.onBlur);
    document.addEventListener('visibilitychange', this.onVisibility);
    document.addEventListener('fullscreenchange', this.onFullscreen);
  }

  /** Starts a new page: the clock origin is its first paint. */
  start(firstPaint: number): void {
    this.origin = firstPaint;
    this.events = [];
    // Record the state the page opened in, so "hidden from the start" is visible in the data.
    this.events.push({ type: 'paint', t: 0 });
    if (document.visibilityState === 'hidden') this.events.push({ type: 'hidden', t: 0 });
    else if (!document.hasFocus()) this.events.push({ type: 'blur', t: 0 });
  }

  private push(type: PageEvent['type']): void {
    if (this.origin === undefined || this.events.length >= MAX_EVENTS) return;
    this.events.push({ type, t: Math.max(0, Math.round(performance.now() - this.origin)) });
  }

  snapshot(): PageEvent[] {
    return this.events.slice();
  }

  dispose(): void {
    window.removeEventListener('focus', this.onFocus);
    window.removeEventListener('blur', this.onBlur);
    document.removeEventListener('visibilitychange', this.onVisibility);
    document.removeEventListener('fullscreenchange', this.onFullscreen);
  }
}
