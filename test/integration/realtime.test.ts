import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../../server/http/server.ts';
import type { PageView } from '../../studies/vocabulary/participant-wire.ts';
import { FIXTURES, tempDir } from '../engine/helpers.ts';
import { connect, emitAck, joinAs, once } from './helpers.ts';
import { rawSql, TEST_ENGINES } from '../helpers/engines.ts';

// Each suite on each engine (SQLite file, throwaway PostgreSQL), read from outside the server with rawSql.
for (const on of TEST_ENGINES) describe(`participant socket edge on ${on.name}`, () => {
  let server: RunningServer;
  let tmp: ReturnType<typeof tempDir>;
  let db: string;
  const stored = async () => {
    const [row] = (await rawSql(db, 'SELECT (SELECT COUNT(*) FROM responses) AS r, (SELECT COUNT(*) FROM answers) AS a')) as { r: number | string; a: number | string }[];
    return { r: Number(row.r), a: Number(row.a) };
  };

  before(async () => {
    tmp = tempDir();
    db = await on.newDb(tmp.dir, 'rt.db');
    server = await startServer({ port: 0, db, dataDir: tmp.dir, studies: [join(FIXTURES, 'mini.yaml')], buildClient: false, log: () => {} });
  });
  after(async () => {
    await server.close();
    tmp.cleanup();
  });

  test('forged and malformed events get an error reply, store nothing, and the server keeps serving', async () => {
    const a = await joinAs(server.url, 'mini', 'FORGE-A');
    const b = await joinAs(server.url, 'mini', 'FORGE-B');
    const consent = (p: PageView, extra: Record<string, unknown> = {}) => ({ clientId: randomUUID(), pageIndex: p.index, answers: { consent: true }, rtMs: 5, events: [], ...extra });
    // B answers its consent; A then tries B's clientId.
    const bId = randomUUID();
    assert.deepEqual(await emitAck(b.socket, 'submit', { ...consent(b.page), clientId: bId }), { ok: true });
    const base = await stored();

    const bad: [string, unknown][] = [
      ['wrong type of pageIndex', consent(a.page, { pageIndex: 'zero' })],
      ['wrong type of rtMs', consent(a.page, { rtMs: -1 })],
      ['not an object', 'hello'],
      ['null', null],
      ['another participant id field', consent(a.page, { participantId: b.participantId })],
      // (Another participant's clientId is no longer refused: ids are scoped to their participant, issue 13; see test/abuse.)
      ['stale page index', consent(a.page, { pageIndex: 7 })],
      ['answer of the wrong type', { ...consent(a.page), answers: { consent: 'yes' } }],
      ['unknown question', { ...consent(a.page), answers: { consent: true, x: 1 } }],
      ['oversized payload', { ...consent(a.page), answers: { consent: true, pad: 'x'.repeat(100_000) } }],
      ['bad event list', consent(a.page, { events: [{ type: 'keylogger', t: 1 }] })],
    ];
    for (const [what, payload] of bad) {
      const r = await emitAck(a.socket, 'submit', payload);
      assert.equal(r.ok, false, what);
      assert.ok((r as any).error.length > 0, what);
    }
    // Unknown events: error ack when there is a callback, an `error` event either way.
    const errEvent = once<{ event: string; message: string }>(a.socket, 'error');
    (a.socket as any).emit('admin:deleteAll', { all: true });
    assert.match((await errEvent).message, /unknown event 'admin:deleteAll'/);
    const unk = await emitAck(a.socket, 'setPage', { pageIndex: 5 });
    assert.equal(unk.ok, false);
    // A submit without an ack callback is answered with an `error` event.
    const errEvent2 = once<{ event: string; message: string }>(a.socket, 'error');
    (a.socket as any).emit('submit', { nonsense: true });
    assert.equal((await errEvent2).event, 'submit');

    assert.deepEqual(await stored(), base, 'nothing stored');
    assert.equal((await server.ctx.store.participant(a.participantId))!.pageIndex, 0);

    // Over socket.io's own limit: the connection is dropped, nothing stored, the server lives on.
    const dropped = once<string>(a.socket, 'disconnect', 10_000);
    a.socket.emit('submit', { ...consent(a.page), pad: 'y'.repeat(2_000_000) } as any, () => {});
    await dropped;
    assert.deepEqual(await stored(), base);

    // The same participant, resumed by token, still answers normally.
    const again = connect(server.url, { study: 'mini', token: a.token });
    const page = await once<PageView>(again, 'page');
    assert.equal(page.index, 0);
    const nextPage = once<PageView>(again, 'page');
    assert.deepEqual(await emitAck(again, 'submit', consent(page)), { ok: true });
    const id = randomUUID();
    assert.equal((await nextPage).index, 1);
    assert.deepEqual(await emitAck(again, 'submit', { clientId: id, pageIndex: 1, answers: {}, rtMs: 3, events: [] }), { ok: true });
    assert.deepEqual(await emitAck(again, 'submit', { clientId: id, pageIndex: 1, answers: {}, rtMs: 3, events: [] }), { ok: true, duplicate: true });
    assert.equal((await server.ctx.store.countSubmissions(a.participantId, id)), 1);
    again.disconnect();
    b.socket.disconnect();
  });

  test('bad handshakes are refused with a reason', async () => {
    for (const auth of [{}, { study: 'mini', prolific: { PROLIFIC_PID: '' } }, { study: 'mini', extra: 1 }, { study: 'nope' }, { study: 'mini', preview: true }]) {
      const s = connect(server.url, auth);
      const r = await once<{ reason: string; message: string }>(s, 'refused');
      assert.ok(['bad-request', 'unknown-study'].includes(r.reason), JSON.stringify(auth));
      s.disconnect();
    }
  });

  test('the same PID twice: the same record; the second tab takes over and the first is told why', async () => {
    const first = await joinAs(server.url, 'mini', 'TWICE');
    const takeover = once<{ message: string }>(first.socket, 'takeover');
    const second = await joinAs(server.url, 'mini', 'TWICE');
    assert.equal(second.participantId, first.participantId);
    assert.match((await takeover).message, /another tab/);
    assert.equal(second.page.index, first.page.index);
    const [{ n }] = (await rawSql(db, "SELECT COUNT(*) AS n FROM participants WHERE prolific_pid = 'TWICE'")) as { n: number | string }[];
    assert.equal(Number(n), 1);
    // The old token no longer works after a resume by PID; the new one does.
    second.socket.disconnect();
    const byNewToken = connect(server.url, { study: 'mini', token: second.token });
    const j = await once<{ participantId: string }>(byNewToken, 'joined');
    assert.equal(j.participantId, first.participantId);
    byNewToken.disconnect();
    first.socket.disconnect();
  });

  test('a deadline passes while no browser is connected: timed out, moved on, and the next visit shows the next page', async () => {
    // Walk to the first (30 s) trial, then shorten its deadline in the DB so the test stays quick.
    const j = await joinAs(server.url, 'mini', 'AWAY');
    let page = j.page;
    while (page.kind !== 'trial') {
      const answers: Record<string, unknown> = page.kind === 'consent' ? { consent: true } : page.kind === 'comprehension' ? { task: 'rate' } : {};
      const next = once<PageView>(j.socket, 'page');
      assert.deepEqual(await emitAck(j.socket, 'submit', { clientId: randomUUID(), pageIndex: page.index, answers, rtMs: 1, events: [] }), { ok: true });
      page = await next;
    }
    assert.ok(page.deadlineAt! > page.serverNow);
    j.socket.disconnect();
    await new Promise((r) => setTimeout(r, 100));
    await rawSql(db, `UPDATE participants SET deadline_at = ${Date.now() + 300} WHERE id = '${j.participantId}'`);
    await server.ctx.engine.expire(j.participantId); // re-arms the timer for the new deadline
    await new Promise((r) => setTimeout(r, 700));
    const rec = (await server.ctx.store.participant(j.participantId))!;
    assert.equal(rec.pageIndex, page.index + 1);
    const rows = [...(await server.ctx.store.iterateResponses('mini'))].filter((r) => r.participant_id === j.participantId && r.page_index === page.index);
    assert.ok(rows.length === 2 && rows.every((r) => r.timed_out));
    const back = connect(server.url, { study: 'mini', token: j.token });
    const view = await once<PageView>(back, 'page');
    assert.equal(view.index, page.index + 1);
    back.disconnect();
  });

  test('long-polling clients (no WebSocket) join and submit; express never answers /socket.io/ requests', async () => {
    const { io } = await import('socket.io-client');
    const s = io(server.url, { transports: ['polling'], reconnection: false, forceNew: true, auth: { study: 'mini', prolific: { PROLIFIC_PID: 'POLL' } } });
    const page = await once<PageView>(s as any, 'page');
    const next = once<PageView>(s as any, 'page');
    assert.deepEqual(await emitAck(s as any, 'submit', { clientId: randomUUID(), pageIndex: page.index, answers: { consent: true }, rtMs: 5, events: [] }), { ok: true });
    assert.equal((await next).index, page.index + 1);
    s.disconnect();
    const alive = await fetch(`${server.url}/healthz`);
    assert.equal(alive.status, 200);
  });

  test('GET /s/<study> serves the app; unknown studies get 404', async () => {
    const ok = await fetch(`${server.url}/s/mini?PROLIFIC_PID=X`);
    assert.equal(ok.status, 200);
    assert.match(await ok.text(), /credence-participant|participant/);
    const missing = await fetch(`${server.url}/s/nope`);
    assert.equal(missing.status, 404);
  });
});

for (const on of TEST_ENGINES) describe(`study full on ${on.name}`, () => {
  test('when every target is met, new arrivals get a clear "study full" page and a refused socket; returning PIDs still resume', async () => {
    const tmp = tempDir();
    const { miniProtocol, writeStudy } = await import('../engine/helpers.ts');
    const p = miniProtocol();
    p.id = 'tiny';
    p.design.conditions = [{ id: 'only', target: 1, pools: ['m_small'] }];
    const file = writeStudy(tmp.dir, p);
    const server = await startServer({ port: 0, db: await on.newDb(tmp.dir, 'full.db'), dataDir: tmp.dir, studies: [file], buildClient: false, log: () => {} });
    try {
      const { runBots } = await import('../../server/bots/run.ts');
      const s = await runBots({ url: server.url, study: file, n: 1, concurrency: 1, pidPrefix: 'FULL-' });
      assert.equal(s.completed, 1);
      const page = await fetch(`${server.url}/s/tiny?PROLIFIC_PID=LATE`);
      const html = await page.text();
      assert.match(html, /This study is full/);
      const late = connect(server.url, { study: 'tiny', prolific: { PROLIFIC_PID: 'LATE' } });
      const r = await once<{ reason: string }>(late, 'refused');
      assert.equal(r.reason, 'full');
      late.disconnect();
      const returning = await fetch(`${server.url}/s/tiny?PROLIFIC_PID=FULL-0`);
      assert.doesNotMatch(await returning.text(), /This study is full/);
      const back = connect(server.url, { study: 'tiny', prolific: { PROLIFIC_PID: 'FULL-0' } });
      const done = await once<{ status: string; code: string }>(back, 'done');
      assert.equal(done.status, 'completed');
      assert.equal(done.code, 'C-DONE');
      back.disconnect();
    } finally {
      await server.close();
      tmp.cleanup();
    }
  });
});
