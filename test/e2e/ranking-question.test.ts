// The ranking question answered in Chromium: by keyboard only (an option is
// moved with Home and the arrow keys, keeps its focus across moves, each move
// is announced), and by dragging; the server stores exactly the order shown.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { e2eSuite } from './helpers/e2e-server.ts';
import { focused } from './helpers/shadow.ts';
import type { Page } from 'playwright-core';

const suite = e2eSuite(['e2e-ranking'], { width: 390, height: 844 });

/** A participant's trial page with the ranking question, past consent; page errors are collected. */
async function openTrial(pid: string): Promise<{ page: Page; errors: string[] }> {
  const page = await suite.browser.context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${suite.srv.url}/s/e2e-ranking?PROLIFIC_PID=${pid}`);
  await page.getByRole('button', { name: 'I agree' }).click();
  await page.getByText('The council approved').waitFor();
  return { page, errors };
}

describe('ranking question in the browser', () => {
  test('ordered by keyboard; the stored answer is the order shown', async () => {
    const pid = 'rank-1';
    const { page, errors } = await openTrial(pid);

    const submit = page.getByRole('button', { name: 'Submit' });
    const items = page.getByRole('listitem');
    const shown = async () => (await items.locator('.label').allTextContents()).map((s) => s.trim());
    assert.deepEqual(await shown(), ['Accuracy', 'Fairness', 'Clarity', 'Brevity'], 'the protocol order first');
    assert.equal(await submit.isDisabled(), true, 'no answer before a move');

    // Brevity to the top with Home; then Clarity up twice without refocusing it.
    await page.getByRole('listitem', { name: /^Brevity/ }).focus();
    await page.keyboard.press('Home');
    await page.getByRole('listitem', { name: /^Clarity/ }).focus();
    await page.keyboard.press('ArrowUp');
    assert.match((await focused(page)).label, /Clarity/, 'the moved option keeps the focus');
    await page.keyboard.press('ArrowUp');
    await page.getByRole('status').filter({ hasText: 'Clarity: position 2 of 4.' }).waitFor();
    // ArrowUp at the top stays put.
    await page.getByRole('listitem', { name: /^Brevity/ }).focus();
    await page.keyboard.press('ArrowUp');
    assert.deepEqual(await shown(), ['Brevity', 'Clarity', 'Accuracy', 'Fairness']);
    assert.equal(await page.getByRole('listitem', { name: 'Accuracy, position 3 of 4' }).count(), 1, 'positions are named');

    await submit.click();
    await page.getByRole('button', { name: 'Finish' }).click();
    await page.getByText('you have finished').waitFor();

    const p = (await suite.srv.ctx.store.participantByPid('e2e-ranking', pid))!;
    assert.equal(p.status, 'completed');
    const row = [...(await suite.srv.ctx.store.iterateResponses('e2e-ranking'))].find((r) => r.participant_id === p.id && r.question_id === 'qualities')!;
    assert.deepEqual(JSON.parse(row.value_json!), ['brevity', 'clarity', 'accuracy', 'fairness']);
    assert.equal(row.value_text, 'brevity|clarity|accuracy|fairness');
    assert.equal(row.question_type, 'ranking');
    assert.deepEqual(errors, []);
    await page.close();
  });

  test('ordered by dragging with the mouse', async () => {
    const pid = 'rank-2';
    const { page, errors } = await openTrial(pid);
    const items = page.getByRole('listitem');
    // Clarity dropped on Accuracy takes Accuracy's place (first).
    await page.getByRole('listitem', { name: /^Clarity/ }).dragTo(page.getByRole('listitem', { name: /^Accuracy/ }));
    assert.deepEqual((await items.locator('.label').allTextContents()).map((s) => s.trim()), ['Clarity', 'Accuracy', 'Fairness', 'Brevity']);
    await page.getByRole('button', { name: 'Submit' }).click();
    await page.getByRole('button', { name: 'Finish' }).click();
    await page.getByText('you have finished').waitFor();
    const p = (await suite.srv.ctx.store.participantByPid('e2e-ranking', pid))!;
    const row = [...(await suite.srv.ctx.store.iterateResponses('e2e-ranking'))].find((r) => r.participant_id === p.id && r.question_id === 'qualities')!;
    assert.deepEqual(JSON.parse(row.value_json!), ['clarity', 'accuracy', 'fairness', 'brevity']);
    assert.deepEqual(errors, []);
    await page.close();
  });
});
