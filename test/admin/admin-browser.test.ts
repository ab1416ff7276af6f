// One researcher session in Chromium: log in through the form, see the study
// with its counts, open the live monitor and watch a new participant appear
// without reloading, open a preview, and find every participant- or
// protocol-supplied string (a <script> title, an <img onerror> Prolific id)
// shown as text, with nothing of it executed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { io as ioClient, type Socket } from 'socket.io-client';
import { launchChromium } from './browser.ts';
import { startTestServer, STUDY, type TestServer } from './helpers.ts';

const EVIL_PID = `<img src=x onerror="window.__pwned='pid'">`;

let t: TestServer;
let browser: Awaited<ReturnType<typeof launchChromium>>;
const participants: Socket[] = [];

before(async () => {
  t = await startTestServer();
  browser = await launchChromium();
});
after(async () => {
  for (const s of participants) s.disconnect();
  await browser?.close();
  await t?.close();
});

/** A participant who joins and answers the consent page, then stays on the first trial. */
function arrive(pid: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = ioClient(t.url, { transports: ['websocket'], reconnection: false, forceNew: true, auth: { study: STUDY, prolific: { PROLIFIC_PID: pid } } });
    participants.push(s);
    let id = '';
    s.on('joined', (j: { participantId: string }) => (id = j.participantId));
    s.on('refused', (x: unknown) => reject(new Error(JSON.stringify(x))));
    s.on('page', (view: { index: number; kind: string }) => {
      if (view.kind === 'consent') s.emit('submit', { clientId: `consent-${pid.length}-${Date.now()}`, pageIndex: view.index, answers: { consent: true }, rtMs: 800, events: [] }, () => {});
      else resolve(id);
    });
  });
}

test('login, studies, live monitor and preview in Chromium, with hostile text shown as text', { timeout: 90_000 }, async () => {
  await arrive(EVIL_PID);
  const page = await browser.context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));

  // Not logged in: the app sends us to the login form.
  await page.goto(`${t.url}/admin`);
  assert.match(page.url(), /\/admin\/login\?next=%2Fadmin$/);
  await page.fill('#username', 'admin');
  await page.fill('#password', 'not-the-password');
  await page.click('button[type=submit]');
  await page.getByText('wrong username or password').waitFor();
  await page.fill('#password', t.password);
  await page.click('button[type=submit]');
  await page.waitForURL(`${t.url}/admin`);

  // The study list: the title's markup is text, and the counts are there.
  const card = page.locator(`section.study[data-study="${STUDY}"]`);
  await card.waitFor();
  assert.equal(await card.locator('h2').innerText(), `Admin demo <script>window.__pwned = 'title'</script> open`);
  const rows = card.locator('tbody tr[data-condition]');
  assert.equal(await rows.count(), 2);
  const inProgress = await card.locator('td.in-progress').allInnerTexts();
  assert.deepEqual(inProgress.map(Number).reduce((a, b) => a + b, 0), 1);
  assert.deepEqual(await card.locator('td.target').allInnerTexts(), ['3', '3']);

  // The live monitor: the participant's Prolific id is shown verbatim, and a new arrival appears by itself.
  await card.getByRole('link', { name: 'Live monitor' }).click();
  await page.waitForURL(/#\/monitor\/admin-demo$/);
  const monitor = page.locator('admin-monitor');
  await monitor.locator('.transport', { hasText: 'live (pushed every 2 s)' }).waitFor();
  const evilRow = monitor.locator('tbody tr[data-participant]').first();
  await evilRow.waitFor();
  assert.match(await evilRow.innerText(), /<img src=x onerror="window.__pwned='pid'">/);
  assert.equal(await monitor.locator('img').count(), 0, 'no element was made from the id');
  assert.match(await evilRow.locator('td.page').innerText(), /^2 \/ \d+ trial$/);
  assert.equal(await monitor.locator('.in-progress-count').innerText(), '1');

  await arrive('late-arrival');
  await monitor.locator('.in-progress-count', { hasText: '2' }).waitFor({ timeout: 8000 });
  await monitor.locator('tbody tr[data-participant]', { hasText: 'late-arrival' }).waitFor();
  await monitor.getByRole('button', { name: 'Completed' }).click();
  await monitor.getByText('No participants in this group.').waitFor();
  await monitor.getByRole('button', { name: 'In progress' }).click();
  assert.equal(await monitor.locator('tbody tr[data-participant]').count(), 2);

  // Preview: the participant page in a new tab walks the study under the researcher cookie and stores nothing.
  const before = (await t.server.ctx.store.participants(STUDY)).length;
  const [preview] = await Promise.all([
    browser.context.waitForEvent('page'),
    page.goto(`${t.url}/admin#/`).then(() => page.locator(`section.study[data-study="${STUDY}"]`).getByRole('link', { name: 'Preview as participant' }).click()),
  ]);
  await preview.waitForLoadState();
  assert.match(preview.url(), /\/s\/admin-demo\?preview=1$/);
  await preview.getByText('This is a test study. Do you agree to take part?').waitFor({ timeout: 15_000 });
  assert.equal((await t.server.ctx.store.participants(STUDY)).length, before, 'the preview made no participant');

  assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: string }).__pwned), undefined);
  assert.equal(await preview.evaluate(() => (window as unknown as { __pwned?: string }).__pwned), undefined);
  assert.deepEqual(pageErrors, []);

  // Logout returns to the login page, and /admin is closed again.
  await page.locator('credence-admin').getByRole('button', { name: 'Log out' }).click();
  await page.waitForURL(/\/admin\/login/);
  await page.goto(`${t.url}/admin`);
  assert.match(page.url(), /\/admin\/login/);
});
