// <admin-monitor>: who is on which page of a study, for how long, when each was
// last seen, their status, and the dropouts. Fed by the socket.io namespace
// /admin (a push every 2 s); if the socket cannot connect, it polls the same
// data over HTTP every 2 s. Times tick locally between pushes.
import { LitElement, html } from 'lit';
import { io, type Socket } from 'socket.io-client';
import { api, goToLogin, previewUrl, type LiveParticipant, type MonitorView } from './api.ts';
import { ago, duration, shortId } from './format.ts';
import { baseStyles } from './styles.ts';

const POLL_MS = 2000;

type Filter = 'all' | 'live' | 'dropouts' | 'finished';
const FILTERS: { id: Filter; label: string; keep: (p: LiveParticipant) => boolean }[] = [
  { id: 'all', label: 'All', keep: () => true },
  { id: 'live', label: 'In progress', keep: (p) => p.state === 'in-progress' },
  { id: 'dropouts', label: 'Dropouts', keep: (p) => p.state !== 'in-progress' && p.state !== 'completed' },
  { id: 'finished', label: 'Completed', keep: (p) => p.state === 'completed' },
];

function stateClass(state: LiveParticipant['state']): string {
  if (state === 'in-progress' || state === 'completed' || state === 'abandoned') return state;
  return 'ended';
}

export class AdminMonitor extends LitElement {
  static override properties = {
    studyId: { type: String },
    view: { state: true },
    error: { state: true },
    transport: { state: true },
    tick: { state: true },
    filter: { state: true },
  };
  static override styles = [baseStyles];
  declare studyId: string;
  declare view: MonitorView | undefined;
  declare error: string;
  declare transport: 'connecting' | 'live' | 'polling';
  declare tick: number;
  declare filter: Filter;
  /** Local clock minus the server's `now` of the last view, so that times keep ticking. */
  private receivedAt = 0;
  private socket: Socket | undefined;
  private pollTimer: ReturnType<typeof setInterval> | undefined;
  private tickTimer: ReturnType<typeof setInterval> | undefined;

  constructor() {
    super();
    this.studyId = '';
    this.view = undefined;
    this.error = '';
    this.transport = 'connecting';
    this.tick = 0;
    this.filter = 'all';
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.tickTimer = setInterval(() => (this.tick = Date.now()), 1000);
  }

  override disconnectedCallback(): void {
    this.stopFeed();
    clearInterval(this.tickTimer);
    super.disconnectedCallback();
  }

  override updated(changed: Map<string, unknown>): void {
    if (changed.has('studyId') && this.studyId) this.startFeed();
  }

  private show(view: MonitorView) {
    this.view = view;
    this.receivedAt = Date.now();
    this.error = '';
  }

  private startFeed() {
    this.stopFeed();
    this.view = undefined;
    this.transport = 'connecting';
    // WebSocket only: where it is blocked, the HTTP polling below takes over (socket.io's own
    // long-polling transport would add nothing, and the server need not accept it).
    const socket = io('/admin', { transports: ['websocket'], withCredentials: true, reconnectionDelayMax: 5000 });
    this.socket = socket;
    socket.on('connect', () => {
      this.stopPolling();
      socket.emit('watch', this.studyId, (r: { ok: boolean; error?: string }) => {
        if (r.ok) this.transport = 'live';
        else this.error = r.error ?? 'could not watch this study';
      });
    });
    socket.on('monitor', (view: MonitorView) => {
      if (view.studyId === this.studyId) this.show(view);
    });
    socket.on('session-ended', () => goToLogin());
    socket.on('connect_error', () => this.startPolling());
    socket.on('disconnect', () => this.startPolling());
  }

  private startPolling() {
    if (this.pollTimer) return;
    this.transport = 'polling';
    const poll = async () => {
      try {
        this.show(await api.monitor(this.studyId));
      } catch (err) {
        this.error = err instanceof Error ? err.message : String(err);
      }
    };
    void poll();
    this.pollTimer = setInterval(() => void poll(), POLL_MS);
  }

  private stopPolling() {
    clearInterval(this.pollTimer);
    this.pollTimer = undefined;
  }

  private stopFeed() {
    this.stopPolling();
    this.socket?.disconnect();
    this.socket = undefined;
  }

  private renderRow(p: LiveParticipant, elapsed: number) {
    const live = p.state === 'in-progress';
    const onPage = live ? p.timeOnPageMs + elapsed : p.timeOnPageMs;
    const now = this.view!.now + elapsed;
    return html`<tr data-participant=${p.participantId}>
      <td><code title=${p.participantId}>${shortId(p.participantId)}</code>${p.prolificPid ? html`<br /><span class="muted" title="Prolific PID">${p.prolificPid}</span>` : ''}</td>
      <td>${p.condition}</td>
      <td><span class="badge ${stateClass(p.state)}">${p.state}</span>${p.flagged ? html` <span class="badge abandoned" title="failed an attention check (flagged only)">flagged</span>` : ''}</td>
      <td class="page">${Math.min(p.pageIndex + 1, p.pagesTotal)} / ${p.pagesTotal}${p.pageKind ? html` <span class="muted">${p.pageKind}</span>` : ''}</td>
      <td class="num on-page">${live || p.state === 'abandoned' ? duration(onPage) : '–'}</td>
      <td class="num last-seen">${ago(p.lastSeenAt, now)}</td>
      <td class="num">${duration((p.endedAt ?? now) - p.startedAt)}</td>
    </tr>`;
  }

  override render() {
    const v = this.view;
    const transportNote =
      this.transport === 'live'
        ? `live (pushed every ${Math.round((this.view?.pushIntervalMs ?? 2000) / 1000)} s)`
        : this.transport === 'polling'
          ? 'polling every 2 s'
          : 'connecting…';
    if (!v) {
      return html`<h2>Live monitor: ${this.studyId}</h2>
        ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : html`<p class="muted">${transportNote}</p>`}`;
    }
    const elapsed = Math.max(0, (this.tick || Date.now()) - this.receivedAt);
    return html`
      <h2>Live monitor: ${v.studyId}</h2>
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : ''}
      <div class="card">
        <div class="stats">
          <div class="stat"><b class="in-progress-count">${v.counts.inProgress}</b>in progress</div>
          <div class="stat"><b>${v.counts.completed}</b>completed</div>
          <div class="stat"><b>${v.counts.abandoned}</b>abandoned</div>
          <div class="stat"><b>${v.counts.endedEarly}</b>ended early</div>
          <div class="stat"><b class="dropouts">${v.dropouts}</b>dropouts</div>
        </div>
        <p class="muted">
          <span class="transport">${transportNote}</span> ·
          <a href=${previewUrl(v.studyId)} target="_blank" rel="noopener">preview as participant</a>
          ${v.truncated ? html` · showing the ${v.participants.length} most relevant of ${v.counts.total}` : ''}
        </p>
      </div>
      <div class="card">
        <div class="actions" role="group" aria-label="Show participants" style="margin-bottom:.75rem">
          ${FILTERS.map(
            (f) => html`<button class=${this.filter === f.id ? 'primary' : ''} aria-pressed=${this.filter === f.id ? 'true' : 'false'} @click=${() => (this.filter = f.id)}>${f.label}</button>`,
          )}
        </div>
        <table>
          <thead>
            <tr>
              <th scope="col">Participant</th>
              <th scope="col">Condition</th>
              <th scope="col">Status</th>
              <th scope="col">Page</th>
              <th scope="col" class="num">On page</th>
              <th scope="col" class="num">Last seen</th>
              <th scope="col" class="num">In study</th>
            </tr>
          </thead>
          <tbody>
            ${(() => {
              const keep = FILTERS.find((f) => f.id === this.filter)!.keep;
              const shown = v.participants.filter(keep);
              return shown.length === 0
                ? html`<tr><td colspan="7" class="muted">${v.participants.length === 0 ? 'No participants yet.' : 'No participants in this group.'}</td></tr>`
                : shown.map((p) => this.renderRow(p, elapsed));
            })()}
          </tbody>
        </table>
      </div>
    `;
  }
}
customElements.define('admin-monitor', AdminMonitor);
