// <admin-results>: a study's results while it runs: tables as text cells, and
// figures (SVG from the analysis report) shown as images, so no markup from the
// data can run. Real participants only unless the include toggles add pilot
// or bot participants (as `--include` does on the CLI). Refreshes every 10 s.
import { LitElement, css, html } from 'lit';
import { api, codebookUrl, csvUrl, reportUrl, type ResultsView } from './api.ts';
import { PARTICIPANT_KINDS, type ParticipantKind } from '../../studies/vocabulary/participant-kinds.ts';

/** The kinds a researcher may add to the real participants. */
const OPTIONAL_KINDS = PARTICIPANT_KINDS.filter((k) => k !== 'real');
import { dateTime } from './format.ts';
import { baseStyles } from './styles.ts';

const REFRESH_MS = 10_000;

function svgDataUrl(svg: string): string {
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
}

export class AdminResults extends LitElement {
  static override properties = { studyId: { type: String }, results: { state: true }, error: { state: true }, include: { state: true } };
  static override styles = [
    baseStyles,
    css`
      .figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(26rem, 1fr)); gap: 1rem; }
      figure { margin: 0; }
      figure img { max-width: 100%; height: auto; }
      .headlines li { margin: 0.3rem 0; }
      .why { font-size: 0.8em; }
      .include label { margin-right: 1rem; }
    `,
  ];
  declare studyId: string;
  declare results: ResultsView | undefined;
  declare error: string;
  /** Kinds shown beside the real participants. */
  declare include: ParticipantKind[];
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor() {
    super();
    this.studyId = '';
    this.results = undefined;
    this.error = '';
    this.include = [];
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.timer = setInterval(() => void this.load(), REFRESH_MS);
  }

  override disconnectedCallback(): void {
    clearInterval(this.timer);
    super.disconnectedCallback();
  }

  override updated(changed: Map<string, unknown>): void {
    if ((changed.has('studyId') || changed.has('include')) && this.studyId) {
      this.results = undefined;
      void this.load();
    }
  }

  private async load() {
    if (!this.studyId) return;
    try {
      const include = this.include;
      const results = await api.results(this.studyId, include);
      if (include !== this.include) return; // a toggle changed meanwhile: its own load follows
      this.results = results;
      this.error = '';
    } catch (err) {
      this.error = err instanceof Error ? err.message : String(err);
    }
  }

  private toggle(kind: ParticipantKind, on: boolean) {
    const set = new Set(this.include);
    if (on) set.add(kind);
    else set.delete(kind);
    this.include = OPTIONAL_KINDS.filter((k) => set.has(k));
  }

  /** Which kinds the numbers include, the toggles, and how many were left out. */
  private renderKinds(r: ResultsView | undefined) {
    const left = r ? Object.entries(r.leftOut).filter(([, n]) => (n ?? 0) > 0) : [];
    return html`<p class="include">
      Real participants${this.include.length ? html` and ${this.include.join(', ')}` : ' only'}.
      ${OPTIONAL_KINDS.map(
        (k) => html`<label><input type="checkbox" name="include" value=${k} .checked=${this.include.includes(k)} @change=${(e: Event) => this.toggle(k, (e.target as HTMLInputElement).checked)} /> Include ${k} participants</label>`,
      )}
      ${r ? html`<span class="muted left-out">${left.length ? `Left out: ${left.map(([k, n]) => `${n} ${k}`).join(', ')}.` : 'None left out.'}</span>` : ''}
    </p>`;
  }

  override render() {
    const r = this.results;
    return html`
      <h2>Results: ${this.studyId}</h2>
      ${this.renderKinds(r)}
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : ''}
      ${!r
        ? html`<p class="muted">Loading results…</p>`
        : html`
            <p class="muted">
              ${r.source === 'analysis' ? 'The same analysis as the report of credence analyze (without the TF-IDF transfer matrix)' : 'Counts and means per condition only'} ·
              computed ${dateTime(r.generatedAt)} · refreshes every ${REFRESH_MS / 1000} s ·
              <a href=${csvUrl(this.studyId, this.include)} download>raw responses (CSV)</a> ·
              <a href=${codebookUrl(this.studyId)} download>codebook (CSV)</a> ·
              <a href=${reportUrl(this.studyId, this.include)} download>report (HTML)</a>
            </p>
            ${r.headlines.length
              ? html`<section class="card" id="headlines"><h3>Headline results</h3><ul class="headlines">${r.headlines.map((h) => html`<li>${h}</li>`)}</ul></section>`
              : ''}
            ${r.notes.length ? html`<section class="card"><h3>Notes</h3><ul>${r.notes.map((n) => html`<li>${n}</li>`)}</ul></section>` : ''}
            ${r.figures.length
              ? html`<div class="figures">
                  ${r.figures.map(
                    (f) => html`<figure class="card">
                      <img src=${svgDataUrl(f.svg)} alt=${`${f.title}. ${f.description}`} />
                      <figcaption class="muted"><strong>${f.title}.</strong> ${f.description}</figcaption>
                    </figure>`,
                  )}
                </div>`
              : ''}
            ${r.tables.map(
              (t) => html`<section class="card">
                <h3>${t.title}</h3>
                ${t.note ? html`<p class="muted">${t.note}</p>` : ''}
                <table>
                  <thead><tr>${t.columns.map((c) => html`<th scope="col">${c}</th>`)}</tr></thead>
                  <tbody>
                    ${t.rows.length === 0
                      ? html`<tr><td colspan=${t.columns.length} class="muted">No data yet.</td></tr>`
                      : t.rows.map((row, i) => html`<tr>${row.map((cell, j) => html`<td class=${typeof cell === 'number' ? 'num' : ''}>${cell === null ? html`–${t.why?.[i]?.[j] ? html` <span class="muted why">(${t.why[i][j]})</span>` : ''}` : String(cell)}</td>`)}</tr>`)}
                  </tbody>
                </table>
              </section>`,
            )}
          `}
    `;
  }
}
customElements.define('admin-results', AdminResults);
