// The store's promises on both engines, each a named suite so a failure says
// which: idempotent client ids, stale and ended submits refused, group commit,
// the response log append-only in the database itself (only the purge of pilot
// and bot data may delete), and the same rows read back from either engine for
// the same participants walking the mini study through the real Engine.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import pg from 'pg';
import Database from 'better-sqlite3';
import type { Store, SubmissionInput } from '../../server/store/store.ts';
import { SqliteStore } from '../../server/store/sqlite.ts';
import { PostgresStore } from '../../server/store/postgres.ts';
import { laneOf, ownLane } from '../../server/store/group-commit.ts';
import { joinsKey, placesKey } from '../../server/engine/places.ts';
import { studyLockName } from '../../server/store/study-locks.ts';
import { Engine } from '../../server/engine/engine.ts';
import { startTestPostgres, type TestPostgres } from '../helpers/postgres.ts';
import { FIXTURES, loadDef, tempDir } from '../engine/helpers.ts';
import type { PageView } from '../../studies/vocabulary/participant-wire.ts';
import { questionIndex } from '../../server/bots/bot.ts';
import { resolveQuestion } from '../../studies/questions/index.ts';
import { createRng } from '../../studies/random.ts';

let server: TestPostgres;
const tmp = tempDir('credence-engines-');
before(async () => {
  server = await startTestPostgres();
});
after(async () => {
  await server?.stop();
  tmp.cleanup();
});

interface EngineUnderTest {
  name: string;
  open(): Promise<Store>;
  /** Runs raw SQL on the engine's database outside the store (another client). */
  raw(store: Store, sql: string): Promise<unknown>;
}

let n = 0;
const ENGINES: EngineUnderTest[] = [
  {
    name: 'sqlite',
    open: async () => new SqliteStore(join(tmp.dir, `s${n++}.db`)),
    raw: async (store, sql) => {
      const db = new Database((store as SqliteStore).path);
      try {
        return db.prepare(sql).run();
      } finally {
        db.close();
      }
    },
  },
  {
    name: 'postgres',
    open: async () => {
      const s = new PostgresStore(await server.newDatabase());
      await s.ready;
      return s;
    },
    raw: async (store, sql) => {
      const c = new pg.Client({ connectionString: (store as PostgresStore).url });
      await c.connect();
      try {
        return await c.query(sql);
      } finally {
        await c.end();
      }
    },
  },
];

async function setUp(store: Store) {
  const def = await loadDef(join(FIXTURES, 'mini.yaml'));
  await store.registerStudy(def);
  const made = await store.createParticipant({
    studyId: 'mini',
    version: def.version,
    tokenHash: `t-${Math.random()}`,
    kind: 'real',
    prolificPid: 'P1',
    prolificStudyId: null,
    prolificSessionId: null,
    now: 1000,
    studyLimitMs: null,
    choose: ({ counts, index }) => {
      assert.equal(index, 0);
      assert.equal(counts.length, 3);
      return { condition: counts[0].condition, seed: 7, plan: [{ kind: 'questionnaire', block: null, trialIndex: null, questions: [] }, { kind: 'questionnaire', block: null, trialIndex: null, questions: [] }], deadlineAt: null };
    },
  });
  assert.ok('participant' in made);
  return made.participant;
}

const submission = (participantId: string, clientId: string, pageIndex: number): SubmissionInput => ({
  participantId,
  clientId,
  pageIndex,
  pageKind: 'questionnaire',
  block: null,
  trialIndex: null,
  stimulusId: null,
  rtMs: 812.25,
  timedOut: false,
  eventsJson: '[]',
  blurCount: 1,
  answers: [{ questionId: 'q', questionType: 'likert', valueJson: '3', valueNum: 3, valueText: null, correct: null }],
  now: 2000 + pageIndex,
  next: { pageIndex: pageIndex + 1, pageStartedAt: 2000, deadlineAt: null, attempts: 0, status: pageIndex + 1 >= 2 ? 'completed' : 'in-progress', endedAt: pageIndex + 1 >= 2 ? 2001 : null, flagged: false },
});

/** Attentive answers for a page (bots know the expected answers). */
function answersFor(protocolQuestions: ReturnType<typeof questionIndex>, view: PageView) {
  const out: Record<string, unknown> = {};
  if (view.kind === 'consent') out.consent = true;
  for (const shown of view.questions) {
    const q = protocolQuestions.get(shown.id)!;
    const { descriptor, params } = resolveQuestion(q);
    out[q.id] = descriptor.botAnswer(params, { rng: createRng(1), profile: 'attentive' });
  }
  return out;
}

/** Three participants walk the mini study to the end through the real Engine; returns the rows as analysis reads them. */
async function walkMini(store: Store) {
  let clock = 1_700_000_000_000;
  const engine = new Engine({ store, now: () => clock });
  await engine.openStudy(await loadDef(join(FIXTURES, 'mini.yaml')));
  await engine.start();
  try {
    const qs = questionIndex((await store.studyVersion('mini'))!.protocol);
    for (const pid of ['A', 'B', 'C']) {
      const j = await engine.join({ study: 'mini', prolific: { PROLIFIC_PID: pid, STUDY_ID: 's', SESSION_ID: 'x' } }, { researcher: false });
      assert.equal(j.kind, 'joined');
      if (j.kind !== 'joined') throw new Error(`${pid} was refused`);
      let o = j.outcome;
      for (let i = 0; i < 60 && 'page' in o; i++) {
        clock += 5_000; // past any minimum reading time, inside every time limit
        const r = await engine.submit(j.participantId, { clientId: `${pid}-${i}`, pageIndex: o.page.index, answers: answersFor(qs, o.page), rtMs: 1000, events: [] });
        assert.ok(r.ack.ok, JSON.stringify(r.ack));
        o = r.next!;
      }
      assert.ok('done' in o, `${pid} reached the end`);
    }
  } finally {
    await engine.stop();
  }
  const stripIds = <T extends { participant_id: string }>(rows: T[], ids: Map<string, string>) =>
    rows.map((r) => ({ ...r, participant_id: ids.get(r.participant_id)! }));
  const participants = await store.participants('mini');
  const ids = new Map(participants.map((p) => [p.participant_id, p.prolific_pid!]));
  return {
    responses: stripIds([...(await store.iterateResponses('mini'))], ids),
    participants: stripIds(participants, ids),
    counts: await store.conditionCounts('mini', clock),
  };
}

const walked: Record<string, Awaited<ReturnType<typeof walkMini>>> = {};

for (const E of ENGINES) {
  describe(`store on ${E.name}`, () => {
    test('a client id is stored once; a stale or ended submit is refused', async () => {
      const store = await E.open();
      try {
        const p = await setUp(store);
        assert.deepEqual(await store.submit(submission(p.id, 'c1', 0)), { kind: 'stored' });
        assert.deepEqual(await store.submit(submission(p.id, 'c1', 0)), { kind: 'duplicate' });
        assert.deepEqual(await store.submit(submission(p.id, 'c2', 0)), { kind: 'stale', pageIndex: 1 });
        assert.equal((await store.submitTarget(p.id, 'c1')).retry, true);
        assert.equal((await store.submitTarget(p.id, 'c1')).participant?.id, p.id);
        assert.equal((await store.submitTarget(p.id, 'c9')).retry, false);
        assert.deepEqual(await store.submitTarget('other', 'c1'), { participant: undefined, retry: false });
        assert.deepEqual(await store.submit(submission(p.id, 'c3', 1)), { kind: 'stored' });
        assert.deepEqual(await store.submit(submission(p.id, 'c4', 1)), { kind: 'not-in-progress' });
        assert.equal(await store.countSubmissions(p.id), 2);
        assert.equal((await store.participant(p.id))!.status, 'completed');
      } finally {
        await store.close();
      }
    });

    test('group commit: concurrent batches share transactions, a failing op fails alone', async () => {
      const store = await E.open();
      try {
        const p = await setUp(store);
        const ops = Array.from({ length: 20 }, (_, i) => store.batch((tx) => tx.logEvent({ participantId: p.id, type: 'e', pageIndex: i, at: i })));
        const failing = store.batch(async (tx) => {
          await tx.logEvent({ participantId: p.id, type: 'undone', pageIndex: 0, at: 0 });
          throw new Error('this op fails');
        });
        await Promise.all(ops);
        await assert.rejects(failing, /this op fails/);
        const events = await store.events(p.id);
        assert.equal(events.filter((e) => e.type === 'e').length, 20);
        assert.equal(events.filter((e) => e.type === 'undone').length, 0, 'the failing op was rolled back to its savepoint');
        assert.ok(store.commitStats().maxBatch > 1, `writes were grouped (largest group ${store.commitStats().maxBatch})`);
      } finally {
        await store.close();
      }
    });

    test('group commit: joins sharing one group get the outcomes they would one after another', async () => {
      // The same joins twice, on two fresh databases: queued in one tick (one group: PostgreSQL makes its
      // joins together, postgres-submits.ts; none fails, which would rerun the group one op at a time) and one after another. Each join must see the same counts and
      // index and get the same record. P1 (setUp, seen at 1000, TTL 1200 ms) turns idle between the joins' times.
      const def = await loadDef(join(FIXTURES, 'mini.yaml'));
      type Seen = { counts: unknown; index: number };
      const run = async (together: boolean) => {
        const store = await E.open();
        try {
          const p1 = await setUp(store);
          const seen = new Map<string, Seen>();
          const join = (label: string, pid: string | null, now: number, o: { full?: boolean; placeAt?: null } = {}) => () =>
            store.batch(async (tx) => {
              const r = await tx.createParticipant({
                studyId: 'mini', version: def.version, tokenHash: `tok-${label}`, kind: 'real', prolificPid: pid, prolificStudyId: null, prolificSessionId: null,
                now, studyLimitMs: null, ...(o.placeAt === null ? { placeAt: null } : {}),
                choose: ({ counts, index }) => {
                  seen.set(label, { counts, index }); // a group that reruns calls it again: the last call counts
                  if (o.full) return { full: true };
                  const open = counts.filter((c) => c.completed + c.active < c.target);
                  const least = Math.min(...open.map((c) => c.completed + c.active));
                  return { condition: open.find((c) => c.completed + c.active === least)!.condition, seed: index, plan: [{ kind: 'questionnaire', block: null, trialIndex: null, questions: [] }], deadlineAt: null };
                },
              });
              if (!('full' in r)) await tx.logEvent({ participantId: r.participant.id, type: `joined-${label}`, pageIndex: 0, at: now });
              return r;
            });
          const ops = [
            join('a', 'A', 2100),
            join('a-again', 'A', 2150), // the same new recruiter id: a's record
            join('full', null, 2160, { full: true }), // takes no index
            join('b', null, 2200), // P1 still active
            join('c', null, 2300, { placeAt: null }), // P1 idle now; c takes no place
            join('d', null, 2400),
            join('p1', 'P1', 2500), // stored before the group: P1's record
          ];
          const outcomes = together
            ? await Promise.allSettled(ops.map((op) => op()))
            : await ops.reduce<Promise<PromiseSettledResult<Awaited<ReturnType<(typeof ops)[0]>>>[]>>(async (acc, op) => [...(await acc), (await Promise.allSettled([op()]))[0]], Promise.resolve([]));
          if (together) assert.ok(store.commitStats().maxBatch >= ops.length, `one group (largest ${store.commitStats().maxBatch})`);
          const ids = new Map<string, string>([[p1.id, 'P1']]);
          const described = outcomes.map((o, i) => {
            if (o.status === 'rejected') return `rejected: ${(o.reason as Error).message}`;
            if ('full' in o.value) return 'full';
            const { participant: q, created } = o.value;
            if (!ids.has(q.id)) ids.set(q.id, `made by op ${i}`);
            return { who: ids.get(q.id), created, index: q.index, condition: q.condition, placed: q.placeAt != null, lastSeenAt: q.lastSeenAt };
          });
          const events = [];
          for (const id of ids.keys()) events.push((await store.events(id)).map((e) => e.type));
          return { described, seen: Object.fromEntries(seen), events };
        } finally {
          await store.close();
        }
      };
      const together = await run(true);
      const oneByOne = await run(false);
      assert.deepEqual(together, oneByOne);
      // And what one after another means here, spelled out where it matters.
      assert.equal((together.described[1] as { who: string }).who, 'made by op 0');
      assert.equal((together.described[6] as { who: string; created: boolean }).who, 'P1');
      assert.deepEqual(together.described.map((d) => (typeof d === 'string' ? d : d.index)), [1, 1, 'full', 2, 3, 4, 0]);
      const activeOf = (label: string) => (together.seen[label].counts as { active: number; idle: number }[]).reduce((n, c) => n + c.active, 0);
      // P1 is active for a and b (at 2100 and 2200) and idle for c and d; a and b hold places from then on, c none.
      assert.deepEqual(['a', 'b', 'c', 'd'].map(activeOf), [1, 2, 2, 2]);
    });

    test('group commit: submits sharing one group get the outcomes they would one after another', async () => {
      const store = await E.open();
      try {
        const p = await setUp(store);
        const def = await loadDef(join(FIXTURES, 'mini.yaml'));
        const made = await store.createParticipant({
          studyId: 'mini', version: def.version, tokenHash: 'q-token', kind: 'real', prolificPid: 'Q', prolificStudyId: null, prolificSessionId: null,
          now: 1, studyLimitMs: null, choose: ({ counts }) => ({ condition: counts[0].condition, seed: 2, plan: [{ kind: 'questionnaire', block: null, trialIndex: null, questions: [] }, { kind: 'questionnaire', block: null, trialIndex: null, questions: [] }], deadlineAt: null }),
        });
        assert.ok('participant' in made);
        const q = made.participant;
        // r holds no place (placeAt null): an answer that needs one is refused.
        const madeR = await store.createParticipant({
          studyId: 'mini', version: def.version, tokenHash: 'r-token', kind: 'real', prolificPid: 'R', prolificStudyId: null, prolificSessionId: null, placeAt: null,
          now: 1, studyLimitMs: null, choose: ({ counts }) => ({ condition: counts[0].condition, seed: 3, plan: [{ kind: 'questionnaire', block: null, trialIndex: null, questions: [] }, { kind: 'questionnaire', block: null, trialIndex: null, questions: [] }], deadlineAt: null }),
        });
        assert.ok('participant' in madeR);
        const r = madeR.participant;
        assert.equal(r.placeAt, null);
        const three = ['b', 'a', 'c'].map((id, k) => ({ questionId: id, questionType: 'likert', valueJson: String(k), valueNum: k, valueText: null, correct: null }));
        // All queued in one tick: one group (PostgreSQL writes its submits together, postgres-submits.ts).
        const outcomes = Promise.all([
          store.batch((tx) => tx.submit(submission(p.id, 'c1', 0))),
          store.batch((tx) => tx.submit(submission(p.id, 'c1', 0))), // its twin: a retry
          store.batch((tx) => tx.submit(submission(p.id, 'c2', 0))), // page 0 again: stale once c1 moved p
          store.batch((tx) => tx.submit(submission(p.id, 'c3', 1))), // p's second move in the group: completes p
          store.batch((tx) => tx.submit(submission(p.id, 'c4', 1))), // after the end
          store.batch(async (tx) => {
            const r = await tx.submit({ ...submission(q.id, 'q1', 0), answers: three });
            await tx.logEvent({ participantId: q.id, type: 'after-submit', pageIndex: 0, at: 5 });
            return r;
          }),
          store.batch((tx) => tx.submit(submission('nobody', 'n1', 0))),
          store.batch((tx) => tx.submit({ ...submission(r.id, 'r1', 0), needsPlace: true })), // r's place went to someone else
        ]);
        assert.deepEqual(await outcomes, [
          { kind: 'stored' },
          { kind: 'duplicate' },
          { kind: 'stale', pageIndex: 1 },
          { kind: 'stored' },
          { kind: 'not-in-progress' },
          { kind: 'stored' },
          { kind: 'not-in-progress' },
          { kind: 'place-lost' },
        ]);
        assert.ok(store.commitStats().maxBatch >= 8, `one group (largest ${store.commitStats().maxBatch})`);
        assert.deepEqual([await store.countSubmissions(r.id), (await store.participant(r.id))!.pageIndex], [0, 0], "nothing of r's refused answer is stored");
        assert.equal(await store.countSubmissions(p.id), 2);
        assert.equal(await store.countSubmissions(p.id, 'c1'), 1);
        const pAfter = (await store.participant(p.id))!;
        assert.deepEqual([pAfter.status, pAfter.pageIndex], ['completed', 2]);
        const qAfter = (await store.participant(q.id))!;
        assert.deepEqual([qAfter.status, qAfter.pageIndex, qAfter.lastSeenAt], ['in-progress', 1, 2000]);
        const rows = [...(await store.iterateResponses('mini'))];
        assert.deepEqual(rows.filter((r) => r.client_id === 'q1').map((r) => r.question_id), ['b', 'a', 'c'], "a response's answers in their order");
        assert.deepEqual([...new Set(rows.filter((r) => r.participant_id === p.id).map((r) => r.client_id))], ['c1', 'c3'], "one participant's responses in their order");
        assert.deepEqual((await store.events(q.id)).map((e) => e.type), ['after-submit']);

        // A failing op in a group with submits: it alone is undone, the submits beside it are stored.
        const stored = store.batch((tx) => tx.submit(submission(q.id, 'q2', 1)));
        const failing = store.batch(async (tx) => {
          await tx.submit(submission(q.id, 'q3', 1));
          throw new Error('this op fails');
        });
        assert.deepEqual(await stored, { kind: 'stored' });
        await assert.rejects(failing, /this op fails/);
        assert.equal(await store.countSubmissions(q.id, 'q3'), 0, 'the failing op was rolled back');
        assert.deepEqual([(await store.participant(q.id))!.status, await store.countSubmissions(q.id)], ['completed', 2]);
      } finally {
        await store.close();
      }
    });

    test('group commit: places taken in one group are held by its later counts and written, with or without a submit beside them', async () => {
      const store = await E.open();
      try {
        const first = await setUp(store);
        const version = first.version;
        const unplaced = async (pid: string) => {
          const made = await store.createParticipant({
            studyId: 'mini', version, tokenHash: `${pid}-token`, kind: 'real', prolificPid: pid, prolificStudyId: null, prolificSessionId: null, placeAt: null,
            now: 1, studyLimitMs: null, choose: ({ counts }) => ({ condition: counts[0].condition, seed: 1, plan: [{ kind: 'questionnaire', block: null, trialIndex: null, questions: [] }, { kind: 'questionnaire', block: null, trialIndex: null, questions: [] }], deadlineAt: null }),
          });
          assert.ok('participant' in made);
          return made.participant;
        };
        const [a, b, c, d, e] = [await unplaced('A'), await unplaced('B'), await unplaced('C'), await unplaced('D'), await unplaced('E')];
        // Places held: completed, in progress and seen lately, or idle past the slot TTL.
        const heldOf = (counts: Awaited<ReturnType<Store['conditionCounts']>>) => counts.reduce((n, x) => n + x.completed + x.active + x.idle, 0);
        const held = async (now: number) => heldOf(await store.conditionCounts('mini', now, version));
        const before = await held(2000);
        const key = placesKey('mini');
        // All queued in one tick: one group of the study's places lane.
        const outcomes = await Promise.all([
          store.batch(async (tx) => [await tx.takePlace(a, 2000), await tx.submit(submission(a.id, 'a1', 0))], key), // a consent
          store.batch(async (tx) => [await tx.takePlace(b, 2001)], key), // a place taken again, nothing submitted
          store.batch(async (tx) => [await tx.takePlace(c, 2002), await tx.submit(submission(c.id, 'c1', 1))], key), // its submit refused
          store.batch(async (tx) => [heldOf(await tx.conditionCounts('mini', 2000, version))], key),
        ]);
        assert.deepEqual(outcomes, [[true, { kind: 'stored' }], [true], [true, { kind: 'stale', pageIndex: 0 }], [before + 3]]);
        assert.ok(store.commitStats().maxBatch >= 4, `one group (largest ${store.commitStats().maxBatch})`);
        // A failing op's place is undone with it; a place taken again by one who holds theirs keeps theirs.
        const again = store.batch((tx) => tx.takePlace(a, 3000), key);
        const failing = store.batch(async (tx) => {
          await tx.takePlace(d, 2003);
          throw new Error('this op fails');
        }, key);
        await assert.rejects(failing, /this op fails/);
        await again;
        // A group with a place and no submit at all (one taken again after it was lost: places.ts placeLost).
        assert.equal(await store.batch((tx) => tx.takePlace(e, 2004), key), true);
        const placeOf = async (id: string) => (await store.participant(id))!.placeAt;
        assert.deepEqual([await placeOf(a.id), await placeOf(b.id), await placeOf(c.id), await placeOf(d.id), await placeOf(e.id)], [2000, 2001, 2002, null, 2004], "each place as its op took it; the failing op's undone");
        assert.deepEqual([(await store.participant(a.id))!.pageIndex, await store.countSubmissions(a.id), await store.countSubmissions(c.id)], [1, 1, 0]);
        assert.equal(await held(2000), before + 4);
      } finally {
        await store.close();
      }
    });

    test('the database refuses to update or delete responses; only pilot and bot data is purged', async () => {
      const store = await E.open();
      try {
        const p = await setUp(store);
        await store.submit(submission(p.id, 'c1', 0));
        await assert.rejects(E.raw(store, 'UPDATE responses SET rt_ms = 1'), /append-only/);
        await assert.rejects(E.raw(store, 'DELETE FROM answers'), /append-only/);
        await assert.rejects(E.raw(store, 'DELETE FROM responses'), /append-only/);
        await assert.rejects(E.raw(store, "UPDATE participants SET kind = 'bot'"), /kind never changes/);
        await assert.rejects(E.raw(store, 'DELETE FROM participants'), /never deleted/);
        await assert.rejects(store.purgeParticipants('mini', ['real'], 1), /never deleted/);
        const def = await loadDef(join(FIXTURES, 'mini.yaml'));
        const bot = await store.createParticipant({
          studyId: 'mini', version: def.version, tokenHash: 'bot-token', kind: 'bot', prolificPid: null, prolificStudyId: null, prolificSessionId: null,
          now: 1, studyLimitMs: null, choose: ({ counts }) => ({ condition: counts[0].condition, seed: 1, plan: [{ kind: 'questionnaire', block: null, trialIndex: null, questions: [] }], deadlineAt: null }),
        });
        assert.ok('participant' in bot);
        await store.submit({ ...submission(bot.participant.id, 'b1', 0), next: { ...submission(bot.participant.id, 'b1', 0).next, status: 'completed', endedAt: 3 } });
        assert.deepEqual(await store.purgeParticipants('mini', ['bot'], 5), { participants: 1, responses: 1 });
        assert.deepEqual(await store.kindCounts('mini'), { real: 1, pilot: 0, bot: 0 });
        assert.equal(await store.countSubmissions(p.id), 1, 'the real participant is untouched');
      } finally {
        await store.close();
      }
    });

    test('the mini study walked through the Engine', async () => {
      const store = await E.open();
      try {
        const w = await walkMini(store);
        walked[E.name] = w;
        assert.ok(w.responses.length > 10);
        assert.equal(w.counts.reduce((s, c) => s + c.completed, 0), 3);
      } finally {
        await store.close();
      }
    });
  });
}

test('both engines hand back the same rows for the same walk', () => {
  const { sqlite, postgres } = walked;
  assert.ok(sqlite && postgres, 'both walks ran');
  assert.deepEqual(postgres.responses, sqlite.responses);
  assert.deepEqual(postgres.participants, sqlite.participants);
  assert.deepEqual(postgres.counts, sqlite.counts);
});

// Issue 15: PostgreSQL runs several group transactions at once (lanes), one line per key, so one group waiting
// (here for a row lock another client holds) no longer holds up every acknowledgement behind it.
/** Until a group of the store's is waiting for a row lock (not merely queued). */
async function untilWaitingForLock(locker: pg.Client): Promise<void> {
  // Inside a transaction the activity view is read once and kept: cleared before each look.
  for (let i = 0; ; i++) {
    await locker.query('SELECT pg_stat_clear_snapshot()');
    const waiting = await locker.query("SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()");
    if (waiting.rowCount) return;
    assert.ok(i < 400, 'the group never waited for the lock');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A new participant of the mini study whose id passes `wanted` (a lane of the test's choosing). */
async function participantInLane(store: PostgresStore, version: string, wanted: (id: string) => boolean) {
  for (let i = 0; ; i++) {
    const made = await store.createParticipant({
      studyId: 'mini', version, tokenHash: `lane-${i}`, kind: 'real', prolificPid: `L${i}`, prolificStudyId: null, prolificSessionId: null,
      now: 1, studyLimitMs: null, choose: ({ counts }) => ({ condition: counts[0].condition, seed: i, plan: [{ kind: 'questionnaire', block: null, trialIndex: null, questions: [] }, { kind: 'questionnaire', block: null, trialIndex: null, questions: [] }], deadlineAt: null }),
    });
    assert.ok('participant' in made);
    if (wanted(made.participant.id)) return made.participant;
  }
}

const LANES = 4;

type Participant = Awaited<ReturnType<typeof setUp>>;

/** A PostgreSQL store with LANES lanes, p set up, and another connection (`locker`) to hold locks with. */
async function withLocker(body: (s: { store: PostgresStore; locker: pg.Client; p: Participant }) => Promise<void>): Promise<void> {
  const store = new PostgresStore(await server.newDatabase(), { lanes: LANES });
  await store.ready;
  const locker = new pg.Client({ connectionString: store.url });
  await locker.connect();
  try {
    await body({ store, locker, p: await setUp(store) });
  } finally {
    await locker.end();
    await store.close();
  }
}

/**
 * withLocker, p's row locked by `locker` (in a transaction the test commits); q, another participant whose id
 * `pick` accepts (p's id given, for its lane).
 */
function withLockedParticipant(
  pick: (qId: string, pId: string) => boolean,
  body: (s: { store: PostgresStore; locker: pg.Client; p: Participant; q: Participant }) => Promise<void>,
): Promise<void> {
  return withLocker(async ({ store, locker, p }) => {
    const def = await loadDef(join(FIXTURES, 'mini.yaml'));
    const q = await participantInLane(store, def.version, (id) => pick(id, p.id));
    await locker.query('BEGIN');
    await locker.query('SELECT id FROM participants WHERE id = $1 FOR UPDATE', [p.id]);
    await body({ store, locker, p, q });
  });
}

test('PostgreSQL group commit: a group waiting for a row lock holds up no other key; one key commits in order', () =>
  // q: another participant whose key has another lane than p's.
  withLockedParticipant((q, p) => laneOf(q, LANES) !== laneOf(p, LANES), async ({ store, locker, p, q }) => {
    let pSettled = false;
    // p's two answers, queued on p's key: the first waits for the row lock, the second must come after it.
    const pFirst = store.batch((tx) => tx.submit(submission(p.id, 'p0', 0)), p.id).finally(() => (pSettled = true));
    const pSecond = store.batch((tx) => tx.submit(submission(p.id, 'p1', 1)), p.id);
    // Until p's group is waiting for the lock (not merely queued).
    await untilWaitingForLock(locker);
    // One group at a time would keep q's answer behind p's until the lock is released (never, here).
    const qDone = await Promise.race([
      store.batch((tx) => tx.submit(submission(q.id, 'q0', 0)), q.id),
      new Promise((_, fail) => setTimeout(() => fail(new Error("q's answer waited behind p's group for 30 s")), 30_000).unref()),
    ]);
    assert.deepEqual(qDone, { kind: 'stored' }, "q's answer is stored while p's group waits");
    assert.equal(pSettled, false, "p's answer still waits for the lock");
    await locker.query('COMMIT');
    assert.deepEqual([await pFirst, await pSecond], [{ kind: 'stored' }, { kind: 'stored' }], "p's answers in the order queued");
    const rows = [...(await store.iterateResponses('mini'))].filter((r) => r.participant_id === p.id);
    assert.deepEqual([...new Set(rows.map((r) => r.client_id))], ['p0', 'p1']);
    assert.equal((await store.participant(p.id))!.status, 'completed');
  }));

test('PostgreSQL: joins that take a place and joins that wait for consent, made at once in their own lanes: every one made, each with its own index', async () => {
  const store = new PostgresStore(await server.newDatabase(), { lanes: LANES });
  await store.ready;
  try {
    const first = await setUp(store);
    const def = await loadDef(join(FIXTURES, 'mini.yaml'));
    const plan = [{ kind: 'questionnaire' as const, block: null, trialIndex: null, questions: [] }];
    // Alternately placing (the places lock, then the joins lock) and not (the joins lock only), several waves.
    const made = await Promise.all(
      Array.from({ length: 60 }, (_, i) => {
        const placing = i % 2 === 0;
        return store.batch(
          (tx) =>
            tx.createParticipant({
              studyId: 'mini', version: def.version, tokenHash: `mix-${i}`, kind: 'real', prolificPid: `M${i}`, prolificStudyId: null, prolificSessionId: null,
              now: 2000 + i, studyLimitMs: null, placeAt: placing ? 2000 + i : null,
              choose: ({ counts }) => ({ condition: counts[i % counts.length].condition, seed: i, plan, deadlineAt: null }),
            }),
          placing ? placesKey('mini') : joinsKey('mini'),
        );
      }),
    );
    const indexes = made.map((m) => ('participant' in m ? m.participant.index : -1));
    assert.deepEqual([...indexes].sort((a, b) => a - b), Array.from({ length: 60 }, (_, i) => i + 1), 'every join made, each with its own index after the first');
    assert.equal(first.index, 0);
  } finally {
    await store.close();
  }
});

test('PostgreSQL group commit: a key with a lane of its own (ownLane) waiting for a row lock holds up none of the hashed keys', () => {
  const slow = ownLane('slow');
  // q's id hashes to the lane the slow key itself would hash to: shared, q's answer would wait behind it.
  return withLockedParticipant((q) => laneOf(q, LANES) === laneOf(slow, LANES), async ({ store, locker, p, q }) => {
    const pFirst = store.batch((tx) => tx.submit(submission(p.id, 'p0', 0)), slow);
    await untilWaitingForLock(locker);
    const qDone = await Promise.race([
      store.batch((tx) => tx.submit(submission(q.id, 'q0', 0)), q.id),
      new Promise((_, fail) => setTimeout(() => fail(new Error("q's answer waited behind the slow key's group for 30 s")), 30_000).unref()),
    ]);
    assert.deepEqual(qDone, { kind: 'stored' }, "q's answer is stored while the slow key's group waits");
    await locker.query('COMMIT');
    assert.deepEqual(await pFirst, { kind: 'stored' });
  });
});

test("PostgreSQL group commit: every group of a study lock's lane holds that lock from its BEGIN, whatever its ops do", () =>
  withLocker(async ({ store, locker, p }) => {
    // The study's places lock, held by another session.
    await locker.query('SELECT pg_advisory_lock(hashtext($1))', [studyLockName('places', 'mini')]);
    let settled = false;
    // Its op only reads: it never asks for the lock itself.
    const read = store.batch((tx) => tx.participant(p.id), placesKey('mini')).finally(() => (settled = true));
    await untilWaitingForLock(locker);
    // The joins lane's lock is another, and the participants' lanes take none.
    assert.equal((await store.batch((tx) => tx.participant(p.id), joinsKey('mini')))?.id, p.id);
    assert.deepEqual(await store.batch((tx) => tx.submit(submission(p.id, 'p0', 0)), p.id), { kind: 'stored' });
    assert.equal(settled, false, "the places lane's group waits for the study's places lock");
    await locker.query('SELECT pg_advisory_unlock(hashtext($1))', [studyLockName('places', 'mini')]);
    assert.equal((await read)?.id, p.id);
  }));
