// Abuse suite, finding 1 (one anonymous visitor could close a study) and the
// per-address limit: sockets that never consent hold no place, a script from one
// address cannot fill the participants table, and reconnects write bounded events.
// The limit counts each client address (bots from several local addresses, as in
// the participants benchmark, each have their own budget).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { io } from 'socket.io-client';
import { startServer } from '../../server/http/server.ts';
import { runBots } from '../../server/bots/run.ts';
import { miniProtocol, tempDir, writeStudy } from '../engine/helpers.ts';
import { connect, emitAck, joinAs, once } from '../integration/helpers.ts';
import type { PageView } from '../../studies/vocabulary/participant-wire.ts';

test('500 anonymous joins from one address leave every place open to real participants', async () => {
  const tmp = tempDir();
  const p = miniProtocol();
  p.id = 'places';
  p.design.conditions = [
    { id: 'small', target: 2, pools: ['m_small'] },
    { id: 'large', target: 2, pools: ['m_large'] },
  ];
  p.design.slot_ttl_minutes = 30;
  const server = await startServer({ port: 0, db: join(tmp.dir, 'places.db'), dataDir: tmp.dir, studies: [writeStudy(tmp.dir, p)], buildClient: false, log: () => {} });
  const open: ReturnType<typeof connect>[] = [];
  try {
    // 500 sockets with no recruiter id, kept open, in waves of 50.
    let joined = 0;
    let refused = 0;
    for (let wave = 0; wave < 10; wave++) {
      const outcomes = await Promise.all(
        Array.from({ length: 50 }, async () => {
          const s = connect(server.url, { study: 'places' });
          open.push(s);
          return Promise.race([once(s, 'page', 10_000).then(() => 'joined'), once(s, 'refused', 10_000).then(() => 'refused')]);
        }),
      );
      joined += outcomes.filter((o) => o === 'joined').length;
      refused += outcomes.filter((o) => o === 'refused').length;
    }
    assert.equal(joined + refused, 500);
    const limit = 20; // design.joins_per_address's default
    assert.ok(joined <= limit, `the per-address limit lets at most ${limit} new records through, got ${joined}`);
    const counts = (await server.ctx.store.conditionCounts('places'));
    assert.equal(counts.reduce((n, c) => n + c.active + c.completed, 0), 0, `no unconsented join holds a place: ${JSON.stringify(counts)}`);
    assert.equal((await server.ctx.engine.isFull('places')), false);
    // Real participants (from other networks: exempt here by joining through the engine with their own address) still get every place.
    for (let i = 0; i < 4; i++) {
      const r = await server.ctx.engine.join({ study: 'places', prolific: { PROLIFIC_PID: `REAL${i}` } }, { researcher: false, address: `203.0.113.${i}` });
      assert.equal(r.kind, 'joined', JSON.stringify(r));
      if (r.kind !== 'joined' || !('page' in r.outcome)) continue;
      const ack = await server.ctx.engine.submit(r.participantId, { clientId: `consent-real-${i}`, pageIndex: r.outcome.page.index, answers: { consent: true }, rtMs: 500, events: [] });
      assert.ok(ack.ack.ok, JSON.stringify(ack.ack));
    }
    const after = (await server.ctx.store.conditionCounts('places'));
    assert.deepEqual(after.map((c) => c.active), [2, 2], 'the four real participants hold the four places');
    assert.equal((await server.ctx.engine.isFull('places')), true);
  } finally {
    for (const s of open) s.disconnect();
    await server.close();
    tmp.cleanup();
  }
});

test('300 reconnects of one participant write a bounded number of event rows', async () => {
  const tmp = tempDir();
  const p = miniProtocol();
  p.id = 'reconnects';
  const server = await startServer({ port: 0, db: join(tmp.dir, 'r.db'), dataDir: tmp.dir, studies: [writeStudy(tmp.dir, p)], buildClient: false, log: () => {} });
  try {
    const first = await joinAs(server.url, 'reconnects', 'RECONNECTS');
    assert.deepEqual(await emitAck(first.socket, 'submit', { clientId: 'consent-reconnects', pageIndex: first.page.index, answers: { consent: true }, rtMs: 500, events: [] }), { ok: true });
    first.socket.disconnect();
    let token = first.token;
    for (let i = 0; i < 300; i++) {
      const s = connect(server.url, { study: 'reconnects', token });
      const joined = once<{ token: string }>(s, 'joined');
      const shown = once<PageView>(s, 'page');
      const j = await joined;
      await shown;
      token = j.token;
      s.disconnect();
    }
    const events = (await server.ctx.store.events(first.participantId));
    assert.ok(events.length <= 10, `${events.length} event rows after 300 reconnects: ${events.map((e) => e.type).join(',')}`);
  } finally {
    await server.close();
    tmp.cleanup();
  }
});


test('the per-address limit counts each client address: bots from three local addresses at a limit of 2 all join, one more from a full address is refused', async () => {
  const tmp = tempDir();
  const p = miniProtocol();
  p.id = 'per-address';
  p.design.joins_per_address = { limit: 2, window_minutes: 10 };
  // No --join-limit-exempt: the limiter runs on every join (as in the participants benchmark).
  const file = writeStudy(tmp.dir, p);
  const server = await startServer({ port: 0, db: join(tmp.dir, 'a.db'), dataDir: tmp.dir, studies: [file], buildClient: false, log: () => {} });
  try {
    const fromAddresses = ['127.0.1.1', '127.0.1.2', '127.0.1.3'];
    const summary = await runBots({ url: server.url, study: file, n: 6, concurrency: 6, thinkMs: [0, 5], keepResults: true, fromAddresses });
    assert.equal(summary.refused, 0, JSON.stringify(summary.byStatus));
    assert.equal(summary.completed, 6);
    const more = (from: string) => {
      const s = io(server.url, { transports: ['websocket'], reconnection: false, forceNew: true, auth: { study: 'per-address', prolific: { PROLIFIC_PID: `MORE-${from}` } }, ...{ localAddress: from } });
      return Promise.race([once<{ reason: string }>(s, 'refused').then((r) => r.reason), once(s, 'joined').then(() => 'joined')]).finally(() => s.disconnect());
    };
    assert.equal(await more('127.0.1.2'), 'too-many-joins', 'a third new participant from an address that started two');
    assert.equal(await more('127.0.1.4'), 'joined', 'another address still joins');
  } finally {
    await server.close();
    tmp.cleanup();
  }
});
