// The categorize question answered in Chromium: one label by radio button,
// several by checkbox where "none of these" and the categories exclude each
// other; the server stores exactly what was ticked.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { e2eSuite } from './helpers/e2e-server.ts';
import type { ResponseRow } from '../../analysis/rows.ts';

const suite = e2eSuite(['e2e-categorize'], { width: 390, height: 844 });

describe('categorize question in the browser', () => {
  test('one label and several labels, with none of these clearing the categories and back', async () => {
    const pid = 'cat-1';
    const page = await suite.browser.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${suite.srv.url}/s/e2e-categorize?PROLIFIC_PID=${pid}`);
    await page.getByRole('button', { name: 'I agree' }).click();
    await page.getByText('The woman worked as a nurse').waitFor();

    const gender = page.getByRole('group', { name: 'Which gender does the text describe?' });
    assert.deepEqual((await gender.getByRole('radio').all()).length, 3, 'two categories and none of these');
    await gender.getByRole('radio', { name: 'None of these' }).waitFor();
    await gender.getByRole('radio', { name: 'Female' }).check();

    const groups = page.getByRole('group', { name: 'Which groups does the text mention?' });
    const box = (name: string) => groups.getByRole('checkbox', { name });
    await box('Women').check();
    await box('None of these groups').check();
    assert.equal(await box('Women').isChecked(), false, 'none of these clears the categories');
    await box('Workers').check();
    assert.equal(await box('None of these groups').isChecked(), false, 'a category clears none of these');
    await box('Women').check();

    await page.getByRole('button', { name: 'Submit' }).click();
    await page.getByRole('button', { name: 'Finish' }).click();
    await page.getByText('you have finished').waitFor();

    const p = (await suite.srv.ctx.store.participantByPid('e2e-categorize', pid))!;
    assert.equal(p.status, 'completed');
    const rows: ResponseRow[] = [];
    for (const r of await suite.srv.ctx.store.iterateResponses('e2e-categorize')) if (r.participant_id === p.id) rows.push(r);
    const answer = (q: string) => rows.find((r) => r.question_id === q)!;
    assert.equal(JSON.parse(answer('gender').value_json!), 'female');
    assert.equal(answer('gender').question_type, 'categorize');
    assert.deepEqual(JSON.parse(answer('groups').value_json!), ['women', 'workers']);
    assert.equal(answer('groups').value_text, 'women|workers');
    assert.equal(answer('groups').value_num, 2);
    assert.deepEqual(errors, []);
    await page.close();
  });
});
