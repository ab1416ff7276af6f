// <credence-participant>: the whole participant page. It is a view of the
// server's state: it shows exactly the page the server sent, sends answers
// through the outbox, and ends only when the server says so.
import { LitElement, css, html, nothing } from 'lit';
import { keyed } from 'lit/directives/keyed.js';
import type { PageView, Submit, SubmitAck } from '../../studies/vocabulary/participant-wire.ts';
import { ParticipantConnection } from './connection.ts';
import { renderBadLink, renderDone, renderRefused, renderTakeover, safeRedirect, type DoneInfo, type RefusedInfo } from './end-screens.ts';
import { readLaunchParams } from './launch-params.ts';
import { createOutbox, type Outbox } from './outbox.ts';
import { PageEventLog } from './page-events.ts';
import type { PageAnswer } from './page-screen.ts';
import './page-screen.ts';
import { loadToken, saveToken } from './token-store.ts';
import { clearDrafts, forgetDraft, loadDraft, saveDraft, type DraftAnswers } from './draft-store.ts';

type Ending =
  | { kind: 'done'; info: DoneInfo }
  | { kind: 'takeover'; message: string }
  | { kind: 'refused'; info: RefusedInfo }
  | { kind: 'bad-link' };

/** How long the done page stays up before following the redirect, so the code can be read. */
const REDIRECT_DELAY_MS = 2500;

/** A v4 uuid; crypto.randomUUID exists only in secure contexts, getRandomValues everywhere. */
export function newClientId(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export class ParticipantApp extends LitElement {
  static override properties = {
    view: { state: true },
    status: { state: true },
    ending: { state: true },
    sendingFor: { state: true },
    error: { state: true },
    preview: { state: true },
  };

  view: PageView | undefined;
  status: 'connecting' | 'online' | 'reconnecting' = 'connecting';
  ending: Ending | undefined;
  /** Page index whose answer waits for its ack. */
  sendingFor: number | undefined;
  error = '';
  /** A researcher walking the protocol: nothing is stored. */
  preview = false;
  private conn: ParticipantConnection | undefined;
  private outbox: Outbox | undefined;
  private readonly log = new PageEventLog();
  /** Counts pages received, to tell whether the server already answered a submit with a page. */
  private pageSeq = 0;
  private submitSeq = new Map<string, number>();
  /** Study and recruiter id, the key of this browser's drafts. */
  private draftKey: { study: string; pid: string | undefined } | undefined;

  static override styles = css`
    :host {
      display: block;
      max-width: 42rem;
      margin: 0 auto;
      padding: 1rem 1rem 3rem;
      box-sizing: border-box;
      min-width: 0;
      overflow-wrap: anywhere;
    }
    .preview {
      margin: -1rem -1rem 1rem;
      padding: 0.4rem 1rem;
      background: #e8e4f7;
      color: #35276b;
      font-size: 0.9em;
    }
    .banner {
      position: sticky;
      top: 0;
      z-index: 10;
      margin: -1rem -1rem 1rem;
      padding: 0.55rem 1rem;
      background: #fff4d6;
      border-bottom: 1px solid #e2c46b;
      color: #5a4300;
      font-weight: 600;
    }
    .loading {
      color: #55575d;
      margin-top: 3rem;
    }
    h1 {
      font-size: 1.4em;
      line-height: 1.3;
    }
    .text {
      white-space: pre-wrap;
    }
    .code {
      font: 600 1.5em/1.3 ui-monospace, 'SFMono-Regular', Menlo, monospace;
      letter-spacing: 0.05em;
      background: #fff;
      border: 1px dashed #6b6f78;
      border-radius: 8px;
      display: inline-block;
      padding: 0.4rem 0.9rem;
      user-select: all;
    }
    a.button,
    button {
      display: inline-block;
      font: inherit;
      font-weight: 600;
      min-height: 48px;
      box-sizing: border-box;
      padding: 0.7rem 1.4rem;
      border-radius: 8px;
      border: 1px solid #1f5fbf;
      background: #1f5fbf;
      color: #fff;
      text-decoration: none;
      cursor: pointer;
    }
    a:focus-visible,
    button:focus-visible {
      outline: 3px solid #0b2f66;
      outline-offset: 2px;
    }
  `;

  override connectedCallback(): void {
    super.connectedCallback();
    // The boot message in the light DOM is replaced by our shadow root's content.
    const params = readLaunchParams(location);
    if (!params) {
      this.ending = { kind: 'bad-link' };
      return;
    }
    // Preview sessions keep their own storage, so a researcher's preview never resumes (or clobbers) a participant.
    const pid = params.preview ? 'preview' : params.prolific?.PROLIFIC_PID;
    const token = loadToken(params.study, pid);
    this.draftKey = { study: params.study, pid };
    this.outbox = createOutbox(params.study, pid);
    this.conn = new ParticipantConnection(
      {
        study: params.study,
        ...(token ? { token } : {}),
        ...(params.prolific ? { prolific: params.prolific } : {}),
        ...(params.preview ? { preview: true } : {}),
        ...(params.pilot ? { pilot: true } : {}),
      },
      this.outbox,
      {
        onStatus: (s) => (this.status = s),
        onJoined: (t, preview) => {
          saveToken(params.study, pid, t);
          this.preview = preview;
        },
        onPage: (v) => this.showPage(v),
        onDone: (info) => this.finish(info),
        onTakeover: (message) => (this.ending = { kind: 'takeover', message }),
        onRefused: (info) => (this.ending = { kind: 'refused', info }),
        onAcked: (s) => this.acked(s),
        onRejected: (s, ack) => this.rejected(s, ack),
      },
    );
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.conn?.stop();
    this.log.dispose();
  }

  private showPage(v: PageView): void {
    if (this.ending) return;
    const samePage = this.view?.index === v.index;
    this.pageSeq++;
    document.title = v.title ? `${v.title} · Page ${v.index + 1} of ${v.total}` : `Page ${v.index + 1} of ${v.total}`;
    this.view = v;
    if (!samePage) this.error = '';
    // Pages before this one are answered: their drafts are done with.
    if (this.draftKey) clearDrafts(this.draftKey.study, this.draftKey.pid, v.index);
    // An answer for this page still in the outbox (e.g. sent just before a reload) is being retried.
    const pending = this.outbox?.pending().some((s) => s.pageIndex === v.index);
    this.sendingFor = pending ? v.index : undefined;
  }

  private onPageDraft(e: CustomEvent<DraftAnswers>): void {
    if (!this.view || !this.draftKey) return;
    saveDraft(this.draftKey.study, this.draftKey.pid, this.view.index, e.detail);
    this.conn?.draft(this.view.index, e.detail);
  }

  private onPageSubmit(e: CustomEvent<PageAnswer>): void {
    if (!this.view || !this.conn) return;
    const submit: Submit = {
      clientId: newClientId(),
      pageIndex: this.view.index,
      answers: e.detail.answers,
      rtMs: Math.round(e.detail.rtMs * 10) / 10,
      events: e.detail.events,
    };
    this.error = '';
    this.sendingFor = this.view.index;
    this.submitSeq.set(submit.clientId, this.pageSeq);
    // The answer now lives in the outbox (which survives a reload); the draft would refill a new attempt.
    if (this.draftKey) forgetDraft(this.draftKey.study, this.draftKey.pid, submit.pageIndex);
    this.conn.submit(submit);
  }

  private acked(s: Submit): void {
    // The next page follows from the server; until it arrives, this page stays "saving".
    // If it already came (page before ack, e.g. the same page again with training feedback), unlock now.
    const seq = this.submitSeq.get(s.clientId);
    this.submitSeq.delete(s.clientId);
    if (seq !== undefined && this.pageSeq > seq && this.sendingFor === s.pageIndex) this.sendingFor = undefined;
  }

  private rejected(s: Submit, ack: Extract<SubmitAck, { ok: false }>): void {
    if (this.view?.index !== s.pageIndex) return; // stale: the server has moved on and sent the page it wants
    this.sendingFor = undefined;
    this.error = ack.field ? `Please check your answer (${ack.field}): ${ack.error}` : ack.error;
  }

  private finish(info: DoneInfo): void {
    const redirect = safeRedirect(info.redirectUrl);
    this.outbox?.clear();
    if (this.draftKey) clearDrafts(this.draftKey.study, this.draftKey.pid);
    this.ending = { kind: 'done', info };
    // Only now, with the final save confirmed by the server, leave for the recruiter.
    if (redirect) setTimeout(() => location.assign(redirect), REDIRECT_DELAY_MS);
  }

  override render() {
    const e = this.ending;
    if (e?.kind === 'done') return renderDone(e.info, safeRedirect(e.info.redirectUrl));
    if (e?.kind === 'takeover') return renderTakeover(e.message);
    if (e?.kind === 'refused') return renderRefused(e.info);
    if (e?.kind === 'bad-link') return renderBadLink();
    const banner = html`${this.preview ? html`<div class="preview">Preview: you see what a participant sees; nothing is stored.</div>` : nothing}${
      this.status === 'reconnecting'
        ? html`<div class="banner" role="status">Connection lost — reconnecting… Your answers are kept.</div>`
        : nothing
    }`;
    if (!this.view) {
      return html`${banner}<p class="loading" role="status">${this.status === 'reconnecting' ? 'Waiting for the server…' : 'Loading the study…'}</p>`;
    }
    const v = this.view;
    return html`
      ${banner}
      ${keyed(
        // A new comprehension attempt is a fresh page: answers cleared, reaction time restarted.
        `${v.index}:${v.attemptsLeft ?? ''}`,
        html`<page-screen
          .view=${v}
          .clock=${this.conn!.clock}
          .log=${this.log}
          .sending=${this.sendingFor === v.index}
          .error=${this.error}
          .draft=${this.draftKey ? loadDraft(this.draftKey.study, this.draftKey.pid, v.index) : {}}
          @page-draft=${this.onPageDraft}
          @page-submit=${this.onPageSubmit}
        ></page-screen>`,
      )}
    `;
  }
}
customElements.define('credence-participant', ParticipantApp);

declare global {
  interface HTMLElementTagNameMap {
    'credence-participant': ParticipantApp;
  }
}
