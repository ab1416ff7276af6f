// Exports read back (csv-parse) and compared with the rows of a real SQLite
// store, row for row; the CLI writes the whole output folder; bad input exits 2.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, existsSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { parse } from 'csv-parse/sync';
import { loadStudy } from '../../studies/load.ts';
import { SqliteStore } from '../../server/store/sqlite.ts';
import { simulateDataset } from '../../analysis/simulate.ts';
import { writeLongCsv } from '../../analysis/export/long-csv.ts';
import { writeJsonl } from '../../analysis/export/jsonl.ts';
import { writeWideCsv } from '../../analysis/export/wide-csv.ts';
import { codebookEntries } from '../../analysis/export/codebook.ts';
import { LONG_COLUMNS } from '../../analysis/export/columns.ts';
import type { ResponseRow } from '../../analysis/rows.ts';
import { fillStore } from './fixtures/fill-store.ts';
import { studyData } from '../../server/store/study-data.ts';
import { analyzeStudy } from '../../analysis/analyze.ts';

const STUDY = 'kreps-credibility';
let dir: string;
let db: string;
let store: SqliteStore;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'credence-export-'));
  db = join(dir, 'study.db');
  store = new SqliteStore(db);
  const loaded = loadStudy(STUDY);
  // A fraction of careless participants: they fail the attention check and answer at random.
  await fillStore(store, loaded.protocol, loaded.version, simulateDataset(loaded.protocol, { n: 80, effects: { gpt2_1_5b: 1 }, careless: 0.1, seed: 4 }));
  const roft = loadStudy('roft-boundary');
  await fillStore(store, roft.protocol, roft.version, simulateDataset(roft.protocol, { n: 20, seed: 4 }));
});

after(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The CSV text of a store value: what R and pandas will read. */
function expectedCell(v: unknown): string {
  if (v == null) return '';
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
  return String(v);
}

async function writeTo(path: string, write: (out: NodeJS.WritableStream) => Promise<unknown>): Promise<void> {
  await write(createWriteStream(path));
}

describe('exports against the store', () => {
  test('long CSV equals the store rows, row for row and cell for cell', async () => {
    const path = join(dir, 'long.csv');
    const n = await writeLongCsv((await store.iterateResponses(STUDY)), createWriteStream(path));
    const parsed = parse(readFileSync(path, 'utf8'), { columns: true }) as Record<string, string>[];
    const rows = [...(await store.iterateResponses(STUDY))];
    assert.ok(rows.length > 300, `rows ${rows.length}`);
    assert.equal(n, rows.length);
    assert.equal(parsed.length, rows.length);
    assert.deepEqual(Object.keys(parsed[0]), LONG_COLUMNS.map((c) => c.name));
    rows.forEach((r, i) => {
      for (const c of LONG_COLUMNS) assert.equal(parsed[i][c.name], expectedCell(r[c.name]), `row ${i} column ${c.name}`);
    });
    // value_json survives CSV quoting: it parses back to the same answer.
    const demo = parsed.find((r) => r.question_type === 'demographics')!;
    assert.equal(typeof JSON.parse(demo.value_json).party_id, 'number');
  });

  test('JSONL equals the store rows', async () => {
    const path = join(dir, 'responses.jsonl');
    const rows0 = await store.iterateResponses(STUDY);
    await writeTo(path, (out) => writeJsonl(rows0, out as never));
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as ResponseRow);
    const rows = [...(await store.iterateResponses(STUDY))];
    assert.equal(lines.length, rows.length);
    // Every long column is a key; the flags the exports compute (too_fast, failed_attention, takeovers) are null when not computed.
    rows.forEach((r, i) => assert.deepEqual(lines[i], { too_fast: null, failed_attention: null, takeovers: null, ...r }));
  });

  test('wide CSV has one row per participant and every answer in its page × question column', async () => {
    const path = join(dir, 'wide.csv');
    const participants = (await store.participants(STUDY));
    const res = await writeWideCsv((await store.iterateResponses(STUDY)), participants, createWriteStream(path));
    const parsed = parse(readFileSync(path, 'utf8'), { columns: true }) as Record<string, string>[];
    assert.equal(parsed.length, participants.length);
    assert.equal(res.rows, participants.length);
    const byId = new Map(parsed.map((r) => [r.participant_id, r]));
    for (const p of participants) assert.equal(byId.get(p.participant_id)!.assignment_seed, String(p.assignment_seed));
    let checked = 0;
    for (const r of (await store.iterateResponses(STUDY))) {
      const w = byId.get(r.participant_id)!;
      const col = `p${String(r.page_index).padStart(3, '0')}_${r.question_id}`;
      if (r.question_type === 'demographics') {
        const parts = JSON.parse(r.value_json!) as Record<string, number>;
        for (const [k, v] of Object.entries(parts)) assert.equal(w[`${col}_${k}`], String(v));
      } else assert.equal(w[col], r.value_num != null ? String(r.value_num) : r.value_text ?? '', `${r.participant_id} ${col}`);
      assert.equal(w[`p${String(r.page_index).padStart(3, '0')}_rt_ms`], expectedCell(r.rt_ms));
      checked++;
    }
    assert.ok(checked > 300);
    // The codebook documents every wide column.
    const book = codebookEntries(loadStudy(STUDY).protocol, res.columns);
    const documented = new Set(book.filter((e) => e.file === 'wide.csv').map((e) => e.column));
    for (const name of Object.keys(parsed[0])) assert.ok(documented.has(name), `undocumented wide column ${name}`);
  });

  test('codebook: every long column, and each question with its levels from the descriptor', () => {
    const book = codebookEntries(loadStudy(STUDY).protocol);
    for (const c of LONG_COLUMNS) assert.ok(book.some((e) => e.file === 'long.csv' && e.column === c.name && e.description));
    const cred = book.find((e) => e.file === 'question' && e.column === 'credible_4')!;
    assert.match(cred.levels, /1 = Not at all credible/);
    assert.match(cred.description, /credibility_4pt/);
    assert.match(book.find((e) => e.column === 'condition')!.levels, /gpt2_1_5b/);
  });
});

const cli = (args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'server/cli/main.ts', ...args], { encoding: 'utf8', cwd: join(import.meta.dirname, '..', '..') });

describe('credence analyze / export / simulate', () => {
  test('analyze writes the report, exports, codebook and metadata for a real database', async () => {
    await store.close();
    store = new SqliteStore(db);
    const out = join(dir, 'out');
    const r = cli(['analyze', STUDY, '--db', db, '--out', out]);
    assert.equal(r.status, 0, r.stderr);
    for (const f of ['report.html', 'long.csv', 'wide.csv', 'responses.jsonl', 'codebook.csv', 'metadata.json']) assert.ok(existsSync(join(out, f)), f);
    const meta = JSON.parse(readFileSync(join(out, 'metadata.json'), 'utf8'));
    assert.deepEqual(meta.protocol_hashes, [loadStudy(STUDY).version]);
    assert.equal(meta.seeds.design, 2020);
    assert.match(meta.software, /^credence /);
    assert.ok(meta.models.some((m: { hash: string }) => m.hash === 'f'.repeat(64)));
    assert.equal(meta.files['long.csv'].rows, [...(await store.iterateResponses(STUDY))].length);
    assert.match(meta.files['long.csv'].sha256, /^[0-9a-f]{64}$/);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    assert.ok(html.includes('<svg') && html.includes('credible_4') && html.includes(meta.protocol_hashes[0]));
    // Long CSV from the CLI equals the library's.
    const csv = parse(readFileSync(join(out, 'long.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    assert.equal(csv.length, meta.files['long.csv'].rows);
  });

  test('analyze reads RoFT boundaries and sentence counts from the stored stimuli', () => {
    const out = join(dir, 'out-roft');
    const r = cli(['analyze', 'roft-boundary', '--db', db, '--out', out, '--no-transfer']);
    assert.equal(r.status, 0, r.stderr);
    const [roft] = parse(readFileSync(join(out, 'tables', 'roft.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    // Simulated passages have 10 sentences: chance 1/10.
    assert.equal(roft.chance, '0.1');
    assert.ok(Number(roft.picks) > 0);
    const long = parse(readFileSync(join(out, 'long.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    const picks = long.filter((l) => l.question_type === 'boundary' && l.timed_out === 'FALSE');
    const exact = picks.filter((l) => l.correct === 'TRUE').length;
    const excluded = Number((parse(readFileSync(join(out, 'tables', 'exclusions.csv'), 'utf8'), { columns: true }) as Record<string, string>[])[0].participants_excluded);
    assert.equal(excluded, 0);
    assert.equal(Number(roft.picks), picks.length);
    assert.equal(Number(roft.exact_rate), Math.round((exact / picks.length) * 1e4) / 1e4);
  });

  test('export --format codebook to stdout; bad input exits 2 and writes nothing', () => {
    const ok = cli(['export', STUDY, '--db', db, '--format', 'codebook']);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /^file,column,type,description,levels/);
    const missing = cli(['export', STUDY, '--db', join(dir, 'nope.db'), '--format', 'long']);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /nope\.db: no such database/);
    assert.ok(!existsSync(join(dir, 'nope.db')));
    const fmt = cli(['export', STUDY, '--db', db, '--format', 'xlsx']);
    assert.equal(fmt.status, 2);
    assert.match(fmt.stderr, /--format xlsx/);
    const unknown = cli(['analyze', 'no-such-study', '--db', db, '--out', join(dir, 'x')]);
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /no study 'no-such-study'/);
  });

  test('simulate prints power per planned test; an unknown condition exits 2', () => {
    const r = cli(['simulate', STUDY, '--n', '160', '--effect', 'gpt2_1_5b=1.5', '--reps', '20', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const rep = JSON.parse(r.stdout) as { tests: { item: string; test: string; comparison: string; power: number; meanEstimate: number }[] };
    const find = (item: string) => rep.tests.find((x) => x.item === item && x.test === 'Welch t (Holm)' && x.comparison === 'human vs gpt2_1_5b')!;
    // 1.5 points on the 4-point item is a huge effect; on the 0–10 item it is about 0.9 SD.
    assert.ok(find('credible_4').power >= 0.9, `power ${find('credible_4').power}`);
    assert.ok(Math.abs(find('credibility_10').meanEstimate + 1.5) < 0.4, `estimate ${find('credibility_10').meanEstimate}`);
    const bad = cli(['simulate', STUDY, '--n', '80', '--effect', 'gpt9=1']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /no condition 'gpt9'/);
  });
});

describe('exclusion flags in the exports', () => {
  test('too_fast, rt_inconsistent, timed_out, failed_attention and takeovers are columns of long, JSONL and wide, in the codebook, and agree with the analysis', async () => {
    const data = (await studyData(store, STUDY, ['real', 'pilot', 'bot']))!;
    const longPath = join(dir, 'flags-long.csv');
    await writeLongCsv(data.exportRows, createWriteStream(longPath));
    const long = parse(readFileSync(longPath, 'utf8'), { columns: true }) as Record<string, string>[];
    const flagColumns = ['too_fast', 'rt_inconsistent', 'timed_out', 'failed_attention', 'takeovers'];
    for (const c of flagColumns) assert.ok(c in long[0], `long column ${c}`);
    const minRt = data.study.exclusions.min_rt_ms!;
    const raw = [...(await store.iterateResponses(STUDY))];
    raw.forEach((r, i) => {
      const fast = r.page_kind === 'trial' && !r.timed_out && r.rt_ms != null && r.rt_ms < minRt;
      assert.equal(long[i].too_fast, fast ? 'TRUE' : 'FALSE', `row ${i}`);
      assert.equal(long[i].takeovers, '0');
    });
    const failedIds = new Set(raw.filter((r) => r.page_kind === 'attention' && (r.correct === false || r.timed_out)).map((r) => r.participant_id));
    for (const p of data.participants) if (p.status === 'failed-attention') failedIds.add(p.participant_id);
    for (const row of long) assert.equal(row.failed_attention, failedIds.has(row.participant_id) ? 'TRUE' : 'FALSE');
    // The dataset has both values of each computed flag, so the checks above can fail.
    assert.ok(long.some((r) => r.too_fast === 'TRUE') && long.some((r) => r.too_fast === 'FALSE'));
    assert.ok(failedIds.size > 0 && failedIds.size < data.participants.length);

    // The analysis counts the same flags.
    const result = analyzeStudy(data);
    const reason = (name: string) => result.exclusions.reasons.find((r) => r.reason === name)!;
    assert.equal(reason('too_fast').answersFlagged, long.filter((r) => r.too_fast === 'TRUE').length);
    assert.equal(reason('failed_attention').participantsFlagged, failedIds.size);

    const jsonPath = join(dir, 'flags.jsonl');
    await writeTo(jsonPath, (out) => writeJsonl(data.exportRows, out as never));
    const json = readFileSync(jsonPath, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
    json.forEach((o, i) => assert.equal(o.too_fast, long[i].too_fast === 'TRUE'));

    const widePath = join(dir, 'flags-wide.csv');
    const wideRes = await writeWideCsv(data.exportRows, data.participants, createWriteStream(widePath));
    const wide = parse(readFileSync(widePath, 'utf8'), { columns: true }) as Record<string, string>[];
    for (const c of ['failed_attention', 'takeovers']) assert.ok(c in wide[0], `wide column ${c}`);
    for (const w of wide) assert.equal(w.failed_attention, failedIds.has(w.participant_id) ? 'TRUE' : 'FALSE');
    const byId = new Map(wide.map((w) => [w.participant_id, w]));
    for (const row of long) {
      const page = `p${row.page_index.padStart(3, '0')}`;
      const w = byId.get(row.participant_id)!;
      for (const part of ['too_fast', 'rt_inconsistent', 'timed_out']) assert.ok(`${page}_${part}` in w, `wide column ${page}_${part}`);
      if (row.too_fast === 'TRUE') assert.equal(w[`${page}_too_fast`], 'TRUE');
    }

    // Each flag column is described as one in the codebook, for long, JSONL and wide.
    const book = codebookEntries(data.study, wideRes.columns);
    for (const file of ['long.csv', 'responses.jsonl']) {
      for (const c of flagColumns) assert.match(book.find((e) => e.file === file && e.column === c)?.description ?? '', /Exclusion flag/, `${file} ${c}`);
    }
    for (const c of ['failed_attention', 'takeovers', 'p003_too_fast', 'p003_rt_inconsistent', 'p003_timed_out']) {
      assert.match(book.find((e) => e.file === 'wide.csv' && e.column === c)?.description ?? '', /Exclusion flag/, `wide.csv ${c}`);
    }
  });
});
