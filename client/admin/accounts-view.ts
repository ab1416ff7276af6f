// <admin-accounts>: the researcher accounts; add a colleague, change one's own password.
import { LitElement, html } from 'lit';
import { api } from './api.ts';
import { dateTime } from './format.ts';
import { baseStyles } from './styles.ts';

type Account = { username: string; createdAt: number; passwordChangedAt: number };

export class AdminAccounts extends LitElement {
  static override properties = { username: { type: String }, accounts: { state: true }, message: { state: true }, error: { state: true } };
  static override styles = [baseStyles];
  declare username: string;
  declare accounts: Account[];
  declare message: string;
  declare error: string;

  constructor() {
    super();
    this.username = '';
    this.accounts = [];
    this.message = '';
    this.error = '';
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void this.load();
  }

  private async load() {
    try {
      this.accounts = (await api.accounts()).accounts;
    } catch (err) {
      this.error = err instanceof Error ? err.message : String(err);
    }
  }

  private async run(form: HTMLFormElement, action: (data: FormData) => Promise<string>) {
    this.message = '';
    this.error = '';
    try {
      this.message = await action(new FormData(form));
      form.reset();
      await this.load();
    } catch (err) {
      this.error = err instanceof Error ? err.message : String(err);
    }
  }

  private addAccount(e: SubmitEvent) {
    e.preventDefault();
    void this.run(e.target as HTMLFormElement, async (d) => {
      const r = await api.addAccount(String(d.get('username') ?? ''), String(d.get('password') ?? ''));
      return `Account ${r.username} created.`;
    });
  }

  private changePassword(e: SubmitEvent) {
    e.preventDefault();
    void this.run(e.target as HTMLFormElement, async (d) => {
      await api.changePassword(String(d.get('current') ?? ''), String(d.get('next') ?? ''));
      return 'Password changed; your other sessions were logged out.';
    });
  }

  override render() {
    return html`
      <h2>Researcher accounts</h2>
      ${this.message ? html`<p class="card" role="status">${this.message}</p>` : ''}
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : ''}
      <section class="card">
        <table>
          <thead><tr><th scope="col">Username</th><th scope="col">Created</th><th scope="col">Password changed</th></tr></thead>
          <tbody>
            ${this.accounts.map(
              (a) => html`<tr><td>${a.username}${a.username === this.username ? html` <span class="muted">(you)</span>` : ''}</td><td>${dateTime(a.createdAt)}</td><td>${dateTime(a.passwordChangedAt)}</td></tr>`,
            )}
          </tbody>
        </table>
      </section>
      <section class="card">
        <h3>Add a researcher</h3>
        <form @submit=${this.addAccount} class="actions">
          <label>Username <input name="username" autocomplete="off" required /></label>
          <label>Password <input name="password" type="password" autocomplete="new-password" minlength="10" required /></label>
          <button class="primary" type="submit">Add</button>
        </form>
      </section>
      <section class="card">
        <h3>Change your password</h3>
        <form @submit=${this.changePassword} class="actions">
          <label>Current <input name="current" type="password" autocomplete="current-password" required /></label>
          <label>New <input name="next" type="password" autocomplete="new-password" minlength="10" required /></label>
          <button class="primary" type="submit">Change</button>
        </form>
      </section>
    `;
  }
}
customElements.define('admin-accounts', AdminAccounts);
