// The server process is SIGKILLed mid-trial and started again on the same
// port and database: the page says it is reconnecting, then carries on with
// the same trial and the same deadline, and the answer given is stored.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PageView } from '../../studies/vocabulary/participant-wire.ts';
import { SqliteStore } from '../../server/store/sqlite.ts';
import { launchChromium, type Browser } from './helpers/chromium.ts';
import { FIXTURES } from './helpers/e2e-server.ts';
import { startServeProcess, type ServeProcess } from './helpers/serve-process.ts';

let dir: string;
let browser: Browser;
let server: ServeProcess | undefined;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'credence-e2e-'));
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await server?.kill();
  rmSync(dir, { recursive: true, force: true });
});

test('SIGKILL mid-trial and restart: reconnecting banner, then the same trial with the same deadline, and the answer is stored', async () => {
  const opts = { db: join(dir, 'e2e.sqlite'), studiesDir: FIXTURES, study: 'e2e-demo', dataDir: join(dir, 'data') };
  server = await startServeProcess({ ...opts, port: 0 });
  const port = server.port;
  const page = await browser.context.newPage();
  const views: PageView[] = [];
  page.on('websocket', (ws) =>
    ws.on('framereceived', (f) => {
      if (typeof f.payload === 'string' && f.payload.startsWith('42["page",')) views.push(JSON.parse(f.payload.slice(2))[1]);
    }),
  );
  const pid = 'restart-1';
  await page.goto(`${server.url}/s/e2e-demo?PROLIFIC_PID=${pid}`);
  await page.getByRole('button', { name: 'I agree' }).click();
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByText('The city council met').waitFor();
  const before = views.at(-1)!;
  assert.equal(before.kind, 'trial');

  await server.kill();
  const banner = page.getByText('Connection lost — reconnecting…');
  await banner.waitFor();
  // The participant keeps answering while the server is down.
  await page.getByLabel('Somewhat credible').check();

  server = await startServeProcess({ ...opts, port });
  await banner.waitFor({ state: 'detached', timeout: 30_000 });
  const after = views.at(-1)!;
  assert.equal(after.index, before.index, 'the same page');
  assert.equal(after.stimulus?.id, before.stimulus?.id, 'the same stimulus');
  assert.equal(after.deadlineAt, before.deadlineAt, 'the same deadline');
  const shownMs = await page.locator('countdown-timer').evaluate((el) => (el as unknown as { remainingMs: number }).remainingMs);
  assert.ok(Math.abs(shownMs - (after.deadlineAt! - Date.now())) < 1000, `shown ${shownMs} ms vs deadline in ${after.deadlineAt! - Date.now()} ms`);
  // The same page stays up across the outage, so the choice made while offline is kept.
  assert.equal(await page.getByLabel('Somewhat credible').isChecked(), true);
  await page.getByLabel('Possibly human-written').check();
  await page.getByRole('button', { name: 'Submit' }).click();
  await page.getByText('ten thousand trees').waitFor();
  await page.close();
  await server.kill();
  server = undefined;

  const store = new SqliteStore(opts.db);
  try {
    const p = (await store.participantByPid('e2e-demo', pid))!;
    const rows = [...(await store.iterateResponses('e2e-demo'))].filter((r) => r.participant_id === p.id && r.page_kind === 'trial');
    assert.deepEqual(rows.map((r) => [r.question_id, r.value_num]), [['credibility', 3], ['source', 2]]);
  } finally {
    await store.close();
  }
});
