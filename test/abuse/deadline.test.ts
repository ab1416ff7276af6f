// Abuse suite, finding 3: a client could claim the server's own
// `timeout:<page>:<attempt>` id ahead of a timed page, so the deadline found a
// "duplicate", neither advanced nor re-armed, and a late answer was stored with
// timed_out = 0. Deadlines are the server's, whatever id a client sends.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startServer } from '../../server/http/server.ts';
import { miniProtocol, sleep, tempDir, writeStudy } from '../engine/helpers.ts';
import { emitAck, joinAs, once } from '../integration/helpers.ts';
import type { PageView } from '../../studies/vocabulary/participant-wire.ts';

test('the client-id deadline bypass is stored as timed out', async () => {
  const tmp = tempDir();
  const p = miniProtocol();
  p.id = 'deadline';
  const trials = p.phases.find((ph: { kind: string }) => ph.kind === 'trials');
  trials.blocks[0].time_limit_s = 1;
  const dbPath = join(tmp.dir, 'deadline.db');
  const server = await startServer({ port: 0, db: dbPath, dataDir: tmp.dir, studies: [writeStudy(tmp.dir, p)], buildClient: false, log: () => {} });
  try {
    const a = await joinAs(server.url, 'deadline', 'LATE');
    let page = a.page;
    const answer = async (answers: Record<string, unknown>, clientId: string) => {
      const next = once<PageView>(a.socket, 'page');
      const ack = await emitAck(a.socket, 'submit', { clientId, pageIndex: page.index, answers, rtMs: 500, events: [] });
      return { ack, next };
    };
    let r = await answer({ consent: true }, 'consent-late-1');
    assert.equal(r.ack.ok, true);
    page = await r.next;
    r = await answer({}, 'instructions-late-1');
    page = await r.next;
    assert.equal(page.kind, 'comprehension');
    const timedIndex = page.index + 1;
    // The attack: answer the page before the timed one under the server's own id for the timed page.
    const claimed = once<PageView>(a.socket, 'page');
    claimed.catch(() => undefined);
    const claim = await emitAck(a.socket, 'submit', { clientId: `timeout:${timedIndex}:0`, pageIndex: page.index, answers: { task: 'rate' }, rtMs: 500, events: [] });
    if (claim.ok) page = await claimed;
    else {
      assert.match((claim as { error: string }).error, /server's own/);
      r = await answer({ task: 'rate' }, 'comprehension-late-1');
      page = await r.next;
    }
    assert.equal(page.index, timedIndex);
    assert.ok(page.deadlineAt, 'the trial is timed');
    // Answer well after the deadline.
    await sleep(page.deadlineAt! - page.serverNow + 1500);
    await emitAck(a.socket, 'submit', { clientId: 'trial-late-1', pageIndex: timedIndex, answers: { cred: 2, judge: 'human' }, rtMs: 2500, events: [] }).catch(() => undefined);
    const db = new Database(dbPath, { readonly: true });
    const rows = db.prepare('SELECT timed_out FROM responses WHERE participant_id = ? AND page_index = ?').all(a.participantId, timedIndex) as { timed_out: number }[];
    db.close();
    assert.deepEqual(rows.map((x) => x.timed_out), [1], 'the timed page has exactly one response, timed out');
  } finally {
    await server.close();
    tmp.cleanup();
  }
});
