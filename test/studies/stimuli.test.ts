// Pools → stimuli: imported files (gpt-2-output-dataset JSONL, CSV, plain
// text), the Brown corpus, and the samples `credence prepare` writes for
// generated pools, including RoFT passages with their boundary.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkProtocolText, loadStudy, type LoadedStudy } from '../../studies/load.ts';
import { materializePools, promptsForPool, StimulusError, readImportFile, generatedPoolFile } from '../../server/stimuli/index.ts';
import { gpt2OutputDatasetLabel } from '../../studies/pools.ts';

const root = mkdtempSync(join(tmpdir(), 'credence-stimuli-'));
after(() => rmSync(root, { recursive: true, force: true }));

const WEBTEXT = [
  { id: 255000, ended: true, length: 30, text: 'A web page about gardening in spring, with advice on tomatoes and beans for small plots.' },
  { id: 255001, ended: true, length: 12, text: 'Short text here.' },
  { id: 255002, ended: false, length: 40, text: 'Another page about local news: the council met and voted to repair the old bridge on Main Street.' },
  { id: 255003, ended: true, length: 35, text: 'Recipes for soup often begin with onions, carrots and celery cooked slowly in a little oil.' },
];

/** A protocol in its own folder, with the data files it imports written next to it first. */
function study(name: string, body: string, files: Record<string, string> = {}): LoadedStudy {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  for (const [f, content] of Object.entries(files)) writeFileSync(join(dir, f), content);
  const file = join(dir, `${name}.yaml`);
  const text = `id: ${name}
title: Import test
${body}
design:
  conditions: [{ id: main, target: 1 }]
phases:
  - { kind: consent, text: Agree? }
  - { kind: debrief, text: Thanks. }
`;
  writeFileSync(file, text);
  const r = checkProtocolText(text, file);
  if (!r.ok) assert.fail(r.problems.map((p) => `${p.line}:${p.column} ${p.path} ${p.message}`).join('\n'));
  return r.study;
}

describe('gpt-2-output-dataset labels from file names', () => {
  test('webtext is human; model subsets give corrected size and sampling', () => {
    assert.deepEqual(gpt2OutputDatasetLabel('data/webtext.test.jsonl'), { source: 'human', corpus: 'webtext' });
    assert.deepEqual(gpt2OutputDatasetLabel('small-117M-k40.valid.jsonl'), { source: 'machine', model: 'gpt2', model_size: '124M', sampling: 'top-k 40' });
    assert.deepEqual(gpt2OutputDatasetLabel('medium-345M.test.jsonl'), { source: 'machine', model: 'gpt2-medium', model_size: '355M', sampling: 'pure' });
    assert.deepEqual(gpt2OutputDatasetLabel('large-762M-k40.train.jsonl'), { source: 'machine', model: 'gpt2-large', model_size: '774M', sampling: 'top-k 40' });
    assert.deepEqual(gpt2OutputDatasetLabel('/x/xl-1542M.test.jsonl'), { source: 'machine', model: 'gpt2-xl', model_size: '1.5B', sampling: 'pure' });
    assert.equal(gpt2OutputDatasetLabel('my-texts.jsonl'), null);
  });
});

describe('import pools', () => {
  test('JSONL in the gpt-2-output-dataset format, label inferred, word filter and seeded sample of n', () => {
    const s = study(
      'imp-jsonl',
      `pools:
  web: { kind: import, file: webtext.test.jsonl, min_words: 5, n: 2, seed: 3 }
  xl: { kind: import, file: xl-1542M-k40.test.jsonl }`,
      {
        'webtext.test.jsonl': WEBTEXT.map((r) => JSON.stringify(r)).join('\n') + '\n',
        'xl-1542M-k40.test.jsonl': JSON.stringify({ id: 255001, text: 'The model wrote this.', length: 5, ended: true }),
      },
    );
    const stimuli = materializePools(s, { dataDir: root });
    const web = stimuli.filter((x) => x.pool === 'web');
    assert.equal(web.length, 2);
    assert.deepEqual(web.map((x) => x.id), ['web-0', 'web-1']);
    for (const x of web) {
      assert.notEqual(x.text, 'Short text here.', 'below min_words');
      assert.deepEqual(x.label, { source: 'human', corpus: 'webtext' });
      assert.equal(typeof x.provenance?.id, 'number');
      assert.ok(x.length_words >= 5);
    }
    // Seeded: the same choice every time.
    assert.deepEqual(materializePools(s, { dataDir: root }).map((x) => x.text), stimuli.map((x) => x.text));
    const xl = stimuli.find((x) => x.pool === 'xl')!;
    assert.deepEqual(xl.label, { source: 'machine', model: 'gpt2-xl', model_size: '1.5B', sampling: 'top-k 40' });
    assert.equal(xl.text, 'The model wrote this.');
  });

  test('a corrupt JSONL line is an error naming file:line', () => {
    const s = study('imp-bad', `pools:\n  web: { kind: import, file: webtext.valid.jsonl }`, { 'webtext.valid.jsonl': '' });
    const file = join(root, 'imp-bad', 'webtext.valid.jsonl');
    writeFileSync(file, [JSON.stringify(WEBTEXT[0]), JSON.stringify(WEBTEXT[1]), '{"id": 3, "text": "unterminated', JSON.stringify(WEBTEXT[2])].join('\n'));
    assert.throws(() => materializePools(s, { dataDir: root }), (e: unknown) => e instanceof StimulusError && e.message.startsWith(`${file}:3: invalid JSON`));
    writeFileSync(file, [JSON.stringify(WEBTEXT[0]), JSON.stringify({ id: 2, text: 7 })].join('\n'));
    assert.throws(() => materializePools(s, { dataDir: root }), new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2: field 'text' must be a string`));
  });

  test('CSV with a text column; a missing column and a broken quote are errors', () => {
    const s = study('imp-csv', `pools:\n  reviews: { kind: import, file: reviews.csv, text_column: body, label: { source: human, corpus: reviews } }`, { 'reviews.csv': '' });
    const file = join(root, 'imp-csv', 'reviews.csv');
    writeFileSync(file, 'id,body,stars\n1,"Great phone, the battery lasts, ""really"" lasts.",5\n2,"Broke after a week.\nNever again.",1\n');
    const st = materializePools(s, { dataDir: root });
    assert.deepEqual(st.map((x) => x.text), ['Great phone, the battery lasts, "really" lasts.', 'Broke after a week.\nNever again.']);
    assert.deepEqual(st[1].provenance, { file: 'reviews.csv', line: 4, id: '2', stars: '1' });
    assert.deepEqual(st[0].label, { source: 'human', corpus: 'reviews' });
    writeFileSync(file, 'id,text\n1,hello\n');
    assert.throws(() => materializePools(s, { dataDir: root }), /reviews\.csv:1: no 'body' column \(columns: id, text\)/);
    writeFileSync(file, 'id,body\n1,"never closed\n');
    assert.throws(() => materializePools(s, { dataDir: root }), /reviews\.csv:2: invalid CSV: Quote Not Closed/);
  });

  test('plain text: one text per blank-line-separated paragraph', () => {
    const file = join(root, 'para.txt');
    writeFileSync(file, 'First paragraph\nwraps here.\n\n\nSecond paragraph.\n   \nThird.\n');
    const texts = readImportFile(file);
    assert.deepEqual(texts.map((t) => [t.text, t.line]), [
      ['First paragraph wraps here.', 1],
      ['Second paragraph.', 5],
      ['Third.', 7],
    ]);
  });

  test('an import of a file that is not there is a load-time problem at pools.x.file', () => {
    const file = join(root, 'missing-import.yaml');
    const text = `id: missing-import\ntitle: t\npools:\n  web:\n    kind: import\n    file: webtext.test.jsonl\ndesign:\n  conditions: [{ id: main, target: 1 }]\nphases:\n  - { kind: consent, text: Agree? }\n  - { kind: debrief, text: Thanks. }\n`;
    const r = checkProtocolText(text, file);
    assert.ok(!r.ok && r.problems.some((p) => p.path === 'pools.web.file' && p.line === 6 && p.column === 5 && /no such file 'webtext\.test\.jsonl'/.test(p.message)));
  });

  test('an import without a label needs a dataset file name (checked at load time)', () => {
    const file = join(root, 'nolabel.yaml');
    const text = `id: nolabel\ntitle: t\npools:\n  a: { kind: import, file: mine.jsonl }\ndesign:\n  conditions: [{ id: main, target: 1 }]\nphases:\n  - { kind: consent, text: Agree? }\n  - { kind: debrief, text: Thanks. }\n`;
    const r = checkProtocolText(text, file);
    assert.equal(r.ok, false);
    assert.ok(!r.ok && r.problems.some((p) => p.path === 'pools.a.file' && p.line === 4 && p.column === 22 && /label is required/.test(p.message)));
  });
});

describe('corpus and generated pools of the shipped studies', () => {
  test('roft-boundary: prompts are whole human sentences; prepared samples become passages with the boundary', () => {
    const s = loadStudy('roft-boundary');
    const prompts = promptsForPool(s, 'roft_gpt2_h4');
    assert.equal(prompts.length, 6);
    // offset: 6 — each RoFT pool continues its own six stories (issue 12: no story in two passages).
    assert.deepEqual(prompts.map((p) => p.prompt_id), ['press-6', 'press-7', 'press-8', 'press-9', 'press-10', 'press-11']);
    assert.deepEqual(promptsForPool(s, 'roft_xl_h3').map((p) => p.prompt_id), ['press-12', 'press-13', 'press-14', 'press-15', 'press-16', 'press-17']);
    for (const p of prompts) {
      assert.equal(p.sentences?.length, 4);
      assert.equal(p.prompt, p.sentences!.join(' '));
    }
    // Deterministic: the same prompts on every call.
    assert.deepEqual(promptsForPool(s, 'roft_gpt2_h4'), prompts);

    const dataDir = join(root, 'data-roft');
    assert.throws(() => materializePools(s, { dataDir }), /pool 'roft_gpt2_h2' is generated by a model: run `credence prepare roft-boundary` first/);

    mkdirSync(join(dataDir, 'stimuli', 'roft-boundary'), { recursive: true });
    for (const pool of ['roft_gpt2_h2', 'roft_gpt2_h4', 'roft_xl_h3']) {
      const spec = s.protocol.pools[pool];
      assert.equal(spec.kind, 'generated');
      const recs = promptsForPool(s, pool).map((p, i) => ({
        id: i,
        prompt: p.prompt,
        text: `${p.prompt} the council said. it was over`,
        continuation: ' the council said. it was over',
        tokens: [' the', ' council'],
        logprobs: [-1, -2],
        ranks: [1, 40],
        provenance: { model: 'tiny', requested_model: 'gpt2', seed: spec.seed, sample_index: i, sampling: spec.sampling },
      }));
      writeFileSync(generatedPoolFile(dataDir, 'roft-boundary', pool), recs.map((r) => JSON.stringify(r)).join('\n') + '\n');
    }
    // A short file says how many samples it holds.
    writeFileSync(generatedPoolFile(dataDir, 'roft-boundary', 'roft_xl_h3'), JSON.stringify({ id: 0, prompt: 'x', text: 'y' }) + '\n');
    assert.throws(() => materializePools(s, { dataDir }), /roft_xl_h3\.jsonl holds 1 of the 6 samples/);
    const recs = promptsForPool(s, 'roft_xl_h3').map((p, i) => ({ id: i, prompt: p.prompt, text: `${p.prompt} More text came.`, continuation: ' More text came.' }));
    writeFileSync(generatedPoolFile(dataDir, 'roft-boundary', 'roft_xl_h3'), recs.map((r) => JSON.stringify(r)).join('\n'));

    const stimuli = materializePools(s, { dataDir });
    assert.equal(stimuli.length, 18 + 18);

    // Samples made for another prompt or other settings are refused, not served under this spec.
    const h2 = generatedPoolFile(dataDir, 'roft-boundary', 'roft_gpt2_h2');
    const good = readFileSync(h2, 'utf8');
    const lines = good.trim().split('\n').map((l) => JSON.parse(l));
    const tamper = (edit: (r: any) => void) => {
      const copy = lines.map((r) => structuredClone(r));
      edit(copy[2]);
      writeFileSync(h2, copy.map((r) => JSON.stringify(r)).join('\n'));
    };
    tamper((r) => (r.provenance.sampling.max_new_tokens = 120));
    assert.throws(() => materializePools(s, { dataDir }), /pool 'roft_gpt2_h2': sample 2 .* different pool spec \(sampling\.max_new_tokens 120 ≠ 80\): run `credence prepare roft-boundary --force`/);
    tamper((r) => (r.prompt = 'Another opening.'));
    assert.throws(() => materializePools(s, { dataDir }), /sample 2 .* \(its prompt differs\)/);
    tamper((r) => (r.provenance.seed = 7));
    assert.throws(() => materializePools(s, { dataDir }), /\(seed 7 ≠ 201\)/);
    writeFileSync(h2, good);
    const h4 = stimuli.filter((x) => x.pool === 'roft_gpt2_h4');
    for (const [i, x] of h4.entries()) {
      assert.equal(x.id, `roft_gpt2_h4-${i}`);
      assert.equal(x.boundary, 4);
      assert.deepEqual(x.sentences!.slice(0, 4), prompts[i].sentences);
      assert.deepEqual(x.sentences!.slice(4), ['the council said. it was over']);
      assert.equal(x.text, x.sentences!.join(' '));
      assert.deepEqual(x.label, { source: 'machine', model: 'gpt2', model_size: '124M', sampling: 'nucleus p=0.4' });
      assert.equal(x.provenance?.requested_model, 'gpt2');
      assert.equal(x.provenance?.prompt_id, `press-${6 + i}`);
      assert.equal(x.source, `press-${6 + i}`, 'a passage carries the story it was cut from as its source');
    }
    assert.equal(new Set(stimuli.filter((x) => x.pool !== 'press').map((x) => x.source)).size, 18, 'no story starts two passages');
    for (const x of stimuli.filter((x) => x.pool === 'press')) assert.equal(x.source, x.id, 'a human text is its own source');
    const xl = stimuli.find((x) => x.pool === 'roft_xl_h3')!;
    assert.equal(xl.boundary, 3);
    assert.equal(xl.sentences![3], 'More text came.');
    // The human pool: Brown passages with their corpus provenance.
    const press = stimuli.filter((x) => x.pool === 'press');
    assert.equal(press.length, 18);
    for (const x of press) {
      assert.deepEqual(x.label, { corpus: 'brown-press', source: 'human' });
      assert.match(String(x.provenance?.file), /^c[abc]\d\d$/);
      assert.ok(x.length_words >= 90 && x.length_words <= 200);
    }
  });

  test('a corrupt generated file names file:line', () => {
    const s = loadStudy('gltr-assist');
    const dataDir = join(root, 'data-gltr');
    mkdirSync(join(dataDir, 'stimuli', 'gltr-assist'), { recursive: true });
    const file = generatedPoolFile(dataDir, 'gltr-assist', 'gpt2_k40');
    writeFileSync(file, '{"id":0,"prompt":"a","text":"b"}\nnot json\n');
    assert.throws(() => materializePools(s, { dataDir }), (e: unknown) => e instanceof StimulusError && e.message.startsWith(`${file}:2: invalid JSON`));
  });

  test('GLTR ranks travel with generated texts, aligned with the shown text, or not at all', () => {
    const s = loadStudy('gltr-assist');
    const dataDir = join(root, 'data-gltr-ok');
    mkdirSync(join(dataDir, 'stimuli', 'gltr-assist'), { recursive: true });
    const recs = promptsForPool(s, 'gpt2_k40').map((p, i) => ({
      id: i,
      prompt: p.prompt,
      continuation: ' The council met.',
      text: ' The council met.',
      tokens: i === 1 ? [' The', ' counsel', ' met', '.'] : [' The', ' council', ' met', '.'],
      ranks: [0, 3, 12, 1],
    }));
    writeFileSync(generatedPoolFile(dataDir, 'gltr-assist', 'gpt2_k40'), recs.map((r) => JSON.stringify(r)).join('\n'));
    const machine = materializePools(s, { dataDir }).filter((x) => x.pool === 'gpt2_k40');
    assert.equal(machine[0].text, 'The council met.');
    assert.deepEqual(machine[0].gltr, [
      { token: 'The', rank: 0 },
      { token: ' council', rank: 3 },
      { token: ' met', rank: 12 },
      { token: '.', rank: 1 },
    ]);
    assert.equal(machine[1].gltr, undefined, 'tokens that do not spell the text give no overlay');
    assert.equal(machine[0].prompt, recs[0].prompt);
  });

  test('word prompts: the first words of the referenced texts, cycled over n samples', () => {
    const s = loadStudy('human-or-machine');
    const prompts = promptsForPool(s, 'gpt2_pure_long');
    assert.equal(prompts.length, 4);
    for (const p of prompts) assert.equal(p.prompt.split(' ').length, 25);
    const corpus = materializePools(s, { dataDir: root, pools: ['press', 'openings'] });
    assert.equal(corpus.filter((x) => x.pool === 'press').length, 12);
    const openings = corpus.filter((x) => x.pool === 'openings');
    assert.ok(prompts.every((p, i) => openings[i].text.startsWith(p.prompt)));
  });
});
