// The raw CSV is streamed, on both engines: a download of tens of thousands of
// rows that the client reads slowly must not hold the store's connection, or
// every participant's submit would fail while it lasts; on PostgreSQL it reads
// through a server-side cursor a batch at a time (memory stays flat), and a
// download the client leaves gives its connection back.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SubmissionInput } from '../../server/store/store.ts';
import { TEST_ENGINES, rawSql } from '../helpers/engines.ts';
import { asResearcher, login, startTestServer, storedParticipant, STUDY, type Researcher, type TestServer } from './helpers.ts';

const ROWS = 20_000;

function submission(participantId: string, i: number, now: number): SubmissionInput {
  return {
    participantId,
    clientId: `load-${String(i).padStart(8, '0')}`,
    pageIndex: 0,
    pageKind: 'trial',
    block: 'load',
    trialIndex: 0,
    stimulusId: 'a1',
    rtMs: 100 + (i % 50),
    timedOut: false,
    eventsJson: '[]',
    blurCount: 0,
    answers: [{ questionId: 'credible', questionType: 'likert', valueJson: String(1 + (i % 4)), valueNum: 1 + (i % 4), valueText: null, correct: null }],
    now,
    // Stays on the same page, so one participant can carry every row.
    next: { pageIndex: 0, pageStartedAt: now, deadlineAt: null, attempts: 0, status: 'in-progress', endedAt: null, flagged: false },
  };
}

/** The long read's backends that are mid-query on PostgreSQL (a cursor between batches is idle in transaction). */
async function openLongReads(db: string): Promise<unknown[]> {
  return rawSql(db, "SELECT pid, state FROM pg_stat_activity WHERE query LIKE '%ORDER BY r.id, a.seq%' AND state <> 'idle' AND pid <> pg_backend_pid()");
}

/**
 * The download, sent again once when the connection failed before any response: the client's pool may hand
 * out a kept-alive connection the server has just closed (fetch rejects with a TypeError, "fetch failed"; a
 * browser sends a GET again in that case). Seen once in 19 runs of the whole suite, on a busy machine.
 */
async function download(url: string, r: Researcher): Promise<Response> {
  const get = () => fetch(`${url}/api/admin/studies/${STUDY}/responses.csv`, asResearcher(r));
  return get().catch((err: unknown) => {
    if (!(err instanceof TypeError)) throw err;
    return get();
  });
}

async function readFirstChunk(url: string, r: Researcher): Promise<ReadableStreamDefaultReader<Uint8Array>> {
  const res = await download(url, r);
  assert.equal(res.status, 200);
  const reader = res.body!.getReader();
  const first = await reader.read();
  assert.ok(!first.done && first.value.length > 0);
  return reader;
}

for (const engine of TEST_ENGINES) {
describe(engine.name, () => {
  const dir = mkdtempSync(join(tmpdir(), 'credence-csv-stream-'));
  let db: string;
  let t: TestServer;
  let r: Researcher;
  before(async () => {
    db = await engine.newDb(dir);
    t = await startTestServer({ db });
    r = await login(t.url, 'admin', t.password);
  });
  after(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a slow CSV download does not block participant writes, and delivers every row', { timeout: 180_000 }, async () => {
    const store = t.server.ctx.store;
    const now = Date.now();
    const pid = await storedParticipant(
      store,
      { tokenHash: 'csv-load-participant', prolificPid: 'csv-load' },
      { kind: 'trial', block: 'load', trialIndex: 0, stimulusId: 'a1', questions: [{ type: 'likert', id: 'credible', required: true, labels: ['1', '2', '3', '4'] }] },
      now,
    );
    // One transaction for the bulk load (the store nests its own as savepoints).
    await store.transaction(async (tx) => {
      for (let i = 0; i < ROWS; i++) assert.equal((await tx.submit(submission(pid, i, now))).kind, 'stored');
    });

    const res = await download(t.url, r);
    assert.equal(res.status, 200);
    const reader = res.body!.getReader();
    const first = await reader.read();
    assert.ok(!first.done && first.value.length > 0);
    // Let the server fill the socket and block on backpressure mid-export.
    await new Promise((ok) => setTimeout(ok, 300));
    // PostgreSQL: the long read is still open on the server (a cursor read a batch at a time), not loaded whole.
    if (engine.name === 'postgres') assert.equal((await openLongReads(db)).length, 1, 'one cursor open mid-download');
    // Participant writes while the export is open: a store cursor held across turns would make these throw.
    try {
      assert.equal((await store.submit(submission(pid, ROWS, Date.now()))).kind, 'stored');
      await store.touch(pid, Date.now() + 1);
      await store.logEvent({ participantId: pid, type: 'resumed', pageIndex: 0, at: Date.now() });
    } catch (err) {
      await reader.cancel();
      throw err;
    }

    let bytes = first.value.length;
    const decoder = new TextDecoder();
    let text = decoder.decode(first.value, { stream: true });
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) break;
      bytes += chunk.value.length;
      text += decoder.decode(chunk.value, { stream: true });
    }
    text += decoder.decode();
    const lines = text.trimEnd().split('\n');
    assert.equal(lines[0].split(',')[0], 'study_id');
    // The export reads one snapshot: the rows stored when it began (the write during it may or may not be included).
    assert.ok(lines.length - 1 === ROWS || lines.length - 1 === ROWS + 1, `${lines.length - 1} rows`);
    assert.ok(bytes > 4 * 1024 * 1024, `a download big enough to need backpressure (${bytes} bytes)`);
    assert.equal(new Set(lines.slice(1).map((l) => l.split(',').at(-1))).size, lines.length - 1, 'each row once');
  });

  test('downloads the client leaves give their connections back (more than the pool holds)', { timeout: 120_000 }, async () => {
    for (let i = 0; i < 15; i++) await (await readFirstChunk(t.url, r)).cancel();
    // Every abandoned read is closed: none is left open on the server, and the store still reads and writes.
    if (engine.name === 'postgres') {
      const deadline = Date.now() + 20_000;
      while ((await openLongReads(db)).length > 0 && Date.now() < deadline) await new Promise((ok) => setTimeout(ok, 100));
      assert.deepEqual(await openLongReads(db), [], 'no long read left open');
    }
    const res = await download(t.url, r);
    assert.equal(res.status, 200);
    const [{ n }] = (await rawSql(db, 'SELECT COUNT(*) AS n FROM answers')) as { n: number | string }[];
    assert.equal((await res.text()).trimEnd().split('\n').length - 1, Number(n), 'a whole download after the abandoned ones');
  });
});
}
