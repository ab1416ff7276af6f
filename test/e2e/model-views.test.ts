// Views the real server only makes from prepared GPT-2 output, driven by a
// stub speaking the same wire contract: the RoFT boundary item over the
// server's own sentence split, and the GLTR token-rank overlay. Also what a
// submit carries: a uuid client id, RT from first paint, focus events.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium, type Browser } from './helpers/chromium.ts';
import { startStubServer, type StubServer } from './helpers/stub-server.ts';

let stub: StubServer;
let browser: Browser;

// A continuation that starts in lower case: re-splitting the text would merge it into the
// human sentence, so the client must use the server's split.
const SENTENCES = ['The museum reopened on Saturday.', 'Visitors lined up early.', 'and then the paintings began to hum.', 'Nobody knew why.'];

before(async () => {
  stub = await startStubServer([
    {
      kind: 'trial',
      title: 'Find the machine',
      stimulus: { id: 'roft-1', text: SENTENCES.join(' '), sentences: SENTENCES },
      questions: [{ type: 'boundary', id: 'first_machine', required: true } as never],
    },
    {
      kind: 'trial',
      title: 'With hints',
      stimulus: {
        id: 'gltr-1',
        text: 'The cat <b>sat</b> quietly',
        gltr: [
          { token: 'The', rank: 0 },
          { token: ' cat', rank: 42 },
          { token: ' <b>sat</b>', rank: 999 },
          { token: ' quietly', rank: 1000 },
        ],
      },
      questions: [{ type: 'likert', id: 'cred', prompt: 'How credible?', required: true, labels: ['Low', 'High'] } as never],
    },
  ]);
  browser = await launchChromium({ width: 360, height: 800 });
});

after(async () => {
  await browser?.close();
  await stub?.close();
});

describe('views of model-made stimuli', () => {
  test('boundary: one option per server sentence, click and arrow keys pick the first machine sentence', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${stub.url}/s/stub?PROLIFIC_PID=views-1`);
    const options = page.locator('boundary-question label.option');
    await options.first().waitFor();
    assert.deepEqual((await options.allInnerTexts()).map((t) => t.replace(/^\d+\s*/, '').trim()), SENTENCES);
    // The passage is listed once, as the options; no second copy above them.
    assert.equal(await page.locator('stimulus-text').count(), 0);
    await page.getByLabel('Visitors lined up early.').check();
    assert.deepEqual(await page.locator('boundary-question label.option.machine').allInnerTexts().then((t) => t.length), 3);
    await page.keyboard.press('ArrowDown');
    assert.equal(await page.getByLabel('and then the paintings began to hum.').isChecked(), true);
    await page.evaluate(() => window.dispatchEvent(new Event('blur')));
    await page.evaluate(() => window.dispatchEvent(new Event('focus')));
    await page.getByRole('button', { name: 'Submit' }).click();
    await page.getByText('How credible?').waitFor();

    const sent = stub.submits[0].payload;
    assert.deepEqual(sent.answers, { first_machine: 2 });
    assert.equal(sent.pageIndex, 0);
    assert.match(sent.clientId, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.ok(sent.rtMs > 0 && sent.rtMs < 30_000, `rt ${sent.rtMs}`);
    const types = sent.events.map((e: { type: string }) => e.type);
    assert.deepEqual(types.filter((t: string) => t !== 'visible' && t !== 'hidden'), ['paint', 'blur', 'focus']);
    for (const e of sent.events) assert.ok(e.t >= 0 && e.t <= sent.rtMs + 1, `event at ${e.t} within the page`);
    await page.close();
  });

  test('GLTR overlay: each token coloured by its rank bucket, as text, with a legend', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${stub.url}/s/stub?PROLIFIC_PID=views-1`);
    await page.getByText('How credible?').waitFor();
    const tokens = await page.locator('stimulus-text .passage span').evaluateAll((els) =>
      els.map((e) => ({ text: e.textContent, cls: e.className, bg: getComputedStyle(e).backgroundColor, children: e.children.length })),
    );
    assert.deepEqual(
      tokens.map((t) => [t.text, t.cls, t.children]),
      [
        ['The', 'r10', 0],
        [' cat', 'r100', 0],
        [' <b>sat</b>', 'r1000', 0],
        [' quietly', 'rest', 0],
      ],
    );
    assert.equal(new Set(tokens.map((t) => t.bg)).size, 4, 'four different colours');
    const legend = await page.locator('stimulus-text .legend li').allInnerTexts();
    // Issue 12: the legend says in words what each colour means, not only the rank cut-offs.
    assert.deepEqual(legend.map((l) => l.trim()), [
      'green: among the 10 words the model found likeliest',
      'yellow: in its top 100',
      'red: in its top 1000',
      'purple: less likely still',
    ]);
    await page.close();
  });
});
