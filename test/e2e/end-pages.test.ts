// The pages around the study, against the real server: a second tab takes
// over (and the first stays put), an unknown study, a full study, declining
// consent, and the reconnecting banner when the connection drops.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { WebSocketRoute } from 'playwright-core';
import { ensureAdminAccount } from '../../server/auth/index.ts';
import { e2eSuite } from './helpers/e2e-server.ts';

const suite = e2eSuite(['e2e-demo', 'e2e-full', 'e2e-timeout']);

describe('end and error pages', () => {
  test('a second tab takes over; the first says why and does not take it back', async () => {
    const first = await suite.browser.context.newPage();
    const link = `${suite.srv.url}/s/e2e-demo?PROLIFIC_PID=takeover-1`;
    await first.goto(link);
    await first.getByRole('button', { name: 'I agree' }).waitFor();
    const second = await suite.browser.context.newPage();
    await second.goto(link);
    await second.getByRole('button', { name: 'I agree' }).waitFor();
    await first.getByRole('heading', { name: 'The study is open somewhere else' }).waitFor();
    await first.getByText('opened in another tab').waitFor();
    // Give a reconnect loop time to show itself: the second tab must keep the session.
    await second.waitForTimeout(1500);
    await second.getByRole('button', { name: 'I agree' }).click();
    await second.getByRole('heading', { name: 'Instructions' }).waitFor();
    assert.equal((await suite.srv.ctx.store.participantByPid('e2e-demo', 'takeover-1'))!.pageIndex, 1);
    await first.close();
    await second.close();
  });

  test('a socket refused as unknown or full shows a clear page, and nothing is stored', async () => {
    const page = await suite.browser.context.newPage();
    // The server answers such links over HTTP with its own plain page; this is the race where the app
    // was already loaded (e.g. the last place went in between): fetch the app shell of an open study
    // under this URL, and let the socket decide.
    await page.route(/\/s\/e2e-(nope|full)\?/, (route) => route.continue({ url: `${suite.srv.url}/s/e2e-demo` }));
    await page.goto(`${suite.srv.url}/s/e2e-nope?PROLIFIC_PID=x`);
    await page.getByRole('heading', { name: 'Study not found' }).waitFor();
    await page.getByText('There is no study at this address').waitFor();
    const taker = await suite.browser.context.newPage();
    await taker.goto(`${suite.srv.url}/s/e2e-full?PROLIFIC_PID=full-1`);
    // A place goes to a participant who has consented (issue 13), not to an open socket.
    await taker.getByRole('button', { name: 'I agree' }).click();
    await taker.getByRole('button', { name: 'I agree' }).waitFor({ state: 'detached' });
    await page.goto(`${suite.srv.url}/s/e2e-full?PROLIFIC_PID=full-2`);
    await page.getByRole('heading', { name: 'This study is full' }).waitFor();
    await page.getByText('All places in this study have been taken').waitFor();
    assert.equal((await suite.srv.ctx.store.participantByPid('e2e-full', 'full-2')), undefined, 'no record for a refused arrival');
    await page.close();
    await taker.close();
  });

  test('declining consent ends with the no-consent code and its redirect', async () => {
    const page = await suite.browser.context.newPage();
    let redirected = '';
    await page.route('https://app.prolific.com/**', (route) => {
      redirected = route.request().url();
      return route.fulfill({ contentType: 'text/html', body: '<p>back on Prolific</p>' });
    });
    await page.goto(`${suite.srv.url}/s/e2e-demo?PROLIFIC_PID=declines-1`);
    await page.getByRole('button', { name: 'I do not agree' }).click();
    await page.getByRole('heading', { name: 'You chose not to take part' }).waitFor();
    await page.getByText('E2ENOCON').waitFor();
    await page.waitForURL('https://app.prolific.com/**');
    assert.equal(redirected, 'https://app.prolific.com/submissions/complete?cc=E2ENOCON');
    assert.equal((await suite.srv.ctx.store.participantByPid('e2e-demo', 'declines-1'))!.status, 'no-consent');
    await page.close();
  });

  test('a dropped connection shows the reconnecting banner, then resumes on the same page', async () => {
    const page = await suite.browser.context.newPage();
    const sockets: WebSocketRoute[] = [];
    await page.routeWebSocket(/\/socket\.io\//, (ws) => {
      sockets.push(ws);
      const server = ws.connectToServer();
      ws.onMessage((m) => server.send(m));
      server.onMessage((m) => ws.send(m));
    });
    await page.goto(`${suite.srv.url}/s/e2e-demo?PROLIFIC_PID=drops-1`);
    await page.getByRole('button', { name: 'I agree' }).click();
    await page.getByRole('heading', { name: 'Instructions' }).waitFor();
    await sockets[0].close({ code: 1006 });
    const banner = page.getByText('Connection lost — reconnecting…');
    await banner.waitFor();
    await banner.waitFor({ state: 'detached' });
    assert.ok(sockets.length >= 2, 'a new connection was made');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByText('How credible is this story?').waitFor();
    await page.close();
  });

  test('when the server deadline passes, the page locks, says so, and the next page follows without an answer', async () => {
    const page = await suite.browser.context.newPage();
    await page.goto(`${suite.srv.url}/s/e2e-timeout?PROLIFIC_PID=slow-1`);
    await page.getByRole('button', { name: 'I agree' }).click();
    await page.getByText('The ferry left the harbour').waitFor();
    const timer = page.locator('countdown-timer [role=timer]');
    assert.match(await timer.innerText(), /^0:0[1-3]$/);
    // Next page with no click: the server timed the trial out.
    await page.getByText('The library closes early').waitFor({ timeout: 10_000 });
    const p = (await suite.srv.ctx.store.participantByPid('e2e-timeout', 'slow-1'))!;
    const rows = [...(await suite.srv.ctx.store.iterateResponses('e2e-timeout'))].filter((r) => r.participant_id === p.id && r.page_kind === 'trial');
    assert.deepEqual(rows.map((r) => [r.timed_out, r.value_json, r.rt_ms]), [[true, null, null]]);
    // Answering the second trial in time still works on the fresh page.
    await page.getByLabel('Believable', { exact: true }).check();
    await page.getByRole('button', { name: 'Submit' }).click();
    await page.getByText('Thank you.').waitFor();
    await page.close();
  });

  // Last in this file: the researcher cookie it sets stays in the shared browser profile.
  test('a researcher preview walks the study with a preview banner and stores nothing', async () => {
    const { password } = await ensureAdminAccount(suite.srv.ctx as never, {});
    assert.ok(password, 'a fresh server generates the first password');
    const page = await suite.browser.context.newPage();
    await page.goto(`${suite.srv.url}/admin/login`);
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill(password!);
    await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/admin/login')), page.getByRole('button', { name: 'Log in' }).click()]);
    const before = (await suite.srv.ctx.store.participants('e2e-demo')).length;
    await page.goto(`${suite.srv.url}/s/e2e-demo?preview=1`);
    await page.getByText('Preview: you see what a participant sees; nothing is stored.').waitFor();
    await page.getByRole('button', { name: 'I agree' }).click();
    await page.getByRole('heading', { name: 'Instructions' }).waitFor();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByText('How credible is this story?').waitFor();
    assert.equal((await suite.srv.ctx.store.participants('e2e-demo')).length, before, 'no participant stored');
    await page.close();
  });
});
