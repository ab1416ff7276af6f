// Distinctive terms (issue 16 item 5, the release report's Figure 5): on
// hand-written texts whose distinctive words are known, through the analysis,
// the report and `credence terms` on a real SQLite store.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readFileSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { parse } from 'csv-parse/sync';
import { loadStudy } from '../../studies/load.ts';
import { SqliteStore } from '../../server/store/sqlite.ts';
import { compareTerms, extremeTerms, sideTexts } from '../../analysis/terms.ts';
import { logOddsDirichlet } from '../../analysis/stats/log-odds.ts';
import { tokenize } from '../../analysis/tokenize.ts';
import { buildReport } from '../../analysis/report.ts';
import { MAX_SERIES } from '../../analysis/figures.ts';
import type { StimulusRow } from '../../analysis/rows.ts';

const FIXTURE = new URL('./fixtures/terms-study.yaml', import.meta.url).pathname;
const loaded = loadStudy(FIXTURE);
const stimuli: StimulusRow[] = Object.entries(loaded.protocol.pools).flatMap(([pool, p]) =>
  p.kind === 'fixed'
    ? p.items.map((it) => ({
        study_id: loaded.protocol.id, stimulus_id: it.id, pool, source: (p.label?.source ?? 'human') as 'human' | 'machine',
        model: null, model_size: null, sampling: null, length_words: it.text.split(/\s+/).length, text: it.text, provenance_json: null,
      }))
    : [],
);

test('the known distinctive words come out on top, on each side, and the numbers are the log-odds of the word counts', () => {
  const a = sideTexts(stimuli, 'crime');
  const b = sideTexts(stimuli, { pools: ['science'], label: 'science news' });
  assert.deepEqual([a.name, a.texts.length, b.name, b.texts.length], ['crime', 4, 'science news', 4]);
  const c = compareTerms(a, b, { top: 5, minCount: 3 });
  const { a: ta, b: tb } = extremeTerms(c, 3);
  assert.deepEqual(new Set(ta.map((t) => t.term)), new Set(['police', 'suspect', 'arrested']));
  assert.deepEqual(new Set(tb.map((t) => t.term).slice(0, 2)), new Set(['study', 'researchers']));
  // Four short texts a side: police (8 against 0) clears |z| > 1.96; the others lean the right way without.
  assert.deepEqual(c.significant, { a: 1, b: 0 });
  assert.equal(c.logOdds[0].term, 'police');
  // Shared words (said, the, city) sit near zero, between the two ends.
  const said = c.logOdds.find((t) => t.term === 'said')!;
  assert.ok(Math.abs(said.z) < 1.96, `said: z ${said.z}`);
  // Every listed term is the log-odds of the raw counts.
  const count = (texts: string[]) => { const m = new Map<string, number>(); for (const t of texts.flatMap(tokenize)) m.set(t, (m.get(t) ?? 0) + 1); return m; };
  const direct = new Map(logOddsDirichlet(count(a.texts), count(b.texts)).map((t) => [t.term, t]));
  for (const t of c.logOdds) assert.deepEqual(t, direct.get(t.term));
  assert.ok(c.logOdds.every((t) => t.countA + t.countB >= 3), 'minCount filters rare terms');
  assert.deepEqual(c.logOdds.map((t) => t.z), c.logOdds.map((t) => t.z).sort((x, y) => y - x), 'sorted by z, A first');
  // TF-IDF: each side's top term is one of its own distinctive words.
  assert.ok(['police', 'suspect'].includes(c.a.tfidf[0].term), c.a.tfidf[0].term);
  assert.ok(['study', 'researchers'].includes(c.b.tfidf[0].term), c.b.tfidf[0].term);
  assert.equal(c.a.tfidf.length, 5);
});

test('the report has a Distinctive terms section with the figure and both tables when the protocol asks for it', async () => {
  const report = await buildReport({ study: loaded.protocol, participants: [], responses: [], stimuli, scores: [], software: 'test' });
  const fig = report.figures.find((f) => f.name === 'terms_1');
  assert.ok(fig, report.figures.map((f) => f.name).join());
  assert.equal(fig.title, 'Distinctive terms: crime against science news');
  assert.match(fig.svg, /<title>Distinctive terms: crime against science news<\/title>/);
  const spec = fig.spec as { layer: { encoding?: { color?: { scale?: { domain?: string[] } } } }[] };
  assert.ok((spec.layer[0].encoding?.color?.scale?.domain?.length ?? 99) <= MAX_SERIES);
  assert.ok(report.tables.some((t) => t.name === 'terms_1_logodds' && t.rows.length > 0));
  assert.ok(report.tables.some((t) => t.name === 'terms_1_tfidf' && t.rows.length === 5));
  assert.match(report.html, /<h2>Distinctive terms<\/h2>/);
  // A protocol that does not ask gets no such section.
  const { report: _r, ...without } = loaded.protocol;
  const plain = await buildReport({ study: without, participants: [], responses: [], stimuli, scores: [], software: 'test' });
  assert.doesNotMatch(plain.html, /<h2>Distinctive terms<\/h2>/);
});

test('a comparison naming a pool the study does not have is refused at validation, with line:column', () => {
  const dir = mkdtempSync(join(tmpdir(), 'credence-terms-bad-'));
  try {
    const bad = readFileSync(FIXTURE, 'utf8').replace('- { a: crime,', '- { a: crimes,');
    const file = join(dir, 'terms-study.yaml');
    writeFileSync(file, bad);
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'server/cli/main.ts', 'study', 'validate', file], { encoding: 'utf8' });
    assert.equal(r.status, 2, r.stderr + r.stdout);
    assert.match(r.stderr + r.stdout, /terms-study\.yaml:\d+:\d+ +report\.terms\[0\]\.a +no pool 'crimes' \(pools: crime, science\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

describe('credence terms on a real store', () => {
  let dir: string;
  let db: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'credence-terms-'));
    db = join(dir, 'study.db');
    const store = new SqliteStore(db);
    await store.registerStudy({
      protocol: loaded.protocol, version: loaded.version, file: null,
      stimuli: stimuli.map((s) => ({ id: s.stimulus_id, pool: s.pool, text: s.text, label: { source: s.source }, length_words: s.length_words, provenance: null })),
    });
    await store.close();
  });
  after(() => rmSync(dir, { recursive: true, force: true }));
  const cli = (args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'server/cli/main.ts', ...args], { encoding: 'utf8' });

  test('prints both sides, writes the CSV of every term and the figure as SVG and PNG', () => {
    const out = join(dir, 'out');
    const r = cli(['terms', FIXTURE, '--a', 'crime', '--b', 'science', '--db', db, '--out', out, '--top', '3']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^more in crime: (police|suspect|arrested) \(z \d/m);
    assert.match(r.stdout, /^more in science: (study|researchers) \(z -\d/m);
    const csv = parse(readFileSync(join(out, 'terms-crime-vs-science.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    assert.deepEqual(Object.keys(csv[0]), ['term', 'count_crime', 'count_science', 'log_odds_ratio', 'se', 'z']);
    const police = csv.find((x) => x.term === 'police')!;
    assert.deepEqual([police.count_crime, police.count_science], ['8', '0']);
    assert.ok(Number(police.z) > 1.96);
    assert.match(readFileSync(join(out, 'terms-crime-vs-science.svg'), 'utf8'), /^<svg/);
    assert.deepEqual([...readFileSync(join(out, 'terms-crime-vs-science.png')).subarray(1, 4)].map((b) => String.fromCharCode(b)).join(''), 'PNG');
  });

  test('an unknown pool or an empty side is a usage error naming it (exit 2)', () => {
    const r = cli(['terms', FIXTURE, '--a', 'crime', '--b', 'sport', '--db', db]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--b sport: study 'terms-study' has no pool 'sport' \(pools: crime, science\)/);
    const empty = cli(['terms', FIXTURE, '--a', 'crime', '--b', 'science', '--b-size', '1.5B', '--db', db]);
    assert.equal(empty.status, 2);
    assert.match(empty.stderr, /--b science, 1\.5B: no stimuli stored for it/);
    assert.ok(!existsSync(join(dir, 'results')));
  });
});
