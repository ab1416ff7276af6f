// Abuse suite, finding 4: cells that begin with =, +, -, @ (or tab, CR) reached
// the admin responses.csv and the long and wide exports as they were. Every CSV
// the project writes neutralises them (a leading '), says so in the codebook, and
// --raw gives the stored bytes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { readdirSync, readFileSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { asResearcher, login, startTestServer, storedParticipant, STUDY, type Researcher, type TestServer } from '../admin/helpers.ts';

const FORMULAS = ['=HYPERLINK("http://evil.example","x")', '+1+cmd|\' /C calc\'!A0', '-2+3', '@SUM(A1:A9)', '\t=1+1', '\r=1+1'];
let t: TestServer;
let r: Researcher;

before(async () => {
  t = await startTestServer();
  r = await login(t.url, 'admin', t.password);
  const store = t.server.ctx.store;
  const now = Date.now();
  const participantId = await storedParticipant(
    store,
    { tokenHash: 'formula-participant', prolificPid: '=cmd|"/c calc"!A1', prolificStudyId: '@STUDY', prolificSessionId: '-SESSION' },
    { kind: 'questionnaire', block: null, trialIndex: null, questions: [{ type: 'text', id: 'comments', required: false }] },
    now,
  );
  for (const [i, text] of FORMULAS.entries()) {
    const res = await store.submit({
      participantId,
      clientId: `formula-${i}`,
      pageIndex: 0,
      pageKind: 'questionnaire',
      block: null,
      trialIndex: null,
      stimulusId: null,
      rtMs: 100,
      timedOut: false,
      eventsJson: '[]',
      blurCount: 0,
      answers: [{ questionId: 'comments', questionType: 'text', valueJson: JSON.stringify(text), valueNum: null, valueText: text, correct: null }],
      now,
      next: { pageIndex: 0, pageStartedAt: now, deadlineAt: null, attempts: 0, status: 'in-progress', endedAt: null, flagged: false },
    } as Parameters<typeof store.submit>[0]);
    assert.equal(res.kind, 'stored');
  }
});
after(async () => {
  await t?.close();
});

/** Every cell of a CSV that a spreadsheet would run: starts with = + - @ tab CR and is not a plain number. */
function dangerous(csv: string): string[] {
  const rows = parse(csv, { relax_column_count: true }) as string[][];
  return rows.flat().filter((c) => /^[=+\-@\t\r]/.test(c) && !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(c));
}

test('formula cells are neutralised in every CSV: admin responses.csv and codebook.csv, export long, wide, codebook, every CSV analyze writes; --raw keeps the bytes', async () => {
  const res = await fetch(`${t.url}/api/admin/studies/${STUDY}/responses.csv`, asResearcher(r));
  assert.equal(res.status, 200);
  const adminCsv = await res.text();
  assert.deepEqual(dangerous(adminCsv), [], 'admin responses.csv');
  assert.match(adminCsv, /'=HYPERLINK/);
  const codebook = await fetch(`${t.url}/api/admin/studies/${STUDY}/codebook.csv`, asResearcher(r));
  assert.equal(codebook.status, 200);
  assert.deepEqual(dangerous(await codebook.text()), [], 'admin codebook.csv');

  const db = join(t.dir, 'test.db');
  const exported = (format: string, raw = false) => {
    const out = join(t.dir, `${format}${raw ? '-raw' : ''}.csv`);
    const p = spawnSync(process.execPath, ['--import', 'tsx', 'server/cli/main.ts', 'export', join(t.dir, 'studies', `${STUDY}.yaml`), '--db', db, '--format', format, '--out', out, ...(raw ? ['--raw'] : [])], { encoding: 'utf8' });
    assert.equal(p.status, 0, p.stderr);
    return readFileSync(out, 'utf8');
  };
  for (const format of ['long', 'wide', 'codebook']) assert.deepEqual(dangerous(exported(format)), [], `${format}.csv`);
  // `credence analyze` writes its own long, wide and codebook CSVs and a CSV per table: every one of them.
  const out = join(t.dir, 'analyzed');
  const analyzed = spawnSync(process.execPath, ['--import', 'tsx', 'server/cli/main.ts', 'analyze', join(t.dir, 'studies', `${STUDY}.yaml`), '--db', db, '--out', out, '--no-transfer'], { encoding: 'utf8' });
  assert.equal(analyzed.status, 0, analyzed.stderr);
  const csvs = (readdirSync(out, { recursive: true }) as string[]).filter((f) => f.endsWith('.csv'));
  assert.ok(csvs.includes('long.csv') && csvs.includes('wide.csv') && csvs.some((f) => f.startsWith('tables')), csvs.join(', '));
  for (const f of csvs) assert.deepEqual(dangerous(readFileSync(join(out, f), 'utf8')), [], `analyze ${f}`);
  assert.match(readFileSync(join(out, 'long.csv'), 'utf8'), /'=HYPERLINK/, 'the analysed long CSV holds the neutralised answers');
  assert.match(exported('wide'), /'=cmd/, 'the recruiter id is neutralised too');
  assert.match(exported('codebook'), /prefixed with '/, 'the codebook says so');
  const raw = exported('long', true);
  for (const f of ['=HYPERLINK', '@SUM(A1:A9)']) assert.ok(raw.includes(f), `--raw keeps ${f}`);
  assert.ok(dangerous(raw).length >= 4);
});
