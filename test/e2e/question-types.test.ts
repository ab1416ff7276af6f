// Every question element answered in Chromium and checked by the real server
// against its descriptor's response schema: comprehension with a failed first
// attempt, training feedback, slider, multiple choice, text length, attention,
// single choice, demographics. What is stored is what the element emitted.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { e2eSuite } from './helpers/e2e-server.ts';

const suite = e2eSuite(['e2e-all-types'], { width: 390, height: 844 });

describe('question elements against the real server', () => {
  test('each type emits an answer the server accepts, and the page flow shows attempts and feedback', async () => {
    const page = await suite.browser.context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    const pid = 'types-1';
    const submitButton = page.getByRole('button', { name: /^(Submit|Check my answers)$/ });
    await page.goto(`${suite.srv.url}/s/e2e-all-types?PROLIFIC_PID=${pid}`);
    await page.getByRole('button', { name: 'I agree' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();

    // Comprehension: a wrong first attempt gives feedback and one attempt left.
    await page.getByText('Attempts left: 2').waitFor();
    await page.getByLabel('Only people').check();
    await submitButton.click();
    await page.getByText('Attempts left: 1').waitFor();
    await page.getByText('Some texts were written by a machine. Please read the instructions again.').waitFor();
    assert.equal(await page.getByLabel('Only people').isChecked(), false, 'a new attempt starts clean');
    await page.getByLabel('People and a machine').check();
    await submitButton.click();

    // Training, then its feedback on the next page.
    await page.getByText('Colorless green ideas').waitFor();
    await page.getByLabel('Definitely machine-generated').check();
    await submitButton.click();
    await page.getByText('Correct. This practice text was machine-generated.').waitFor();

    // Trial 1: slider (keyboard), multiple choice with a cap, text with a minimum length.
    await page.getByText('The river rose').waitFor();
    assert.equal(await submitButton.isDisabled(), true);
    // The minimum reading time (2 s) is counted from the first paint and shown.
    await page.getByText(/Please read first \([12] s\)/).waitFor();
    const shownAt = Date.now();
    await page.getByRole('slider').focus();
    for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowRight');
    await page.getByText('Your answer: 8').waitFor();
    await page.getByLabel('Facebook').check();
    await page.getByLabel('Email').check();
    assert.equal(await page.getByLabel('Twitter').isDisabled(), true, 'max_selected 2 reached');
    assert.equal(await page.getByLabel('Why?').evaluate((el) => el.tagName), 'TEXTAREA', 'multiline text (the default) is a text area');
    await page.getByLabel('Why?').fill('too short');
    assert.equal(await submitButton.isDisabled(), true, '9 characters < min_length 10');
    await page.getByText('1 more characters needed').waitFor();
    await page.getByLabel('Why?').fill('It names places and times.');
    // Every answer is given; the button still waits for the reading time.
    if (Date.now() - shownAt < 1500) assert.equal(await submitButton.isDisabled(), true, 'locked during the minimum reading time');
    await submitButton.click();

    // The attention check comes after the first trial.
    await page.getByText('To show you are reading, choose "Blue".').waitFor();
    await page.getByLabel('Blue').check();
    await submitButton.click();

    // Trial 2, answered with the mouse on the slider.
    await page.getByText('A new bakery opened').waitFor();
    await page.getByRole('slider').fill('3');
    await page.getByLabel('Nowhere').check();
    await page.getByLabel('Why?').fill('Nothing special about it.');
    await submitButton.click();

    // Questionnaire: single choice and one demographics field.
    await page.getByText('How often do you read the news?').waitFor();
    await page.getByLabel('Weekly').check();
    const town = page.getByLabel('Which town do you live in?');
    assert.deepEqual(await town.evaluate((el) => [el.tagName, el.getAttribute('type'), el.getAttribute('maxlength')]), ['INPUT', 'text', '60'], 'multiline: false is a one-line input');
    await town.fill('Leeds');
    await page.getByLabel('Slightly conservative').check();
    await submitButton.click();
    await page.getByRole('button', { name: 'Finish' }).click();
    await page.getByText('you have finished').waitFor();

    const p = (await suite.srv.ctx.store.participantByPid('e2e-all-types', pid))!;
    assert.equal(p.status, 'completed');
    const rows = [...(await suite.srv.ctx.store.iterateResponses('e2e-all-types'))].filter((r) => r.participant_id === p.id && r.question_id !== 'consent');
    const answers = rows.map((r) => [r.question_id, r.value_json === null ? null : JSON.parse(r.value_json), r.correct]);
    assert.deepEqual(answers, [
      ['who', 'people', false],
      ['who', 'mixed', true],
      ['practice', 4, true],
      ['credibility10', 8, null],
      ['share', ['Facebook', 'Email'], null],
      ['why', 'It names places and times.', null],
      ['attn', 'Blue', true],
      ['credibility10', 3, null],
      ['share', ['Nowhere'], null],
      ['why', 'Nothing special about it.', null],
      ['news', 'Weekly', null],
      ['town', 'Leeds', null],
      ['views', { ideology: 5 }, null],
    ]);
    assert.deepEqual(errors, []);
    await page.close();
  });
});
