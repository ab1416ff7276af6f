// Abuse suite, finding 5: a Prolific id acts as a password, so joining with
// another participant's id took their record over silently. A takeover is now an
// event, counted in /admin and flagged in the exports, and a protocol may say
// `resume_after_consent: same-browser`: after consent, only the browser that
// consented resumes; another device is refused with a page that says why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { startServer } from '../../server/http/server.ts';
import { miniProtocol, tempDir, writeStudy } from '../engine/helpers.ts';
import { connect, emitAck, joinAs, once } from '../integration/helpers.ts';
import { asResearcher, login, startTestServer, STUDY } from '../admin/helpers.ts';
import type { StudyView } from '../../studies/vocabulary/admin-views.ts';

const consent = (pageIndex: number, id: string) => ({ clientId: `consent-${id}`, pageIndex, answers: { consent: true }, rtMs: 500, events: [] });

test('a takeover by another browser is told to the first, counted in /admin and flagged in the wide export', async () => {
  const t = await startTestServer();
  try {
    const victim = await joinAs(t.url, STUDY, 'VICTIM');
    assert.deepEqual(await emitAck(victim.socket, 'submit', consent(victim.page.index, 'victim')), { ok: true });
    const bystander = await joinAs(t.url, STUDY, 'BYSTANDER');
    const told = once<{ message: string }>(victim.socket, 'takeover');
    // Someone else with the victim's recruiter id, from a browser without the victim's token.
    const attacker = await joinAs(t.url, STUDY, 'VICTIM');
    assert.equal(attacker.participantId, victim.participantId, 'any-browser (the default): the record is resumed');
    assert.match((await told).message, /another tab or device/);
    // Taking it back and forth many times within a minute is one event, not one row per reconnect.
    for (let i = 0; i < 5; i++) (await joinAs(t.url, STUDY, 'VICTIM')).socket.disconnect();
    for (const s of [victim.socket, bystander.socket, attacker.socket]) s.disconnect();

    const r = await login(t.url, 'admin', t.password);
    const list = (await (await fetch(`${t.url}/api/admin/studies`, asResearcher(r))).json()) as { studies: StudyView[] };
    assert.equal(list.studies.find((s) => s.id === STUDY)!.takeovers, 1, 'the study list counts the takeover');
    const one = (await (await fetch(`${t.url}/api/admin/studies/${STUDY}`, asResearcher(r))).json()) as { study: StudyView };
    assert.equal(one.study.takeovers, 1);

    const out = join(t.dir, 'wide.csv');
    const p = spawnSync(process.execPath, ['--import', 'tsx', 'server/cli/main.ts', 'export', join(t.dir, 'studies', `${STUDY}.yaml`), '--db', join(t.dir, 'test.db'), '--format', 'wide', '--out', out], { encoding: 'utf8' });
    assert.equal(p.status, 0, p.stderr);
    const rows = parse(readFileSync(out, 'utf8'), { columns: true }) as Record<string, string>[];
    const byPid = new Map(rows.map((row) => [row.prolific_pid, row]));
    assert.equal(byPid.get('VICTIM')?.takeovers, '1', 'the taken-over record is flagged');
    assert.equal(byPid.get('BYSTANDER')?.takeovers, '0');
  } finally {
    await t.close();
  }
});

test('resume_after_consent: same-browser refuses another device after consent, with a reason the page explains; the consenting browser resumes', async () => {
  const tmp = tempDir();
  const p = miniProtocol();
  p.id = 'same-browser';
  p.recruitment.resume_after_consent = 'same-browser';
  const server = await startServer({ port: 0, db: join(tmp.dir, 'same.db'), dataDir: tmp.dir, studies: [writeStudy(tmp.dir, p)], buildClient: false, log: () => {} });
  try {
    // Before consent nothing is held yet: a second tab (a reload without storage) still resumes.
    const first = await joinAs(server.url, 'same-browser', 'OWNER');
    const second = await joinAs(server.url, 'same-browser', 'OWNER');
    assert.equal(second.participantId, first.participantId);
    first.socket.disconnect();
    assert.deepEqual(await emitAck(second.socket, 'submit', consent(second.page.index, 'owner')), { ok: true });
    second.socket.disconnect();

    const eventsBefore = (await server.ctx.store.events(second.participantId)).length;
    const other = connect(server.url, { study: 'same-browser', prolific: { PROLIFIC_PID: 'OWNER' } });
    const refused = await once<{ reason: string; message: string }>(other, 'refused');
    other.disconnect();
    assert.equal(refused.reason, 'other-browser');
    assert.match(refused.message, /started in another browser/);
    assert.equal((await server.ctx.store.events(second.participantId)).length, eventsBefore, 'a refused device writes nothing');

    // The consenting browser's token still works (it was not rotated by the refused attempt).
    const back = connect(server.url, { study: 'same-browser', token: second.token });
    const joined = await once<{ participantId: string }>(back, 'joined');
    assert.equal(joined.participantId, second.participantId);
    back.disconnect();
  } finally {
    await server.close();
    tmp.cleanup();
  }
});
