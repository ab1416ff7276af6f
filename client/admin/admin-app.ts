// <credence-admin>: the researcher app's frame. Loads the session (and with it
// the CSRF token), then shows one view chosen by the URL hash:
//   #/                 studies with counts per condition
//   #/monitor/<id>     live monitor of one study
//   #/results/<id>     results of one study
//   #/accounts         researcher accounts
import { LitElement, css, html } from 'lit';
import { api, loadSession, type SessionInfo } from './api.ts';
import { baseStyles } from './styles.ts';

type Route = { view: 'studies' } | { view: 'monitor'; studyId: string } | { view: 'results'; studyId: string } | { view: 'accounts' };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return '';
    }
  });
  if (parts[0] === 'monitor' && parts[1]) return { view: 'monitor', studyId: parts[1] };
  if (parts[0] === 'results' && parts[1]) return { view: 'results', studyId: parts[1] };
  if (parts[0] === 'accounts') return { view: 'accounts' };
  return { view: 'studies' };
}

export class AdminApp extends LitElement {
  static override properties = {
    session: { state: true },
    route: { state: true },
    error: { state: true },
  };
  static override styles = [
    baseStyles,
    css`
      header { display: flex; align-items: center; gap: 1.5rem; padding: 0.6rem 1.25rem; background: #1f2a44; color: #fff; flex-wrap: wrap; }
      header h1 { font-size: 1.05rem; margin: 0; font-weight: 650; letter-spacing: 0.01em; }
      nav { display: flex; gap: 1rem; flex: 1; }
      nav a { color: #c9d4f2; text-decoration: none; }
      nav a[aria-current='page'] { color: #fff; font-weight: 600; text-decoration: underline; text-underline-offset: 4px; }
      .who { display: flex; gap: 0.75rem; align-items: center; color: #c9d4f2; }
      main { max-width: 75rem; margin: 1.25rem auto; padding: 0 1.25rem; }
    `,
  ];

  declare session: SessionInfo | undefined;
  declare route: Route;
  declare error: string;
  private onHash = () => {
    this.route = parseRoute(location.hash);
  };

  constructor() {
    super();
    this.session = undefined;
    this.route = parseRoute(location.hash);
    this.error = '';
  }

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('hashchange', this.onHash);
    loadSession().then(
      (s) => (this.session = s),
      (err: unknown) => (this.error = err instanceof Error ? err.message : String(err)),
    );
  }

  override disconnectedCallback(): void {
    window.removeEventListener('hashchange', this.onHash);
    super.disconnectedCallback();
  }

  private async logout() {
    try {
      await api.logout();
    } finally {
      location.assign('/admin/login');
    }
  }

  private navLink(href: string, label: string, active: boolean) {
    return html`<a href=${href} aria-current=${active ? 'page' : 'false'}>${label}</a>`;
  }

  private renderView() {
    const r = this.route;
    switch (r.view) {
      case 'monitor':
        return html`<admin-monitor .studyId=${r.studyId}></admin-monitor>`;
      case 'results':
        return html`<admin-results .studyId=${r.studyId}></admin-results>`;
      case 'accounts':
        return html`<admin-accounts .username=${this.session?.username ?? ''}></admin-accounts>`;
      default:
        return html`<admin-studies></admin-studies>`;
    }
  }

  override render() {
    const r = this.route;
    return html`
      <header>
        <h1>Credence</h1>
        <nav aria-label="Researcher">
          ${this.navLink('#/', 'Studies', r.view === 'studies')}
          ${r.view === 'monitor' ? this.navLink(location.hash, `Monitor: ${r.studyId}`, true) : ''}
          ${r.view === 'results' ? this.navLink(location.hash, `Results: ${r.studyId}`, true) : ''}
          ${this.navLink('#/accounts', 'Accounts', r.view === 'accounts')}
        </nav>
        ${this.session
          ? html`<div class="who"><span>Signed in as <b>${this.session.username}</b></span><button @click=${this.logout}>Log out</button></div>`
          : ''}
      </header>
      <main>${this.error ? html`<p class="error" role="alert">${this.error}</p>` : this.session ? this.renderView() : html`<p class="muted">Loading…</p>`}</main>
    `;
  }
}
customElements.define('credence-admin', AdminApp);
