// Issue 12 on a real server: participant kinds and pilot links, placeholder
// ids refused, honest response times, partial answers at expiry, the purge of
// test data, and paused or closed studies.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { startServer, type RunningServer } from '../../server/http/server.ts';
import { runBots } from '../../server/bots/run.ts';
import { writeLongCsv } from '../../analysis/export/long-csv.ts';
import type { PageView } from '../../studies/vocabulary/participant-wire.ts';
import { FIXTURES, miniProtocol, sleep, tempDir, writeStudy } from '../engine/helpers.ts';
import { connect, emitAck, joinAs, once, type Client } from './helpers.ts';
import { rawSql, TEST_ENGINES } from '../helpers/engines.ts';
import { openReader } from '../helpers/db-reader.ts';
import { PassThrough } from 'node:stream';

const REPO = resolve(import.meta.dirname, '..', '..');

/** Answers for the mini fixture's pages, as a careful participant gives them. */
function answersFor(p: PageView): Record<string, unknown> {
  switch (p.kind) {
    case 'consent':
      return { consent: true };
    case 'comprehension':
      return { task: 'rate' };
    case 'trial':
      return { cred: 3, judge: 2 };
    case 'attention':
      return { att1: 'somewhat' };
    default:
      return {};
  }
}

/** Submits the page and returns the next page (or null once done). */
async function answer(socket: Client, page: PageView, rtMs = 10, answers = answersFor(page)): Promise<PageView | null> {
  const next = Promise.race([once<PageView>(socket, 'page', 10_000), once<unknown>(socket, 'done', 10_000).then(() => null)]);
  const ack = await emitAck(socket, 'submit', { clientId: randomUUID(), pageIndex: page.index, answers, rtMs, events: [] });
  assert.deepEqual(ack, { ok: true }, `page ${page.index} (${page.kind})`);
  return next;
}

async function untilKind(socket: Client, page: PageView, kind: PageView['kind']): Promise<PageView> {
  let p: PageView | null = page;
  while (p && p.kind !== kind) p = await answer(socket, p);
  assert.ok(p, `reached a ${kind} page`);
  return p;
}

/** Runs the CLI beside the server under test. Not spawnSync: that would stop this process's server for as long as the CLI runs (20 s under load, past socket.io's ping timeout). */
function cli(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/cli/main.ts', ...args], { cwd: REPO });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((ok, fail) => {
    child.once('error', fail);
    child.once('close', (status) => ok({ status, stdout, stderr }));
  });
}

async function longCsv(server: RunningServer, kinds: ('real' | 'pilot' | 'bot')[]): Promise<string> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  await writeLongCsv((await server.ctx.store.iterateResponses('mini', kinds)), out);
  return Buffer.concat(chunks).toString('utf8');
}

// On each engine, the database read from outside the server (another connection).
for (const on of TEST_ENGINES) describe(`trustworthy studies on ${on.name}`, () => {
  let server: RunningServer;
  let tmp: ReturnType<typeof tempDir>;
  let db: string;
  const rows = async <T>(sql: string, params: unknown[] = []): Promise<T[]> => {
    const d = await openReader(db);
    try {
      return await d.all<T>(sql, params);
    } finally {
      await d.close();
    }
  };
  const count = async (sql: string): Promise<number> => Number(Object.values((await rows<object>(sql))[0])[0]);

  before(async () => {
    tmp = tempDir();
    db = await on.newDb(tmp.dir, 'trust.db');
    const short = miniProtocol();
    short.id = 'mini-short';
    short.phases.find((p: any) => p.kind === 'trials').blocks[0].time_limit_s = 1.5;
    const shortFile = writeStudy(tmp.dir, short);
    server = await startServer({ port: 0, db: db, dataDir: tmp.dir, studies: [join(FIXTURES, 'mini.yaml'), shortFile], buildClient: false, log: () => {} });
  });
  after(async () => {
    await server.close();
    tmp.cleanup();
  });

  test('kinds: recruiter ids make a real participant, a link without them or ?pilot=1 a pilot, bots are bots', async () => {
    const real = await joinAs(server.url, 'mini', 'KIND-REAL');
    assert.equal((await server.ctx.store.participant(real.participantId))!.kind, 'real');
    real.socket.disconnect();
    for (const auth of [{ study: 'mini' }, { study: 'mini', pilot: true, prolific: { PROLIFIC_PID: 'KIND-PILOT' } }]) {
      const s = connect(server.url, auth);
      const joined = await once<{ participantId: string }>(s, 'joined');
      assert.equal((await server.ctx.store.participant(joined.participantId))!.kind, 'pilot', JSON.stringify(auth));
      s.disconnect();
    }
    // Two openings of the pilot link without a token are two records.
    const ids = new Set<string>();
    for (let i = 0; i < 2; i++) {
      const s = connect(server.url, { study: 'mini' });
      ids.add((await once<{ participantId: string }>(s, 'joined')).participantId);
      s.disconnect();
    }
    assert.equal(ids.size, 2);
    const bots = await runBots({ url: server.url, study: join(FIXTURES, 'mini.yaml'), n: 2, concurrency: 2, pidPrefix: 'kind-bot-', keepResults: true });
    assert.equal(bots.completed, 2, bots.errors.join('; '));
    for (const r of bots.results!) assert.equal((await server.ctx.store.participant(r.participantId!))!.kind, 'bot');
  });

  test('a PROLIFIC_PID that is still a template placeholder is refused, saying so', async () => {
    for (const pid of ['{{%PROLIFIC_PID%}}', '{PID}']) {
      const s = connect(server.url, { study: 'mini', prolific: { PROLIFIC_PID: pid } });
      const r = await once<{ reason: string; message: string }>(s, 'refused');
      assert.equal(r.reason, 'placeholder-id');
      assert.match(r.message, /placeholder/);
    }
    assert.equal(await count("SELECT COUNT(*) AS n FROM participants WHERE prolific_pid LIKE '%{%'"), 0);
  });

  test('a reported response time far from the server observation is flagged rt_inconsistent; an honest one is not', async () => {
    const a = await joinAs(server.url, 'mini', 'RT-FORGER');
    let trial = await untilKind(a.socket, a.page, 'trial');
    await sleep(2500 + 1000);
    const honestElapsed = 3500;
    // Forged: 3 ms after a page that was on screen 3.5 s.
    trial = (await answer(a.socket, trial, 3))!;
    await sleep(300);
    // Honest: about the time the page was shown.
    const t0 = Date.now();
    await sleep(600);
    const next = (await answer(a.socket, trial, Date.now() - t0))!;
    // Impossible: longer than the page existed.
    if (next.kind === 'attention') await answer(a.socket, next, 10);
    const trials = await rows<{ rt_ms: number; rt_server_ms: number; rt_inconsistent: number }>(
      "SELECT r.rt_ms, r.rt_server_ms, r.rt_inconsistent FROM responses r JOIN participants p ON p.id = r.participant_id WHERE p.prolific_pid = 'RT-FORGER' AND r.page_kind = 'trial' ORDER BY r.id",
    );
    assert.equal(trials.length, 2);
    assert.equal(trials[0].rt_ms, 3);
    assert.ok(trials[0].rt_server_ms >= honestElapsed - 100, `server observed ${trials[0].rt_server_ms} ms`);
    assert.equal(trials[0].rt_inconsistent, 1, 'forged time flagged');
    assert.equal(trials[1].rt_inconsistent, 0, `honest time not flagged: ${JSON.stringify(trials[1])}`);
    // It is a column of the long export.
    const csv = await longCsv(server, ['real']);
    assert.match(csv.split('\n')[0], /rt_server_ms,rt_inconsistent/);
    a.socket.disconnect();
  });

  test('a trial that expires with answers given stores them with timed_out', async () => {
    const a = await joinAs(server.url, 'mini-short', 'PARTIAL-1');
    const trial = await untilKind(a.socket, a.page, 'trial');
    (a.socket as any).emit('draft', { pageIndex: trial.index, answers: { cred: 4 } });
    const next = await once<PageView>(a.socket, 'page', 10_000);
    assert.equal(next.index, trial.index + 1);
    const answered = await rows(
      "SELECT a.question_id, a.value_json, r.timed_out FROM responses r JOIN answers a ON a.response_id = r.id JOIN participants p ON p.id = r.participant_id WHERE p.prolific_pid = 'PARTIAL-1' AND r.page_index = ? ORDER BY a.question_id",
      [trial.index],
    );
    assert.deepEqual(answered, [
      { question_id: 'cred', value_json: '4', timed_out: 1 },
      { question_id: 'judge', value_json: null, timed_out: 1 },
    ]);
    a.socket.disconnect();
  });

  test('data purge --kind bot,pilot removes those and nothing else: the real long export is byte-identical', async () => {
    // Some of each kind with answers.
    const real = await joinAs(server.url, 'mini', 'PURGE-REAL');
    await untilKind(real.socket, real.page, 'attention');
    real.socket.disconnect();
    const pilot = connect(server.url, { study: 'mini' });
    const pilotPage = await once<PageView>(pilot, 'page');
    await untilKind(pilot, pilotPage, 'trial');
    pilot.disconnect();
    await runBots({ url: server.url, study: join(FIXTURES, 'mini.yaml'), n: 2, concurrency: 2, pidPrefix: 'purge-bot-' });
    const counts = (await server.ctx.store.kindCounts('mini'));
    assert.ok(counts.real > 0 && counts.pilot > 0 && counts.bot > 0, JSON.stringify(counts));
    const before = await longCsv(server, ['real']);
    assert.ok(before.split('\n').length > 5);

    const refused = await cli('data', 'purge', 'mini', '--kind', 'real', '--db', db);
    assert.equal(refused.status, 2, refused.stderr);
    assert.match(refused.stderr, /'real' is not one of pilot, bot/);
    const r = await cli('data', 'purge', 'mini', '--kind', 'bot,pilot', '--db', db);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`purged ${counts.pilot + counts.bot} participants .* ${counts.real} real participants untouched`));

    assert.deepEqual((await server.ctx.store.kindCounts('mini')), { real: counts.real, pilot: 0, bot: 0 });
    // The server stays live while the CLI runs, so a real participant's deadline may pass meanwhile (an earlier
    // test left RT-FORGER on a 30 s trial): every row from before is byte-identical and in place, and whatever
    // was added since is such a timeout, appended to the log.
    const after = await longCsv(server, ['real']);
    assert.ok(after.startsWith(before), 'real data byte-identical');
    const added = after.slice(before.length).split('\n').filter(Boolean);
    assert.ok(added.every((line) => line.split(',').at(-1)!.startsWith('timeout:')), `only timeouts added meanwhile: ${added.join('\n')}`);
    assert.equal(await count("SELECT COUNT(*) AS n FROM purges WHERE study_id = 'mini' AND kinds = 'pilot,bot'"), 1, 'the purge is logged');
    // The database itself refuses to delete a real participant's data, whoever connects to it.
    await assert.rejects(rawSql(db, "DELETE FROM responses WHERE participant_id IN (SELECT id FROM participants WHERE kind = 'real') RETURNING id"), /append-only/);
    await assert.rejects(server.ctx.store.purgeParticipants('mini', ['real'], Date.now()), /never deleted/);
  });

  test('a paused study: a new arrival gets the paused page; a participant mid-study finishes with the code', async () => {
    const mid = await joinAs(server.url, 'mini', 'PAUSE-MID');
    let page: PageView | null = await answer(mid.socket, mid.page); // consented, now in the study
    const paused = await cli('study', 'pause', 'mini', '--db', db);
    assert.equal(paused.status, 0, paused.stderr);
    assert.match(paused.stdout, /mini is paused/);

    const late = connect(server.url, { study: 'mini', prolific: { PROLIFIC_PID: 'PAUSE-LATE' } });
    const refused = await once<{ reason: string; message: string }>(late, 'refused');
    assert.equal(refused.reason, 'paused');

    const done = once<{ status: string; code?: string }>(mid.socket, 'done', 20_000);
    while (page) page = await answer(mid.socket, page);
    assert.deepEqual(await done.then((d) => [d.status, d.code]), ['completed', 'C-DONE']);

    assert.equal((await cli('study', 'close', 'mini', '--db', db)).status, 0);
    const closed = connect(server.url, { study: 'mini' });
    assert.equal((await once<{ reason: string }>(closed, 'refused')).reason, 'closed');
    assert.equal((await cli('study', 'open', 'mini', '--db', db)).status, 0);
    const again = await joinAs(server.url, 'mini', 'PAUSE-AFTER');
    assert.equal(again.page.kind, 'consent');
    again.socket.disconnect();
  });
});
