// The durable-writes anchor: raw better-sqlite3 inserts of one response (a
// response row and its answers) per transaction at the store's durability
// (WAL, synchronous=FULL), against the store's own submit path on the same
// disk: the store also checks idempotency and the page index and moves the
// participant on, in the same transaction.
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { SqliteStore } from '../../server/store/sqlite.ts';
import type { Protocol } from '../../studies/protocol.ts';

export interface DurableResult {
  n: number;
  rawPerS: number;
  storePerS: number;
  ratio: number;
  /** The store's group commit (many submits per transaction), for reference. */
  groupPerS: number;
}

const protocol = {
  id: 'durable',
  title: 'durable',
  pools: {},
  design: { conditions: [{ id: 'a', target: 1000000, pools: [] }], slot_ttl_minutes: 30, seed: 1 },
  phases: [],
  timing: {},
  exclusions: { failed_attention: true },
  recruitment: {},
} as unknown as Protocol;

function answers(i: number) {
  return [
    { questionId: 'cred', questionType: 'likert', valueJson: String(1 + (i % 4)), valueNum: 1 + (i % 4), valueText: null, correct: null },
    { questionId: 'judge', questionType: 'judgment', valueJson: String(1 + (i % 4)), valueNum: 1 + (i % 4), valueText: null, correct: true },
  ];
}

/** Pages per participant, as a shipped study's plan. */
const PAGES = 24;

export async function measureDurableWrites(dir: string, n: number): Promise<DurableResult> {
  // Raw: the same two tables' inserts, nothing else.
  const raw = new Database(join(dir, 'raw.db'));
  raw.pragma('journal_mode = WAL');
  raw.pragma('synchronous = FULL');
  raw.exec(`CREATE TABLE responses (id INTEGER PRIMARY KEY, participant_id TEXT, client_id TEXT, page_index INTEGER, page_kind TEXT,
    block TEXT, trial_index INTEGER, stimulus_id TEXT, rt_ms REAL, timed_out INTEGER, events_json TEXT, blur_count INTEGER, submitted_at INTEGER);
    CREATE TABLE answers (response_id INTEGER, question_id TEXT, question_type TEXT, value_json TEXT, value_num REAL, value_text TEXT, correct INTEGER);`);
  const insR = raw.prepare('INSERT INTO responses VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
  const insA = raw.prepare('INSERT INTO answers VALUES (?, ?, ?, ?, ?, ?, ?)');
  const one = raw.transaction((i: number) => {
    const r = insR.run('p', randomUUID(), i, 'trial', 'main', i, 's', 1234, 0, '[]', 0, Date.now());
    for (const a of answers(i)) insA.run(r.lastInsertRowid, a.questionId, a.questionType, a.valueJson, a.valueNum, a.valueText, a.correct ? 1 : 0);
  });

  // The store: participants with plans of a real study's size (24 pages of about
  // 750 bytes each, as the shipped studies' plans with their questions), each
  // walked page by page; a new one is made (outside the timing) when one ends.
  // A single participant with thousands of pages would make every submit
  // rewrite a plan no study has, and measure that instead of the submit path.
  const store = new SqliteStore(join(dir, 'store.db'));
  await store.registerStudy({ protocol, version: 'v1', file: null, stimuli: [] });
  const question = { id: 'cred', type: 'likert', prompt: 'How credible is this text? '.repeat(12), labels: ['not at all', 'a little', 'somewhat', 'very'] };
  const plan = Array.from({ length: PAGES }, (_, i) => ({
    kind: 'trial' as const,
    block: 'main',
    trialIndex: i,
    stimulusId: `s${i}`,
    questions: [question, { ...question, id: 'judge', type: 'judgment' }],
  }));
  const newParticipant = async (): Promise<string> => {
    const made = await store.createParticipant({
      studyId: 'durable',
      version: 'v1',
      tokenHash: randomUUID(),
      prolificPid: null,
      prolificStudyId: null,
      prolificSessionId: null,
      now: Date.now(),
      studyLimitMs: null,
      choose: () => ({ condition: 'a', seed: 1, plan: plan as never, deadlineAt: null }),
    });
    if ('full' in made) throw new Error('durable-writes: could not create a participant');
    return made.participant.id;
  };
  // Submit i goes to participant i / PAGES, page i % PAGES.
  const participants: string[] = [];
  for (let k = 0; k < Math.ceil((2 * n) / PAGES); k++) participants.push(await newParticipant());
  const input = (i: number) => ({
    participantId: participants[Math.floor(i / PAGES)],
    clientId: randomUUID(),
    pageIndex: i % PAGES,
    pageKind: 'trial' as const,
    block: 'main',
    trialIndex: i,
    stimulusId: 's',
    rtMs: 1234,
    timedOut: false,
    eventsJson: '[]',
    blurCount: 0,
    answers: answers(i),
    now: Date.now(),
    next: { pageIndex: (i % PAGES) + 1, pageStartedAt: Date.now(), deadlineAt: null, attempts: 0, status: 'in-progress' as const, endedAt: null, flagged: false },
  });
  // Raw and store alternate in rounds, so a burst of disk contention from other work hits both alike.
  let rawMs = 0;
  let storeMs = 0;
  const rounds = 10;
  for (let round = 0; round < rounds; round++) {
    const lo = Math.floor((round * n) / rounds);
    const hi = Math.floor(((round + 1) * n) / rounds);
    let t = performance.now();
    for (let i = lo; i < hi; i++) one(i);
    rawMs += performance.now() - t;
    t = performance.now();
    for (let i = lo; i < hi; i++) {
      const r = await store.submit(input(i));
      if (r.kind !== 'stored') throw new Error(`durable-writes: submit ${i} was ${r.kind}`);
    }
    storeMs += performance.now() - t;
  }
  raw.close();
  // Group commit, 20 per transaction (what a busy server does on its own).
  const t0 = performance.now();
  for (let i = n; i < 2 * n; i += 20) {
    const batch = Array.from({ length: Math.min(20, 2 * n - i) }, (_, k) => input(i + k));
    // As the engine's group commit: one transaction, each submit in its own savepoint.
    const results = await store.transaction(async (tx) => {
      const out = [];
      for (const b of batch) out.push(await tx.submit(b));
      return out;
    });
    if (results.some((r) => r.kind !== 'stored')) throw new Error('durable-writes: batch submit failed');
  }
  const groupMs = performance.now() - t0;
  await store.close();
  const rawPerS = (n / rawMs) * 1000;
  const storePerS = (n / storeMs) * 1000;
  return { n, rawPerS, storePerS, ratio: storePerS / rawPerS, groupPerS: (n / groupMs) * 1000 };
}
