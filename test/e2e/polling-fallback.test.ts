// WebSocket first, long polling where a proxy refuses the upgrade: the app
// must still reach the server and save answers. Its own file, so a server
// that falls over on polling cannot take the other e2e tests down with it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium, type Browser } from './helpers/chromium.ts';
import { startE2eServer, type E2eServer } from './helpers/e2e-server.ts';
import { startNoWebSocketProxy, type Proxy } from './helpers/no-websocket-proxy.ts';

let srv: E2eServer;
let proxy: Proxy;
let browser: Browser;

before(async () => {
  srv = await startE2eServer(['e2e-demo']);
  proxy = await startNoWebSocketProxy(srv.url);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await proxy?.close();
  await srv?.close();
});

test('behind a proxy that refuses WebSockets, the app falls back to long polling and saves answers', async () => {
  const page = await browser.context.newPage();
  let framesOverWs = 0;
  page.on('websocket', (ws) => ws.on('framesent', () => framesOverWs++));
  await page.goto(`${proxy.url}/s/e2e-demo?PROLIFIC_PID=polling-1`);
  await page.getByRole('button', { name: 'I agree' }).click({ timeout: 10_000 });
  await page.getByRole('heading', { name: 'Instructions' }).waitFor({ timeout: 10_000 });
  assert.ok(proxy.upgradesRefused() >= 1, 'the websocket was tried first');
  assert.equal(framesOverWs, 0, 'nothing went over a websocket');
  const transports = [...srv.ctx.io.of('/').sockets.values()].map((s) => s.conn.transport.name);
  assert.deepEqual(transports, ['polling'], 'the server sees one participant, on long polling');
  assert.equal((await srv.ctx.store.participantByPid('e2e-demo', 'polling-1'))!.pageIndex, 1);
  await page.close();
});
