// <admin-studies>: every study with its version, open/full status and counts per
// condition (completed / in progress / abandoned / ended early / target), with
// links to its monitor, results, preview and raw CSV, and the buttons that
// pause, close or reopen it to new arrivals. Refreshes every 5 s.
import { LitElement, html } from 'lit';
import { api, csvUrl, previewUrl, type StudyView } from './api.ts';
import type { StudyState } from '../../studies/vocabulary/participant-kinds.ts';
import { dateTime } from './format.ts';
import { baseStyles } from './styles.ts';

export class AdminStudies extends LitElement {
  static override properties = { studies: { state: true }, error: { state: true }, loadedAt: { state: true }, busy: { state: true } };
  static override styles = [baseStyles];
  declare studies: StudyView[] | undefined;
  declare error: string;
  declare loadedAt: number;
  /** The study whose state change is on its way (its buttons are disabled meanwhile). */
  declare busy: string;
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor() {
    super();
    this.studies = undefined;
    this.error = '';
    this.loadedAt = 0;
    this.busy = '';
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void this.load();
    this.timer = setInterval(() => void this.load(), 5000);
  }

  override disconnectedCallback(): void {
    clearInterval(this.timer);
    super.disconnectedCallback();
  }

  private async load() {
    try {
      const r = await api.studies();
      this.studies = r.studies;
      this.loadedAt = r.now;
      this.error = '';
    } catch (err) {
      this.error = err instanceof Error ? err.message : String(err);
    }
  }

  private async setState(id: string, state: StudyState) {
    this.busy = id;
    try {
      await api.setState(id, state);
      await this.load();
    } catch (err) {
      this.error = err instanceof Error ? err.message : String(err);
    } finally {
      this.busy = '';
    }
  }

  /** The buttons that move a study to the states it is not in; participants already in it always finish. */
  private renderStateButtons(s: StudyView) {
    const buttons: { state: StudyState; label: string; title: string }[] = [
      { state: 'open', label: s.state === 'open' ? '' : 'Open to new participants', title: 'New arrivals may join again' },
      { state: 'paused', label: s.state === 'paused' ? '' : 'Pause', title: 'New arrivals are told the study is paused; participants already in it finish' },
      { state: 'closed', label: s.state === 'closed' ? '' : 'Close', title: 'New arrivals are told the study is closed; participants already in it finish' },
    ];
    return buttons
      .filter((b) => b.label)
      .map((b) => html`<button type="button" class="state" data-state=${b.state} title=${b.title} ?disabled=${this.busy === s.id} @click=${() => void this.setState(s.id, b.state)}>${b.label}</button>`);
  }

  private renderStudy(s: StudyView) {
    return html`
      <section class="card study" data-study=${s.id}>
        <h2>${s.title} <span class="badge ${s.status}">${s.status}</span>${s.state !== 'open' ? html` <span class="badge state ${s.state}">${s.state}</span>` : ''}</h2>
        <p class="muted">
          id <code>${s.id}</code> · version <code title=${s.version}>${s.version.slice(0, 12)}</code>
          ${s.versions.length > 1 ? html` (${s.versions.length} versions)` : ''} · ${s.participants} participants${s.takeovers > 0 ? html` · <span title="records resumed by their recruiter id from another browser">${s.takeovers} takeovers</span>` : ''}
          ${s.file ? html` · <code>${s.file}</code>` : ''}
        </p>
        <table>
          <thead>
            <tr>
              <th scope="col">Condition</th>
              <th scope="col" class="num">Completed</th>
              <th scope="col" class="num">In progress</th>
              <th scope="col" class="num">Abandoned</th>
              <th scope="col" class="num">Ended early</th>
              <th scope="col" class="num">Target</th>
            </tr>
          </thead>
          <tbody>
            ${s.conditions.map(
              (c) => html`<tr data-condition=${c.condition}>
                <th scope="row">${c.condition}</th>
                <td class="num completed">${c.completed}</td>
                <td class="num in-progress">${c.inProgress}</td>
                <td class="num abandoned">${c.abandoned}</td>
                <td class="num ended">${c.endedEarly}</td>
                <td class="num target">${c.target}</td>
              </tr>`,
            )}
            <tr>
              <th scope="row">All</th>
              <td class="num">${s.totals.completed}</td>
              <td class="num">${s.totals.inProgress}</td>
              <td class="num">${s.totals.abandoned}</td>
              <td class="num">${s.totals.endedEarly}</td>
              <td class="num">${s.totals.target}</td>
            </tr>
          </tbody>
        </table>
        <p class="actions" style="margin-top:.75rem">
          <a class="button primary" href="#/monitor/${encodeURIComponent(s.id)}">Live monitor</a>
          <a class="button" href="#/results/${encodeURIComponent(s.id)}">Results</a>
          <a class="button" href=${previewUrl(s.id)} target="_blank" rel="noopener">Preview as participant</a>
          <a class="button" href=${csvUrl(s.id)} download>Raw responses (CSV)</a>
          ${this.renderStateButtons(s)}
        </p>
      </section>
    `;
  }

  override render() {
    if (this.error) return html`<p class="error" role="alert">${this.error}</p>`;
    if (!this.studies) return html`<p class="muted">Loading studies…</p>`;
    if (this.studies.length === 0) return html`<p class="muted">No studies are loaded. Put a protocol in the studies folder and restart the server.</p>`;
    return html`${this.studies.map((s) => this.renderStudy(s))}
      <p class="muted">Updated ${dateTime(this.loadedAt)}. Abandoned: in progress but idle past the slot timeout (their slot is free again).</p>`;
  }
}
customElements.define('admin-studies', AdminStudies);
