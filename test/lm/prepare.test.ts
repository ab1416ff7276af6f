// `credence prepare`: generated pools written sample by sample, resumable after
// an interruption to the same bytes as an uninterrupted run.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadStudy } from '../../studies/load.ts';
import { materializePools } from '../../server/stimuli/index.ts';
import { cleanSample, prepareStudy } from '../../server/lm/prepare.ts';
import { uncleanReason } from '../../server/stimuli/clean-text.ts';
import { parseDocument } from 'yaml';
import { REPO, runCli, tempDir } from './helpers.ts';

const POOL = 'gpt2_k40_short';

describe('prepare', () => {
  const tmp = tempDir('prepare');
  const models = join(tmp.dir, 'models');
  const study = join(tmp.dir, 'human-or-machine.yaml');
  // The shipped study, with this pool's samples kept short so the test stays fast.
  const shortened = (edit: (pool: Record<string, unknown>) => void = () => {}) => {
    const doc = parseDocument(readFileSync(join(REPO, 'studies', 'human-or-machine.yaml'), 'utf8'));
    const pool = (doc.toJS() as { pools: Record<string, Record<string, unknown>> }).pools[POOL];
    pool.sampling = { ...(pool.sampling as object), min_new_tokens: 4, max_new_tokens: 10 };
    edit(pool);
    doc.setIn(['pools', POOL], doc.createNode(pool));
    return doc.toString();
  };
  /** The shortened study with its pool edited, as human-or-machine.yaml in its own folder (the id is the file name). */
  const writeVariant = (folder: string, edit: (pool: Record<string, unknown>) => void): string => {
    mkdirSync(join(tmp.dir, folder));
    const file = join(tmp.dir, folder, 'human-or-machine.yaml');
    writeFileSync(file, shortened(edit));
    return file;
  };
  before(() => {
    writeFileSync(study, shortened());
  });
  after(() => tmp.cleanup());

  test('an interrupted run resumes to the bytes of an uninterrupted one; the stimuli read them', async () => {
    const whole = join(tmp.dir, 'whole');
    const res = await prepareStudy(study, { dataDir: whole, modelsDir: models, substituteTiny: true, pools: [POOL] });
    assert.deepEqual(res.map((r) => [r.pool, r.existing, r.generated, r.model, r.standsInFor]), [[POOL, 0, 4, 'tiny', 'gpt2']]);
    const file = join(whole, 'stimuli', 'human-or-machine', `${POOL}.jsonl`);
    const expected = readFileSync(file, 'utf8');
    const recs = expected.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(recs.length, 4);
    assert.deepEqual(recs.map((r) => r.id), [0, 1, 2, 3].map((i) => `${POOL}-${i}`));
    assert.equal(typeof res[0].replaced, 'number', 'prepare reports how many it replaced');
    for (const r of recs) {
      assert.equal(uncleanReason(r.text), null, r.text);
      assert.equal(r.text, r.continuation);
      assert.equal(r.tokens.length, r.token_ids.length);
      assert.equal(r.tokens.join(''), r.continuation);
      assert.ok(r.ranks.every((k: number) => k < 40));
      assert.ok(r.token_ids.length >= 4 && r.token_ids.length <= 10);
      assert.equal(r.provenance.model, 'tiny');
      assert.equal(r.provenance.stands_in_for, 'gpt2');
      assert.match(r.provenance.sha256, /^[0-9a-f]{64}$/);
      assert.equal(r.provenance.sampling.top_k, 40);
      assert.equal(r.provenance.seed, 102);
      assert.ok(r.provenance.software.startsWith('credence '));
    }

    // Interrupted after 2 samples, then a crash tore the next line mid-write.
    const part = join(tmp.dir, 'part');
    const first = await prepareStudy(study, { dataDir: part, modelsDir: models, substituteTiny: true, pools: [POOL], maxNewSamples: 2 });
    assert.deepEqual(first.map((r) => [r.existing, r.generated]), [[0, 2]]);
    const partFile = join(part, 'stimuli', 'human-or-machine', `${POOL}.jsonl`);
    assert.equal(readFileSync(partFile, 'utf8'), expected.split('\n').slice(0, 2).join('\n') + '\n');
    appendFileSync(partFile, expected.split('\n')[2].slice(0, 50));
    // The CLI continues from sample 2.
    const cli = await runCli(['prepare', study, '--db', join(part, 'credence.db'), '--models', models, '--substitute-tiny']);
    assert.equal(cli.status, 0, cli.stderr);
    assert.match(cli.stdout, new RegExp(`${POOL}: 2 existing, 2 generated with tiny \\(standing in for gpt2\\)`));
    assert.equal(readFileSync(partFile, 'utf8'), expected);
    // Nothing left to do: a third run changes nothing.
    const again = await prepareStudy(study, { dataDir: part, modelsDir: models, substituteTiny: true, pools: [POOL] });
    assert.deepEqual(again.map((r) => [r.existing, r.generated]), [[4, 0]]);
    assert.equal(readFileSync(partFile, 'utf8'), expected);

    // The stimuli engineer's reader takes these records as they are.
    const stimuli = materializePools(loadStudy(study), { dataDir: part, pools: [POOL] });
    assert.equal(stimuli.length, 4);
    assert.equal(stimuli[0].text, recs[0].continuation.trim());
  });

  test('a sample whose text is not clean is replaced by the next seeded draw for its prompt, and counted', async () => {
    const { Decoder } = await import('../../server/lm/decoder.ts');
    const { generate } = await import('../../server/lm/generate.ts');
    const decoder = await Decoder.load(join(models, 'tiny'));
    try {
      const genOpts = { seed: 7, sampling: { maxNewTokens: 6, minNewTokens: 0, temperature: 1, topK: 0, topP: 1, stopAtEos: true, stopAtSentenceEnd: false } };
      const [first] = await generate(decoder, [{ index: 2, prompt: 'The council met on Friday' }], genOpts);
      // The first two draws count as unclean (a U+FFFD appended); the third is kept.
      const textOf = (x: { index: number; continuation: string }) => (x.index < 2 + 2 * 5 ? `${x.continuation}\uFFFD` : x.continuation);
      const { sample, redraws } = await cleanSample(decoder, genOpts, first, 5, textOf, 'pool p');
      assert.equal(redraws, 2);
      assert.equal(sample.index, 2 + 2 * 5, 'draw k of sample i is item i + k·n');
      const [direct] = await generate(decoder, [{ index: 12, prompt: 'The council met on Friday' }], { ...genOpts, batchSize: 1 });
      assert.equal(sample.continuation, direct.continuation, 'the replacement is reproducible from the seed');
      await assert.rejects(cleanSample(decoder, genOpts, first, 5, (x) => `${x.continuation}\u0007`, 'pool p'), /pool p: sample 2 and its next 50 seeded draws all held unclean text \(last: a control character U\+0007/);
    } finally {
      await decoder.dispose();
    }
  });

  test('a changed pool spec is refused with the file named, and --force regenerates', async () => {
    const data = join(tmp.dir, 'changed');
    await prepareStudy(study, { dataDir: data, modelsDir: models, substituteTiny: true, pools: [POOL], maxNewSamples: 1 });
    const file = join(data, 'stimuli', 'human-or-machine', `${POOL}.jsonl`);
    const before = readFileSync(file, 'utf8');
    const changed = writeVariant('changed-spec', (p) => { p.seed = 103; });
    await assert.rejects(prepareStudy(changed, { dataDir: data, modelsDir: models, substituteTiny: true, pools: [POOL] }),
      (e: Error) => e.message.startsWith(file) && /different pool spec/.test(e.message) && /--force/.test(e.message));
    assert.equal(readFileSync(file, 'utf8'), before, 'nothing changed');
    const forced = await prepareStudy(changed, { dataDir: data, modelsDir: models, substituteTiny: true, pools: [POOL], force: true });
    assert.deepEqual(forced.map((r) => [r.existing, r.generated]), [[0, 4]]);
    assert.ok(readFileSync(file, 'utf8').split('\n').filter(Boolean).every((l) => JSON.parse(l).provenance.seed === 103));
  });

  test('raising n adds samples after the existing ones, in the batch size the pool started with', async () => {
    const data = join(tmp.dir, 'grow');
    await prepareStudy(study, { dataDir: data, modelsDir: models, substituteTiny: true, pools: [POOL], batchSize: 3 });
    const file = join(data, 'stimuli', 'human-or-machine', `${POOL}.jsonl`);
    const four = readFileSync(file, 'utf8');
    const grown = writeVariant('grown-spec', (p) => { p.n = 6; });
    const res = await prepareStudy(grown, { dataDir: data, modelsDir: models, substituteTiny: true, pools: [POOL], batchSize: 8 });
    assert.deepEqual(res.map((r) => [r.existing, r.generated]), [[4, 2]]);
    const six = readFileSync(file, 'utf8');
    assert.ok(six.startsWith(four));
    const recs = six.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(recs.map((r) => r.provenance.batch_size), [3, 3, 3, 3, 3, 3]);
    // The same texts as six samples generated in one go. The run that grew the pool
    // regenerated the refilling window the new samples belong to, so those are the
    // one-go run's to the bit; the four kept from before shared their forward passes
    // with other companions there (the batch refills as samples end: issue 16), so
    // only their log-probs' last bits may differ.
    const once = join(tmp.dir, 'grow-once');
    await prepareStudy(grown, { dataDir: once, modelsDir: models, substituteTiny: true, pools: [POOL], batchSize: 3 });
    const onceRecs = readFileSync(join(once, 'stimuli', 'human-or-machine', `${POOL}.jsonl`), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(onceRecs.map((r) => r.text), recs.map((r) => r.text));
    assert.deepEqual(onceRecs.map((r) => r.token_ids), recs.map((r) => r.token_ids));
    onceRecs.slice(0, 4).forEach((r, i) => r.logprobs.forEach((lp: number, t: number) => assert.ok(Math.abs(lp - recs[i].logprobs[t]) < 1e-4)));
    assert.deepEqual(onceRecs.slice(4), recs.slice(4));
  });

  test('a GPT-2 size that is not installed is an error unless --substitute-tiny', async () => {
    await assert.rejects(prepareStudy(study, { dataDir: join(tmp.dir, 'none'), modelsDir: models, pools: [POOL] }),
      /pool 'gpt2_k40_short': model gpt2 is not installed at .*--substitute-tiny/);
  });
});
