// The participant app in real Chromium against the real server: a whole study
// with a Prolific id ending on the recruiter's page only after `done`; reload
// mid-trial; markup in stimuli shown as text; a 360-px phone; keyboard only;
// an answer whose ack was lost, retried from the outbox after a reload.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page, WebSocketRoute } from 'playwright-core';
import { e2eSuite } from './helpers/e2e-server.ts';
import { allElementTags, focused, horizontalOverflow } from './helpers/shadow.ts';

const PROLIFIC = 'https://app.prolific.com/';

const suite = e2eSuite(['e2e-demo', 'e2e-xss']);

async function openPage(viewport = { width: 1280, height: 900 }): Promise<Page> {
  const page = await suite.browser.context.newPage();
  await page.setViewportSize(viewport);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('close', () => assert.deepEqual(errors, [], 'no uncaught errors in the page'));
  return page;
}

async function participant(pid: string) {
  const p = (await suite.srv.ctx.store.participantByPid('e2e-demo', pid));
  assert.ok(p, `participant ${pid} exists`);
  return p;
}

async function responses(pid: string) {
  const id = (await participant(pid)).id;
  return [...(await suite.srv.ctx.store.iterateResponses('e2e-demo'))].filter((r) => r.participant_id === id);
}

/** Consent and instructions, to the first trial. */
async function toFirstTrial(page: Page, pid: string): Promise<void> {
  await page.goto(`${suite.srv.url}/s/e2e-demo?PROLIFIC_PID=${pid}&STUDY_ID=study-1&SESSION_ID=sess-${pid}`);
  await page.getByRole('button', { name: 'I agree' }).click();
  await page.getByRole('heading', { name: 'Instructions' }).waitFor();
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByText('How credible is this story?').waitFor();
}

describe('participant app in Chromium', () => {
  test('a Prolific participant completes consent → instructions → trials → questionnaire → debrief, and is redirected only after done', async () => {
    const page = await openPage();
    const pid = 'e2e-complete';
    let doneAt = 0;
    page.on('websocket', (ws) => ws.on('framereceived', (f) => {
      if (typeof f.payload === 'string' && f.payload.startsWith('42["done"')) doneAt = performance.now();
    }));
    let redirectedAt = 0;
    let statusAtRedirect = '';
    let redirectUrl = '';
    await page.route(`${PROLIFIC}**`, async (route) => {
      redirectedAt = performance.now();
      redirectUrl = route.request().url();
      // What the server has stored at the moment the browser leaves.
      statusAtRedirect = (await participant(pid)).status;
      return route.fulfill({ contentType: 'text/html', body: '<title>Prolific</title><p>Submission complete</p>' });
    });

    await toFirstTrial(page, pid);
    // Trial 1 (human, fixed order) and the progress and timer the server sent.
    await page.getByText('The city council met').waitFor();
    assert.match(await page.locator('page-screen header').innerText(), /Page 3 of 6/);
    await page.getByLabel('Somewhat credible').check();
    await page.getByLabel('Possibly human-written').check();
    await page.getByRole('button', { name: 'Submit' }).click();
    // Trial 2 (machine).
    await page.getByText('ten thousand trees').waitFor();
    await page.getByLabel('Not very credible').check();
    await page.getByLabel('Definitely machine-generated').check();
    await page.getByRole('button', { name: 'Submit' }).click();
    // Questionnaire: the submit stays disabled until every asked field is valid.
    await page.getByLabel('What is your age, in years?').fill('17');
    await page.getByLabel('Independent', { exact: true }).check();
    assert.equal(await page.getByRole('button', { name: 'Submit' }).isDisabled(), true, 'age 17 is below age_min 18');
    await page.getByLabel('What is your age, in years?').fill('41');
    await page.getByRole('button', { name: 'Submit' }).click();
    // Debrief, then the end.
    await page.getByRole('heading', { name: 'Debrief' }).waitFor();
    assert.equal(redirectedAt, 0, 'no redirect before the last page is answered');
    await page.getByRole('button', { name: 'Finish' }).click();
    await page.getByText('E2EDONE1').waitFor();
    await page.waitForURL(`${PROLIFIC}**`);

    assert.ok(doneAt > 0 && redirectedAt > doneAt, 'the redirect follows the done event');
    assert.equal(statusAtRedirect, 'completed', 'the completion was committed before the browser left');
    assert.equal(redirectUrl, `${PROLIFIC}submissions/complete?cc=E2EDONE1`);

    const p = (await participant(pid));
    assert.equal(p.status, 'completed');
    const rows = (await responses(pid));
    const trial = rows.filter((r) => r.page_kind === 'trial');
    assert.deepEqual(
      trial.map((r) => [r.stimulus_pool, r.stimulus_source, r.question_id, r.value_num]),
      [
        ['human', 'human', 'credibility', 3],
        ['human', 'human', 'source', 2],
        ['machine', 'machine', 'credibility', 2],
        ['machine', 'machine', 'source', 4],
      ],
    );
    for (const r of trial) {
      assert.ok(r.rt_ms !== null && r.rt_ms > 0 && r.rt_ms < 60_000, `rt ${r.rt_ms} measured from first paint`);
      assert.equal(r.timed_out, false);
    }
    const demo = rows.find((r) => r.question_id === 'demo');
    assert.deepEqual(JSON.parse(demo!.value_json!), { age: 41, party_id: 4 });
    assert.equal(rows.find((r) => r.question_id === 'consent')?.value_num, 1);
    await page.close();
  });

  test('a reload mid-trial resumes the same trial with the remaining time within 1 s of the server deadline, even with a wrong local clock', async () => {
    const page = await openPage();
    // The browser's clock runs 3 minutes fast: remaining time must come from the server's clock, not this one.
    await page.addInitScript(() => {
      const real = Date.now.bind(Date);
      Date.now = () => real() + 180_000;
    });
    const pid = 'e2e-reload';
    await toFirstTrial(page, pid);
    const before = (await participant(pid));
    assert.equal(before.pageIndex, 2);
    assert.ok(before.deadlineAt, 'the trial is timed on the server');
    await page.getByLabel('Very credible', { exact: true }).check();
    await page.waitForTimeout(1500);

    await page.reload();
    await page.getByText('The city council met').waitFor();
    const after = (await participant(pid));
    assert.equal(after.pageIndex, 2, 'still on the same trial');
    assert.equal(after.deadlineAt, before.deadlineAt, 'a reload does not restart the clock');
    assert.match(await page.locator('page-screen header').innerText(), /Page 3 of 6/);
    // Let the client refine its clock offset with a ping or two.
    await page.waitForTimeout(600);
    const shownMs = await page.locator('countdown-timer').evaluate((el) => (el as unknown as { remainingMs: number }).remainingMs);
    const serverMs = after.deadlineAt! - Date.now();
    assert.ok(serverMs > 100_000 && serverMs < 120_000, `server remaining ${serverMs} ms of 120 s`);
    assert.ok(Math.abs(shownMs - serverMs) < 1000, `shown ${shownMs} ms vs server ${serverMs} ms`);
    const text = await page.locator('countdown-timer [role=timer]').innerText();
    const [m, s] = text.split(':').map(Number);
    assert.ok(Math.abs(m * 60 + s - serverMs / 1000) <= 1.5, `timer text ${text} vs ${serverMs} ms`);
    // Issue 12 changes the contract: answers given before the reload are restored from the browser's draft of the page.
    assert.equal(await page.getByLabel('Very credible', { exact: true }).isChecked(), true);
    await page.close();
  });

  test('stimulus and protocol text with <script> and <img onerror> show as literal text and never run', async () => {
    const page = await openPage();
    await page.goto(`${suite.srv.url}/s/e2e-xss?PROLIFIC_PID=e2e-xss-1`);
    await page.getByText('Do you agree? <img src=x onerror="window.__xss=4">').waitFor();
    await page.getByRole('button', { name: 'I agree' }).click();
    await page.getByRole('heading', { name: '<i>Instructions</i>' }).waitFor();
    await page.getByText('Read the text. <script>window.__xss=3</script>').waitFor();
    await page.getByRole('button', { name: 'Continue' }).click();
    const passage = page.locator('stimulus-text .passage');
    await passage.waitFor();
    const shown = await passage.evaluate((el) => ({ text: el.textContent, children: el.children.length }));
    assert.equal(
      shown.text,
      'Before <script>window.__xss=1</script> middle <img src=x onerror="window.__xss=2"> after & <b>bold</b>.\n\nSecond paragraph.',
    );
    assert.equal(shown.children, 0, 'the passage is one text node, no parsed elements');
    assert.equal(await passage.evaluate((el) => getComputedStyle(el).whiteSpace), 'pre-wrap');
    await page.getByText('How credible is <u>this</u>?').waitFor();
    await page.getByLabel('<b>High</b>').check();
    // Give an injected handler every chance to run.
    await page.waitForTimeout(300);
    assert.equal(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined);
    const tags = await allElementTags(page);
    assert.ok(!tags.includes('img') && !tags.includes('b') && !tags.includes('u') && !tags.includes('i'), `no markup from the protocol became elements: ${[...new Set(tags)].join(' ')}`);
    assert.equal(tags.filter((t) => t === 'script').length, 1, 'only the app bundle script');
    await page.close();
  });

  test('at 360 px wide no page scrolls sideways and touch targets are at least 44 px tall', async () => {
    const page = await openPage({ width: 360, height: 740 });
    const pid = 'e2e-narrow';
    await page.goto(`${suite.srv.url}/s/e2e-demo?PROLIFIC_PID=${pid}`);
    await page.getByRole('button', { name: 'I agree' }).waitFor();
    const checks: { name: string; o: Awaited<ReturnType<typeof horizontalOverflow>> }[] = [];
    checks.push({ name: 'consent', o: await horizontalOverflow(page) });
    await page.getByRole('button', { name: 'I agree' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByText('The city council met').waitFor();
    checks.push({ name: 'trial (long URL in the text)', o: await horizontalOverflow(page) });
    const heights = await page.locator('likert-question label.option').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().height));
    assert.equal(heights.length, 4);
    for (const h of heights) assert.ok(h >= 44, `option height ${h}`);
    await page.getByLabel('Somewhat credible').check();
    await page.getByLabel('Possibly human-written').check();
    await page.getByRole('button', { name: 'Submit' }).click();
    await page.getByText('ten thousand trees').waitFor();
    await page.getByLabel('Not very credible').check();
    await page.getByLabel('Possibly machine-generated').check();
    await page.getByRole('button', { name: 'Submit' }).click();
    await page.getByLabel('What is your age, in years?').waitFor();
    checks.push({ name: 'questionnaire', o: await horizontalOverflow(page) });
    for (const { name, o } of checks) {
      assert.equal(o.viewport, 360, name);
      assert.ok(o.page <= 360, `${name}: page is ${o.page} px wide`);
      assert.deepEqual(o.offenders, [], `${name}: elements past the right edge`);
    }
    await page.close();
  });

  test('a likert item is answered and submitted with the keyboard alone', async () => {
    const page = await openPage();
    const pid = 'e2e-keyboard';
    await toFirstTrial(page, pid);
    // Tab into the first radio group; arrows move the choice; Tab on to the next group and the button.
    let f = await focused(page);
    for (let i = 0; i < 12 && !(f.type === 'radio' && f.label === 'Not at all credible'); i++) {
      await page.keyboard.press('Tab');
      f = await focused(page);
    }
    assert.deepEqual([f.type, f.label], ['radio', 'Not at all credible'], 'Tab reaches the likert item');
    await page.keyboard.press('Space');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    f = await focused(page);
    assert.equal(f.label, 'Somewhat credible');
    assert.equal(await page.getByLabel('Somewhat credible').isChecked(), true);
    // A focused radio shows a visible focus ring.
    const outline = await page.locator('likert-question label.option').nth(2).evaluate((el) => getComputedStyle(el).outlineStyle);
    assert.equal(outline, 'solid');
    await page.keyboard.press('Tab');
    f = await focused(page);
    assert.equal(f.type, 'radio', 'Tab moves to the judgment group');
    await page.keyboard.press('Space');
    await page.keyboard.press('Tab');
    f = await focused(page);
    assert.deepEqual([f.tag, f.label], ['button', 'Submit']);
    await page.keyboard.press('Enter');
    await page.getByText('ten thousand trees').waitFor();
    const rows = (await responses(pid)).filter((r) => r.page_kind === 'trial');
    assert.deepEqual(rows.map((r) => [r.question_id, r.value_num]), [['credibility', 3], ['source', 1]]);
    await page.close();
  });

  test('an answer whose ack is lost is retried from the outbox after a reload with the same client id, and stored once', async () => {
    const page = await openPage();
    const pid = 'e2e-lost-ack';
    const sent: string[] = [];
    let dropped = 0;
    // Sit between page and server: forward everything, but swallow the first submit ack.
    await page.routeWebSocket(/\/socket\.io\//, (ws: WebSocketRoute) => {
      const server = ws.connectToServer();
      ws.onMessage((m) => {
        const s = String(m);
        const sub = /^42\d*\["submit",(.*)\]$/.exec(s);
        if (sub) sent.push(JSON.parse(sub[1]).clientId);
        server.send(m);
      });
      server.onMessage((m) => {
        const s = String(m);
        if (dropped === 0 && sent.length > 0 && /^43\d+\[\{"ok":true/.test(s)) {
          dropped++;
          return;
        }
        ws.send(m);
      });
    });
    await toFirstTrial(page, pid);
    await page.getByLabel('Very credible', { exact: true }).check();
    await page.getByLabel('Definitely human-written').check();
    await page.getByRole('button', { name: 'Submit' }).click();
    // The server moved on, but without the ack the answer stays in the outbox.
    await page.getByText('ten thousand trees').waitFor();
    assert.equal(dropped, 1);
    const outbox = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('credence:outbox:') && localStorage.getItem(k)));
    assert.equal(outbox.length, 1, 'unacked answer kept in localStorage');
    await page.reload();
    await page.getByText('ten thousand trees').waitFor();
    await page.waitForFunction(() => !Object.keys(localStorage).some((k) => k.startsWith('credence:outbox:')));
    const first = sent[0];
    assert.ok(sent.filter((id) => id === first).length >= 2, `the same client id was sent again: ${sent.join(', ')}`);
    assert.equal((await suite.srv.ctx.store.countSubmissions((await participant(pid)).id, first)), 1, 'stored once');
    assert.equal((await participant(pid)).pageIndex, 3, 'not moved on twice');
    await page.close();
  });
});
