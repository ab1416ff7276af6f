import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { spawnSync } from 'node:child_process';
import { loadStudy } from '../../studies/load.ts';
import { materializePools } from '../../server/stimuli/index.ts';
import { openStore } from '../../server/store/open.ts';
import { ensureTinyModels } from '../../server/lm/ensure-tiny.ts';
import { buildTinyRoberta, ensureTinyRoberta } from '../../server/detectors/roberta-build.ts';
import { loadRobertaDetector } from '../../server/detectors/roberta.ts';
import { scoreStudy, parseDetectors, type ScoredStimulus } from '../../server/detectors/score-study.ts';

const fixture = resolve('test/detectors/fixtures/scored.yaml');
let root: string;
let detectorDir: string;
let scorerDir: string;
let stimuli: ScoredStimulus[];

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'credence-score-'));
  detectorDir = ensureTinyRoberta('models');
  [scorerDir] = await ensureTinyModels('models', ['tiny']);
  const loaded = loadStudy(fixture);
  stimuli = materializePools(loaded, { dataDir: join(root, 'data') }).map((s) => ({ id: s.id, text: s.text, source: s.label.source }));
});
after(() => rmSync(root, { recursive: true, force: true }));

function cli(args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'server/cli/main.ts', ...args], { encoding: 'utf8', timeout: 120_000 });
}

describe('credence score', () => {
  test('stores every metric per stimulus and resumes without re-scoring', async () => {
    const store = await openStore({ db: join(root, 'lib.db') });
    try {
      const first = await scoreStudy({ studyId: 'scored', stimuli, store, detectors: ['roberta', 'zero-shot', 'tfidf'], detectorDir, scorerDir, tfidfFolds: 3, tfidfOptions: { minDf: 1, Cs: [1] } });
      assert.equal(first.roberta.scored, 12);
      assert.equal(first['zero-shot'].scored, 12);
      assert.equal(first.tfidf.scored, 12);
      const rows = (await store.detectorScores('scored'));
      const metrics = (d: string) => new Set(rows.filter((r) => r.detector === d).map((r) => r.metric));
      assert.deepEqual([...metrics('roberta')].sort(), ['all_tokens', 'fake_probability', 'real_probability', 'used_tokens']);
      for (const m of ['mean_logprob', 'mean_rank', 'mean_log_rank', 'mean_entropy', 'gltr_top10', 'gltr_top100', 'gltr_top1000', 'gltr_rest', 'fast_detectgpt', 'lrr']) {
        assert.ok(metrics('zero-shot').has(m), m);
      }
      assert.deepEqual([...metrics('tfidf')].sort(), ['fake_probability', 'real_probability']);
      // Stored values are the detector's own.
      const det = await loadRobertaDetector(detectorDir);
      const [direct] = await det.score([stimuli[3].text]);
      const hash = await det.modelHash();
      await det.close();
      const stored = rows.find((r) => r.detector === 'roberta' && r.stimulus_id === stimuli[3].id && r.metric === 'real_probability')!;
      assert.equal(stored.value, direct.real_probability);
      assert.equal(stored.model_hash, hash);

      const again = await scoreStudy({ studyId: 'scored', stimuli, store, detectors: ['roberta', 'zero-shot', 'tfidf'], detectorDir, scorerDir, tfidfFolds: 3, tfidfOptions: { minDf: 1, Cs: [1] } });
      assert.deepEqual([again.roberta.scored, again['zero-shot'].scored, again.tfidf.scored], [0, 0, 0]);
      assert.deepEqual([again.roberta.skipped, again['zero-shot'].skipped, again.tfidf.skipped], [12, 12, 12]);

      // Two single-threaded sessions (--workers 2) store the same values.
      const before = new Map((await store.detectorScores('scored')).filter((r) => r.detector === 'zero-shot').map((r) => [`${r.stimulus_id}/${r.metric}`, r.value]));
      const w2 = await scoreStudy({ studyId: 'scored', stimuli, store, detectors: ['zero-shot'], scorerDir, workers: 2, force: true });
      assert.equal(w2['zero-shot'].scored, 12);
      for (const r of (await store.detectorScores('scored')).filter((x) => x.detector === 'zero-shot')) {
        const b = before.get(`${r.stimulus_id}/${r.metric}`)!;
        assert.ok(Math.abs(r.value - b) <= 1e-6 * Math.max(1, Math.abs(b)), `${r.stimulus_id} ${r.metric}`);
      }

      // An interrupted run: only the stimuli without scores are done next time.
      const extra = [...stimuli, { id: 'late-1', text: 'A late stimulus added after the first run.', source: 'human' }];
      const resumed = await scoreStudy({ studyId: 'scored', stimuli: extra, store, detectors: ['roberta'], detectorDir });
      assert.equal(resumed.roberta.scored, 1);
      assert.equal(resumed.roberta.skipped, 12);

      // Another model (different hash) scores everything again, next to the first.
      const other = join(root, 'other-roberta');
      buildTinyRoberta({ outDir: other, seed: 99 });
      const o = await scoreStudy({ studyId: 'scored', stimuli, store, detectors: ['roberta'], detectorDir: other });
      assert.equal(o.roberta.scored, 12);
      assert.notEqual(o.roberta.modelHash, hash);
      assert.equal(new Set((await store.detectorScores('scored')).filter((r) => r.detector === 'roberta').map((r) => r.model_hash)).size, 2);
    } finally {
      await store.close();
    }
  });

  test('bad arguments are refused before anything is stored', async () => {
    assert.throws(() => parseDetectors('roberta,gltr'), /unknown detector "gltr"/);
    const store = await openStore({ db: join(root, 'bad.db') });
    try {
      await assert.rejects(scoreStudy({ studyId: 'scored', stimuli, store, detectors: ['zero-shot'] }), /--scorer/);
      await assert.rejects(
        scoreStudy({ studyId: 'scored', stimuli: [{ id: 'x', text: 'some text here', source: 'unknown' }, ...stimuli], store, detectors: ['tfidf'] }),
        /stimulus x has source "unknown"/,
      );
      await assert.rejects(scoreStudy({ studyId: 'scored', stimuli: [...stimuli, { id: 'e', text: '', source: 'human' }], store, detectors: ['roberta'], detectorDir }), /empty/);
      const oneMachine = stimuli.filter((s) => s.source === 'human').concat(stimuli.filter((s) => s.source === 'machine').slice(0, 1));
      await assert.rejects(scoreStudy({ studyId: 'scored', stimuli: oneMachine, store, detectors: ['roberta', 'tfidf'], detectorDir }), /6 human and 1 machine stimuli/);
      // Two of each is enough: folds and the C search shrink to fit.
      const tiny = stimuli.filter((s) => s.source === 'human').slice(0, 2).concat(stimuli.filter((s) => s.source === 'machine').slice(0, 2));
      const t = await scoreStudy({ studyId: 'tiny', stimuli: tiny, store, detectors: ['tfidf'] });
      assert.equal(t.tfidf.scored, 4);
      assert.equal((await store.detectorScores('tiny')).length, 8);
      assert.equal((await store.detectorScores('scored')).length, 0, 'nothing stored for the refused runs');
    } finally {
      await store.close();
    }
  });

  test('the commands: score prints a summary, detect prints JSON, bad input exits 2', () => {
    const db = join(root, 'cli.db');
    const r = cli(['score', fixture, '--detectors', 'roberta,tfidf', '--detector', detectorDir, '--db', db, '--data-dir', join(root, 'data')]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /roberta\s+model [0-9a-f]{16}\s+scored 12\s+skipped 0/);
    const again = cli(['score', fixture, '--detectors', 'roberta', '--detector', detectorDir, '--db', db, '--data-dir', join(root, 'data')]);
    assert.match(again.stdout, /scored 0\s+skipped 12/);

    const d = cli(['detect', '--model', scorerDir, '--text', 'The jury said it did find that many laws are outmoded.']);
    assert.equal(d.status, 0, d.stderr);
    const json = JSON.parse(d.stdout);
    assert.equal(json.detector, 'zero-shot');
    assert.ok(json.mean_logprob < 0 && json.gltr_top10 >= 0);

    const bad = join(root, 'bad.txt');
    writeFileSync(bad, Buffer.from([0x61, 0x62, 0xc3, 0x28, 0x63]));
    const b = cli(['detect', '--model', detectorDir, '--file', bad]);
    assert.equal(b.status, 2);
    assert.match(b.stderr, /bad\.txt: not valid UTF-8 \(first bad byte at offset 2\)/);
    const both = cli(['detect', '--model', detectorDir, '--text', 'x', '--file', bad]);
    assert.equal(both.status, 2);
    assert.match(both.stderr, /exactly one of --text T or --file F/);
    const q8 = cli(['detect', '--model', detectorDir, '--dtype', 'q8', '--text', 'hello']);
    assert.equal(q8.status, 1);
    assert.match(q8.stderr, /no model graph found \(looked for model_quantized\.onnx, decoder_model_merged_quantized\.onnx; present: model\.onnx\)/);
    const unknown = cli(['score', fixture, '--detectors', 'nope', '--db', db]);
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /unknown detector "nope"/);
  });

  test('score --substitute-tiny scores with the tiny stand-ins when the scorer and detector are not installed, as prepare does', () => {
    const db = join(root, 'substitute.db');
    const missing = ['--scorer', join(root, 'absent', 'gpt2-medium'), '--detector', join(root, 'absent', 'roberta-base-openai-detector')];
    const without = cli(['score', fixture, '--detectors', 'roberta,zero-shot', ...missing, '--db', db, '--data-dir', join(root, 'data')]);
    assert.notEqual(without.status, 0);
    assert.match(without.stderr, /roberta-base-openai-detector does not exist \(give --detector DIR, or --substitute-tiny/);
    const r = cli(['score', fixture, '--detectors', 'roberta,zero-shot', ...missing, '--substitute-tiny', '--models', 'models', '--db', db, '--data-dir', join(root, 'data')]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /zero-shot: .*gpt2-medium is not installed; scoring with the tiny stand-in .*tiny-m \(--substitute-tiny\)/);
    assert.match(r.stderr, /roberta: .*roberta-base-openai-detector is not installed; scoring with the tiny stand-in .*tiny-roberta/);
    assert.match(r.stdout, /roberta\s+model [0-9a-f]{16}\s+scored 12/);
    assert.match(r.stdout, /zero-shot\s+model [0-9a-f]{16}\s+scored 12/);
  });
});
