// The pages that end a visit: finished (with the completion code), taken over
// by another tab, refused (study full, closed, unknown), or a broken link. Plain
// words, no jargon; every server message is shown as text.
import { html, nothing } from 'lit';
import type { ServerToClient } from '../../studies/vocabulary/participant-wire.ts';

export type DoneInfo = Parameters<ServerToClient['done']>[0];
export type RefusedInfo = Parameters<ServerToClient['refused']>[0];

const REFUSED_TITLE: Record<RefusedInfo['reason'], string> = {
  full: 'This study is full',
  paused: 'This study is paused',
  closed: 'This study is closed',
  'placeholder-id': 'This link is not finished',
  'unknown-study': 'Study not found',
  'other-browser': 'This study continues in another browser',
  'too-many-joins': 'Too many new visits from your network',
  'bad-request': 'This link does not work',
};

const REFUSED_TEXT: Record<RefusedInfo['reason'], string> = {
  full: 'All places in this study have been taken. Thank you for your interest. Please return the study on Prolific (or close this page); you will not be penalised.',
  paused: 'The researchers have paused this study for the moment; nobody new can start it now. Please try again later, or return the study on Prolific; you will not be penalised.',
  closed: 'This study is no longer taking participants. Please return the study on Prolific (or close this page).',
  'placeholder-id':
    'The link still holds a placeholder where your Prolific ID belongs, so the study cannot tell who you are. Please open the study from Prolific itself. If you are testing the study, use the pilot link the researcher gave you.',
  'unknown-study': 'There is no study at this address. Please check the link you were given.',
  'other-browser':
    'You agreed to take part in this study in another browser or on another device, and this study can only be continued there. Please open the link in that browser. Your answers so far are saved.',
  'too-many-joins': 'Many people on your network started this study just now, so new starts from it are held back for a few minutes. Please try again later.',
  'bad-request': 'The link is missing something the study needs. Please open the study again from the link you were given.',
};

const DONE_TITLE: Record<DoneInfo['status'], string> = {
  completed: 'Thank you — you have finished',
  'no-consent': 'You chose not to take part',
  'failed-attention': 'The study has ended',
  'timed-out': 'The time for this study has run out',
  'failed-comprehension': 'The study has ended',
};

/** Only web links may be followed; anything else (javascript:, data:) is ignored. */
export function safeRedirect(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const u = new URL(url, location.href);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What each ending says about the answers: someone who declined consent gave
 * none, and someone ended early is told what was kept, not that all is well.
 */
const DONE_SAVED: Record<DoneInfo['status'], string> = {
  completed: 'Your answers are saved.',
  'no-consent': 'Nothing you did here is used for the study.',
  'failed-attention': 'Your answers so far are saved.',
  'timed-out': 'Your answers up to the time limit are saved.',
  'failed-comprehension': 'Your answers so far are saved.',
};

export function renderDone(info: DoneInfo, redirect: string | undefined) {
  const saved = DONE_SAVED[info.status] ?? '';
  return html`
    <section class="end" aria-labelledby="end-title">
      <h1 id="end-title">${DONE_TITLE[info.status] ?? 'The study has ended'}</h1>
      ${info.message ? html`<p class="text">${info.message}</p>` : nothing}
      ${info.code
        ? html`<p>Your completion code is</p>
            <p class="code" data-testid="completion-code">${info.code}</p>`
        : nothing}
      ${redirect
        ? html`<p role="status">${saved} Taking you back to Prolific…</p>
            <p><a class="button" href=${redirect}>Continue to Prolific</a></p>`
        : html`<p>${saved} You may close this page.</p>`}
    </section>
  `;
}

export function renderTakeover(message: string) {
  return html`
    <section class="end" aria-labelledby="end-title">
      <h1 id="end-title">The study is open somewhere else</h1>
      <p class="text">${message || 'You opened this study in another tab or on another device, and it continues there.'}</p>
      <p>To continue here instead, reload this page; the other tab will stop. Your answers so far are saved.</p>
      <p><button type="button" @click=${() => location.reload()}>Continue here</button></p>
    </section>
  `;
}

export function renderRefused(info: RefusedInfo) {
  return html`
    <section class="end" aria-labelledby="end-title">
      <h1 id="end-title">${REFUSED_TITLE[info.reason] ?? 'You cannot join this study'}</h1>
      <p class="text">${REFUSED_TEXT[info.reason] ?? ''}</p>
      ${info.message && info.message !== REFUSED_TEXT[info.reason] ? html`<p class="text">${info.message}</p>` : nothing}
    </section>
  `;
}

export function renderBadLink() {
  return html`
    <section class="end" aria-labelledby="end-title">
      <h1 id="end-title">This link does not work</h1>
      <p>A study link looks like <code>/s/study-name</code>. Please open the study again from the link you were given.</p>
    </section>
  `;
}
