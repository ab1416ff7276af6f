// resume_after_consent: same-browser in Chromium (issue 13, takeovers): after
// consent in one browser, the same recruiter link opened on another device shows
// a page saying the study continues in the first browser, and the first browser
// carries on undisturbed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { e2eSuite } from './helpers/e2e-server.ts';
import { launchChromium } from './helpers/chromium.ts';

const suite = e2eSuite(['e2e-same-browser']);

test('another device with the same recruiter id after consent gets a page that says where to continue', async () => {
  const link = `${suite.srv.url}/s/e2e-same-browser?PROLIFIC_PID=one-device-1`;
  const owner = await suite.browser.context.newPage();
  await owner.goto(link);
  await owner.getByRole('button', { name: 'I agree' }).click();
  await owner.getByRole('heading', { name: 'Instructions' }).waitFor();

  // Another device: its own browser profile, so it has no token of this record.
  const device = await launchChromium();
  try {
    const other = await device.context.newPage();
    await other.goto(link);
    await other.getByRole('heading', { name: 'This study continues in another browser' }).waitFor();
    await other.getByText('can only be continued there').waitFor();
    assert.equal(await other.getByRole('button', { name: 'I agree' }).count(), 0, 'no consent page on the other device');
  } finally {
    await device.close();
  }
  // The owner was not taken over: still on its page, and the record never moved.
  assert.equal(await owner.getByRole('heading', { name: 'The study is open somewhere else' }).count(), 0);
  await owner.getByRole('heading', { name: 'Instructions' }).waitFor();
  const record = (await suite.srv.ctx.store.participantByPid('e2e-same-browser', 'one-device-1'))!;
  assert.equal(record.pageIndex, 1);
  assert.equal((await suite.srv.ctx.store.events(record.id)).filter((e) => e.type === 'takeover').length, 0);
  await owner.close();
});
