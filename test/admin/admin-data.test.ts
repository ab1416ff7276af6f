// What the researcher sees is what the database holds: counts per condition
// after real bots (some abandoning), the live monitor pushed over socket.io,
// the raw CSV read back row for row, results, and a preview that stores nothing.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { io as ioClient, type Socket } from 'socket.io-client';
import { parse } from 'csv-parse/sync';
import { runBot, type BotResult } from '../../server/bots/bot.ts';
import { createRng, deriveSeed } from '../../studies/random.ts';
import { resolveQuestion } from '../../studies/questions/index.ts';
import type { PageView } from '../../studies/vocabulary/participant-wire.ts';
import type { ResponseRow } from '../../analysis/rows.ts';
import { LONG_COLUMNS } from '../../analysis/export/columns.ts';
import { writeLongCsv } from '../../analysis/export/long-csv.ts';
import { codebookEntries, CODEBOOK_COLUMNS } from '../../analysis/export/codebook.ts';
import { PassThrough } from 'node:stream';
import { meansTables } from '../../server/http/admin/results.ts';
import type { MonitorView, ResultsView, StudyView } from '../../studies/vocabulary/admin-views.ts';
import { conditionMeans } from '../../server/http/admin/results-fallback.ts';
import { asResearcher, login, startTestServer, STUDY, type Researcher, type TestServer } from './helpers.ts';
import { studyData } from '../../server/store/study-data.ts';

const TTL_MINUTES = 0.05; // 3 s: abandoned participants show as such within the test

let t: TestServer;
let r: Researcher;
before(async () => {
  t = await startTestServer({ ttlMinutes: TTL_MINUTES });
  r = await login(t.url, 'admin', t.password);
});
after(async () => {
  await t.close();
});

function monitorSocket(cookie: string): Socket {
  return ioClient(`${t.url}/admin`, { transports: ['websocket'], reconnection: false, forceNew: true, extraHeaders: { cookie } });
}

function waitFor<T>(socket: Socket, event: string, accept: (v: T) => boolean, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.off(event, on);
      reject(new Error(`no acceptable '${event}' within ${timeoutMs} ms`));
    }, timeoutMs);
    const on = (v: T) => {
      if (!accept(v)) return;
      clearTimeout(timer);
      socket.off(event, on);
      resolve(v);
    };
    socket.on(event, on);
  });
}

async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(t.url + path, asResearcher(r));
  assert.equal(res.status, 200, path);
  return (await res.json()) as T;
}

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  // One encoding for every CSV of the project, CLI and /admin alike (the codebook says TRUE | FALSE).
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
  return String(v);
}

let bots: BotResult[] = [];

describe('counts, monitor, CSV and results after bots', () => {
  let socket: Socket;

  test('the monitor namespace pushes the study as bots arrive', async () => {
    socket = monitorSocket(r.cookie);
    await new Promise<void>((resolve, reject) => {
      socket.on('connect', () => resolve());
      socket.on('connect_error', reject);
    });
    const first = waitFor<MonitorView>(socket, 'monitor', () => true, 5000);
    const ack = await socket.timeout(5000).emitWithAck('watch', STUDY);
    assert.deepEqual(ack, { ok: true });
    assert.equal((await first).counts.total, 0);
    const unknown = await socket.timeout(5000).emitWithAck('watch', 'no-such-study');
    assert.equal(unknown.ok, false);
    await socket.timeout(5000).emitWithAck('watch', STUDY);

    const protocol = (await t.server.ctx.store.studyVersion(STUDY))!.protocol;
    const seen = waitFor<MonitorView>(socket, 'monitor', (v) => v.counts.total >= 6, 20_000);
    // Four participants finish; two close the tab halfway and never return.
    bots = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        runBot({
          url: t.url,
          study: STUDY,
          protocol,
          pid: i < 2 ? `leaver-${i}` : `finisher-${i}`,
          profile: 'attentive',
          rng: createRng(deriveSeed(11, `bot:${i}`)),
          abandonAt: i < 2 ? 0.5 : undefined,
          thinkMs: [0, 5],
          maxMs: 30_000,
        }),
      ),
    );
    assert.deepEqual(bots.map((b) => b.outcome).sort(), ['abandoned', 'abandoned', 'completed', 'completed', 'completed', 'completed']);
    const pushed = await seen;
    assert.equal(pushed.studyId, STUDY);
    assert.equal(pushed.participants.length, 6);
  });

  test('once the slot TTL passes, counts per condition match the database and the bots', async () => {
    await new Promise((ok) => setTimeout(ok, TTL_MINUTES * 60_000 + 500));
    const { studies } = await getJson<{ studies: StudyView[] }>('/api/admin/studies');
    const s = studies.find((x) => x.id === STUDY)!;
    assert.ok(s, 'the study is listed');
    assert.match(s.version, /^[0-9a-f]{64}$/);
    const rows = (await t.server.ctx.store.participants(STUDY));
    assert.equal(rows.length, 6);
    for (const c of s.conditions) {
      const mine = rows.filter((p) => p.condition === c.condition);
      assert.equal(c.target, 3, c.condition);
      assert.equal(c.completed, mine.filter((p) => p.status === 'completed').length, `${c.condition} completed`);
      assert.equal(c.abandoned, mine.filter((p) => p.status === 'abandoned').length, `${c.condition} abandoned`);
      assert.equal(c.inProgress, mine.filter((p) => p.status === 'in-progress').length, `${c.condition} in progress`);
      assert.equal(c.endedEarly, mine.filter((p) => !['completed', 'abandoned', 'in-progress'].includes(p.status)).length);
    }
    assert.deepEqual(
      { completed: s.totals.completed, abandoned: s.totals.abandoned, inProgress: s.totals.inProgress, target: s.totals.target },
      { completed: 4, abandoned: 2, inProgress: 0, target: 6 },
    );
    assert.equal(s.status, s.conditions.every((c) => c.completed >= c.target) ? 'full' : 'open');
    assert.equal(s.participants, 6);
  });

  test('the monitor shows each participant on the page the database has, with dropouts', async () => {
    const m = await getJson<MonitorView>(`/api/admin/studies/${STUDY}/monitor`);
    assert.deepEqual(m.counts, { inProgress: 0, abandoned: 2, completed: 4, endedEarly: 0, total: 6 });
    assert.equal(m.dropouts, 2);
    assert.equal(m.participants[0].state, 'abandoned', 'dropouts are listed before finished participants');
    for (const p of m.participants) {
      const rec = (await t.server.ctx.store.participant(p.participantId))!;
      assert.equal(p.pageIndex, rec.pageIndex);
      assert.equal(p.pagesTotal, rec.plan.length);
      assert.equal(p.condition, rec.condition);
      assert.equal(p.lastSeenAt, rec.lastSeenAt);
      const bot = bots.find((b) => b.participantId === p.participantId)!;
      assert.equal(p.prolificPid, bot.pid);
      if (p.state === 'abandoned') {
        assert.ok(p.pageIndex > 0 && p.pageIndex < p.pagesTotal, 'left midway');
        assert.ok(p.timeOnPageMs >= TTL_MINUTES * 60_000, 'on that page since before the TTL');
      }
    }
    const missing = await fetch(`${t.url}/api/admin/studies/no-such-study/monitor`, asResearcher(r));
    assert.equal(missing.status, 404);
  });

  test('the raw CSV streams every response and parses back to the database rows', async () => {
    // Issue 12: exports hold real participants unless asked; these participants are bots.
    const realOnly = parse(await (await fetch(`${t.url}/api/admin/studies/${STUDY}/responses.csv`, asResearcher(r))).text(), { columns: false }) as string[][];
    assert.equal(realOnly.length, 1, 'only the header: no real participant yet');
    const bad = await fetch(`${t.url}/api/admin/studies/${STUDY}/responses.csv?include=robots`, asResearcher(r));
    assert.equal(bad.status, 400);
    assert.match((await bad.json()).error, /'robots' is not one of real, pilot, bot/);
    const res = await fetch(`${t.url}/api/admin/studies/${STUDY}/responses.csv?include=bot`, asResearcher(r));
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /^text\/csv/);
    assert.match(res.headers.get('content-disposition')!, /attachment; filename="admin-demo-responses.csv"/);
    const records = parse(await res.text(), { columns: false }) as string[][];
    const [header, ...body] = records;
    const RESPONSE_COLUMNS = LONG_COLUMNS.map((c) => c.name);
    assert.deepEqual(header, RESPONSE_COLUMNS);
    const stored = [...(await t.server.ctx.store.iterateResponses(STUDY))];
    assert.ok(stored.length >= 4 * 5, 'four finishers: consent + 2 trials × 2 questions + debrief at least');
    assert.equal(body.length, stored.length);
    // Each stored row, plus the exclusion flags the exports compute (issue 12: too_fast, failed_attention, takeovers).
    const flagged: ResponseRow[] = [];
    for await (const r of (await studyData(t.server.ctx.store, STUDY, ['real', 'bot']))!.exportRows) flagged.push(r);
    stored.forEach((row, i) => {
      assert.deepEqual(body[i], RESPONSE_COLUMNS.map((c) => csvCell(({ ...(row as ResponseRow), too_fast: flagged[i].too_fast, failed_attention: flagged[i].failed_attention, takeovers: flagged[i].takeovers } as ResponseRow)[c])), `row ${i}`);
    });
    assert.ok(flagged.every((f) => typeof f.too_fast === 'boolean' && typeof f.failed_attention === 'boolean' && f.takeovers === 0));
    // Answers with commas, quotes and newlines survive (the likert prompt's labels are plain, so check structure).
    assert.ok(body.every((b) => b.length === RESPONSE_COLUMNS.length));
  });

  test("the raw CSV is the CLI's long CSV byte for byte, and its codebook is the CLI's codebook", async () => {
    const text = await (await fetch(`${t.url}/api/admin/studies/${STUDY}/responses.csv?include=bot`, asResearcher(r))).text();
    const out = new PassThrough();
    const chunks: Buffer[] = [];
    out.on('data', (c: Buffer) => chunks.push(c));
    // What `credence export --format long --include bot` writes (server/cli/analyze.ts): the rows with their exclusion flags.
    await writeLongCsv((await studyData(t.server.ctx.store, STUDY, ['real', 'bot']))!.exportRows, out);
    assert.equal(text, Buffer.concat(chunks).toString('utf8'));

    const res = await fetch(`${t.url}/api/admin/studies/${STUDY}/codebook.csv`, asResearcher(r));
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-disposition')!, /attachment; filename="admin-demo-codebook.csv"/);
    const [header, ...rows] = parse(await res.text(), { columns: false }) as string[][];
    assert.deepEqual(header, [...CODEBOOK_COLUMNS]);
    const want = codebookEntries((await t.server.ctx.store.studyVersion(STUDY))!.protocol);
    assert.deepEqual(rows, want.map((e) => CODEBOOK_COLUMNS.map((k) => e[k])));
    const timedOut = rows.find((x) => x[0] === 'long.csv' && x[1] === 'timed_out')!;
    assert.equal(timedOut[4], 'TRUE | FALSE', 'the codebook states the boolean encoding');
  });

  test('results come from the analysis: participant statuses match the database, figures are SVG', async () => {
    // Real participants only by default, saying how many bots were left out (issue 12).
    const realOnly = await getJson<ResultsView>(`/api/admin/studies/${STUDY}/results`);
    assert.deepEqual(realOnly.kinds, ['real']);
    assert.equal(realOnly.leftOut.bot, 6);
    assert.ok(realOnly.notes.some((n) => /left out: 6 bot/.test(n)), realOnly.notes.join('; '));
    const v = await getJson<ResultsView>(`/api/admin/studies/${STUDY}/results?include=bot`);
    assert.deepEqual(v.kinds, ['real', 'bot']);
    assert.equal(v.source, 'analysis', v.notes.join('; '));
    assert.equal(v.studyId, STUDY);
    const status = v.tables.find((x) => x.title === 'Participants by status');
    assert.ok(status, `tables: ${v.tables.map((x) => x.title).join(' | ')}`);
    const expected: Record<string, number> = {};
    for (const p of (await t.server.ctx.store.participants(STUDY))) expected[p.status] = (expected[p.status] ?? 0) + 1;
    assert.deepEqual(Object.fromEntries(status!.rows.map(([s, n]) => [s, n])), expected);
    for (const f of v.figures) {
      assert.match(f.svg, /^<svg[\s>]/, f.title);
      assert.ok(f.description.length > 0, `${f.title} has a description`);
    }
    // The report's headline sentences, live: the credibility item by its prompt, with n.
    assert.ok(v.headlines.some((h) => h.startsWith('Mean answer to “How credible is this text?”') && /n = \d/.test(h)), v.headlines.join('\n'));
    assert.ok(v.figures.some((f) => f.title === 'How credible is this text?'), v.figures.map((f) => f.title).join(' | '));
    const missing = await fetch(`${t.url}/api/admin/studies/no-such-study/results`, asResearcher(r));
    assert.equal(missing.status, 404);
  });

  test('the report downloads as sandboxed HTML with its figures inline and no scripts', async () => {
    const res = await fetch(`${t.url}/api/admin/studies/${STUDY}/report.html`, asResearcher(r));
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-disposition')!, /attachment; filename="admin-demo-report.html"/);
    assert.match(res.headers.get('content-security-policy')!, /^sandbox;/);
    const html = await res.text();
    assert.match(html, /<svg/);
    assert.ok(!/<script/i.test(html.replace(/&lt;script/gi, '')), 'no script element (the study title is escaped)');
    assert.ok(html.includes('&lt;script&gt;'), 'the title with <script> is escaped text');
    assert.equal((await fetch(`${t.url}/api/admin/studies/${STUDY}/report.html`)).status, 401);
  });

  test('the fallback counts and means match the stored responses', async () => {
    const stored = [...(await t.server.ctx.store.iterateResponses(STUDY))];
    const tables = meansTables(conditionMeans(stored));
    const perCondition = tables[0];
    assert.deepEqual(perCondition.rows.map((row) => row[0]).sort(), [...new Set(stored.map((x) => x.condition))].sort());
    for (const row of perCondition.rows) {
      const [condition, participants, responses] = row as [string, number, number];
      const mine = stored.filter((x) => x.condition === condition);
      assert.equal(participants, new Set(mine.map((x) => x.participant_id)).size);
      assert.equal(responses, mine.length);
    }
    const nums = stored.filter((x) => x.condition === 'human' && x.question_id === 'credible' && !x.timed_out).map((x) => x.value_num!);
    assert.ok(nums.length > 0);
    const credHuman = tables[1].rows.find((row) => row[0] === 'human' && row[1] === 'credible')!;
    assert.equal(credHuman[3], nums.length);
    assert.ok(Math.abs((credHuman[4] as number) - nums.reduce((a, b) => a + b, 0) / nums.length) < 1e-3);
  });

  test('a preview with the researcher cookie walks the whole protocol and stores nothing; without it, it is refused', async () => {
    const before = { participants: (await t.server.ctx.store.participants(STUDY)).length, responses: [...(await t.server.ctx.store.iterateResponses(STUDY))].length };
    const walk = (cookie?: string) =>
      new Promise<{ joined?: { preview: boolean }; refused?: { reason: string }; done?: { status: string }; pages: number }>((resolve, reject) => {
        const rng = createRng(5);
        const out: { joined?: { preview: boolean }; refused?: { reason: string }; done?: { status: string }; pages: number } = { pages: 0 };
        const s = ioClient(t.url, { transports: ['websocket'], reconnection: false, forceNew: true, auth: { study: STUDY, preview: true }, ...(cookie ? { extraHeaders: { cookie } } : {}) });
        const timer = setTimeout(() => {
          s.disconnect();
          reject(new Error('preview did not finish'));
        }, 15_000);
        const end = () => {
          clearTimeout(timer);
          s.disconnect();
          resolve(out);
        };
        s.on('joined', (j: { preview: boolean }) => (out.joined = j));
        s.on('refused', (x: { reason: string }) => {
          out.refused = x;
          end();
        });
        s.on('done', (d: { status: string }) => {
          out.done = d;
          end();
        });
        s.on('page', (view: PageView) => {
          out.pages++;
          const answers: Record<string, unknown> = {};
          if (view.kind === 'consent') answers.consent = true;
          for (const q of view.questions) {
            const { descriptor, params } = resolveQuestion(q);
            answers[q.id] = descriptor.botAnswer(params, { rng, profile: 'attentive' });
          }
          s.emit('submit', { clientId: `preview-${view.index}-${Date.now()}`, pageIndex: view.index, answers, rtMs: 5, events: [] }, () => {});
        });
      });
    const refused = await walk();
    assert.ok(refused.refused, `no cookie: refused (${JSON.stringify(refused)})`);
    assert.equal(refused.joined, undefined);
    const previewed = await walk(r.cookie);
    assert.equal(previewed.joined?.preview, true);
    assert.equal(previewed.done?.status, 'completed');
    assert.ok(previewed.pages >= 4, `walked ${previewed.pages} pages`);
    const afterwards = { participants: (await t.server.ctx.store.participants(STUDY)).length, responses: [...(await t.server.ctx.store.iterateResponses(STUDY))].length };
    assert.deepEqual(afterwards, before, 'nothing stored');
  });

  test('logging out closes the live monitor feed', async () => {
    const ended = waitFor<{ message: string }>(socket, 'session-ended', () => true, 6000);
    const gone = new Promise<string>((resolve) => socket.once('disconnect', (reason) => resolve(reason)));
    const out = await fetch(`${t.url}/api/admin/logout`, asResearcher(r, { method: 'POST' }));
    assert.equal(out.status, 204);
    assert.match((await ended).message, /session ended/);
    assert.equal(await gone, 'io server disconnect');
    socket.close();
  });
});
