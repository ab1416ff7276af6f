// The researcher's buttons in Chromium (issue 12): pause, close and reopen a
// study from /admin, with new arrivals refused while a participant already in
// it carries on; and the results view's include toggles, which add pilot and
// bot participants to the numbers and say how many are left out.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { io as ioClient, type Socket } from 'socket.io-client';
import { launchChromium } from './browser.ts';
import { login, startTestServer, STUDY, type TestServer } from './helpers.ts';

let t: TestServer;
let browser: Awaited<ReturnType<typeof launchChromium>>;
const sockets: Socket[] = [];

before(async () => {
  t = await startTestServer();
  browser = await launchChromium();
});
after(async () => {
  for (const s of sockets) s.disconnect();
  await browser?.close();
  await t?.close();
});

type Auth = { study: string; prolific?: { PROLIFIC_PID: string }; pilot?: boolean; bot?: boolean };

/** Joins and consents; resolves with the first trial page (the participant is then in the study), or rejects with the refusal. */
function arrive(auth: Auth): Promise<{ socket: Socket; trial: { index: number; kind: string } }> {
  return new Promise((resolve, reject) => {
    const s = ioClient(t.url, { transports: ['websocket'], reconnection: false, forceNew: true, auth });
    sockets.push(s);
    s.on('refused', (x: { reason: string }) => reject(Object.assign(new Error(`refused: ${x.reason}`), { reason: x.reason })));
    s.on('page', (view: { index: number; kind: string }) => {
      if (view.kind === 'consent') s.emit('submit', { clientId: `consent-${sockets.length}-${Date.now()}`, pageIndex: view.index, answers: { consent: true }, rtMs: 800, events: [] }, () => {});
      else resolve({ socket: s, trial: view });
    });
  });
}

/** The refusal a new arrival gets, or 'joined'. */
async function newArrival(pid: string): Promise<string> {
  try {
    await arrive({ study: STUDY, prolific: { PROLIFIC_PID: pid } });
    return 'joined';
  } catch (err) {
    return (err as { reason?: string }).reason ?? String(err);
  }
}

/** Answers the trial pages until the participant is done; resolves with the status and code the server sends. */
function finish(socket: Socket, first: { index: number; kind: string }): Promise<{ status: string; code?: string }> {
  return new Promise((resolve) => {
    socket.on('done', resolve);
    const submit = (view: { index: number; kind: string }) =>
      socket.emit('submit', { clientId: `finish-${view.index}-${Date.now()}`, pageIndex: view.index, answers: view.kind === 'trial' ? { credible: 3, score: 6 } : {}, rtMs: 900, events: [] }, () => {});
    socket.on('page', submit);
    submit(first);
  });
}

test('pause, close and open buttons; include toggles on the results view', { timeout: 90_000 }, async () => {
  const mid = await arrive({ study: STUDY, prolific: { PROLIFIC_PID: 'in-before-pause' } });
  await arrive({ study: STUDY, pilot: true });
  await arrive({ study: STUDY, bot: true, prolific: { PROLIFIC_PID: 'a-bot' } });
  assert.deepEqual((await t.server.ctx.store.kindCounts(STUDY)), { real: 1, pilot: 1, bot: 1 });

  const researcher = await login(t.url, 'admin', t.password);
  const [name, value] = researcher.cookie.split('=');
  await browser.context.addCookies([{ name, value, url: t.url }]);
  const page = await browser.context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  await page.goto(`${t.url}/admin`);
  const card = page.locator(`section.study[data-study="${STUDY}"]`);
  await card.waitFor();
  const state = () => t.server.ctx.store.studyState(STUDY);
  assert.equal(await state(), 'open');
  assert.equal(await card.getByRole('button', { name: 'Open to new participants' }).count(), 0, 'an open study offers no Open button');

  // Pause: the badge says so, a new arrival is refused, the participant already in finishes with the code.
  await card.getByRole('button', { name: 'Pause' }).click();
  await card.locator('.badge.state.paused').waitFor();
  assert.equal(await state(), 'paused');
  assert.equal(await newArrival('late-while-paused'), 'paused');
  const done = await finish(mid.socket, mid.trial);
  assert.equal(done.status, 'completed');

  // Close, then open again.
  await card.getByRole('button', { name: 'Close' }).click();
  await card.locator('.badge.state.closed').waitFor();
  assert.equal(await state(), 'closed');
  assert.equal(await newArrival('late-while-closed'), 'closed');
  await card.getByRole('button', { name: 'Open to new participants' }).click();
  await card.locator('.badge.state').waitFor({ state: 'detached' });
  assert.equal(await card.getByRole('button', { name: 'Open to new participants' }).count(), 0);
  assert.equal(await state(), 'open');
  assert.equal(await newArrival('after-reopen'), 'joined');

  // Results: real participants only, saying who is left out; each toggle adds its kind.
  await card.getByRole('link', { name: 'Results' }).click();
  const results = page.locator('admin-results');
  const leftOut = results.locator('.left-out');
  await leftOut.waitFor();
  assert.equal(await leftOut.innerText(), 'Left out: 1 pilot, 1 bot.');
  const requested: string[] = [];
  page.on('request', (r) => {
    if (r.url().includes('/results')) requested.push(new URL(r.url()).search);
  });
  await results.getByLabel('Include bot participants').check();
  await results.locator('.left-out', { hasText: 'Left out: 1 pilot.' }).waitFor();
  assert.match(await results.locator('.include').innerText(), /Real participants and bot\./);
  assert.match(await results.getByRole('link', { name: 'raw responses (CSV)' }).getAttribute('href') ?? '', /responses\.csv\?include=bot$/);
  await results.getByLabel('Include pilot participants').check();
  await results.locator('.left-out', { hasText: 'None left out.' }).waitFor();
  assert.ok(requested.includes('?include=bot') && requested.includes('?include=pilot,bot'), requested.join(' '));
  await results.getByLabel('Include bot participants').uncheck();
  await results.getByLabel('Include pilot participants').uncheck();
  await results.locator('.left-out', { hasText: 'Left out: 1 pilot, 1 bot.' }).waitFor();
  assert.deepEqual(pageErrors, []);
});
