import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, cpSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname, basename } from 'node:path';
import { createRequire } from 'node:module';
import { buildTinyRoberta } from '../../server/detectors/roberta-build.ts';
import { loadRobertaDetector, type RobertaDetector } from '../../server/detectors/roberta.ts';
import { DetectorInputError } from '../../server/detectors/text-input.ts';
import { corpusSentences } from './corpus.ts';

let root: string;
let dir: string;
let det: RobertaDetector;

before(async () => {
  root = mkdtempSync(join(tmpdir(), 'credence-roberta-'));
  dir = join(root, 'tiny-roberta');
  buildTinyRoberta({ outDir: dir, seed: 7 });
  det = await loadRobertaDetector(dir);
});
after(async () => {
  await det?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('RoBERTa detector', () => {
  test('tokenizer is GPT-2 BPE with ids shifted behind RoBERTa specials', () => {
    const require = createRequire(import.meta.url);
    const enc = require('gpt-3-encoder') as { encode(t: string): number[] };
    const text = 'Hello my name is Credence, and this is a test.';
    const { ids, allTokens } = det.encode(text);
    assert.deepEqual(ids, [0, ...enc.encode(text).map((i) => i + 4), 2]);
    assert.equal(allTokens, enc.encode(text).length);
  });

  test('probabilities match transformers.js text-classification within 1e-4', async () => {
    const { env, pipeline } = await import('@huggingface/transformers');
    env.allowRemoteModels = false;
    env.localModelPath = dirname(dir) + '/';
    const classify = await pipeline('text-classification', basename(dir), { dtype: 'fp32' });
    const sentences = corpusSentences(40);
    const long = sentences.join(' ').repeat(3);
    const texts = ['Short.', sentences.slice(0, 3).join(' '), sentences.slice(3, 12).join(' '), long];
    // Past 510 tokens transformers.js truncates *after* adding <s>/</s> (511 content
    // tokens, no </s>); we follow detector/server.py (510, then <s> … </s>). So the
    // long text goes to transformers.js as its own 510-token prefix.
    const require = createRequire(import.meta.url);
    const enc = require('gpt-3-encoder') as { decode(ids: number[]): string };
    const kept = det.encode(long).ids;
    const prefix = enc.decode(kept.slice(1, -1).map((i) => i - 4));
    assert.deepEqual(det.encode(prefix).ids, kept, 'the prefix re-tokenises to the same 510 tokens');
    const ours = await det.score(texts);
    const theirs = (await classify([...texts.slice(0, 3), prefix], { top_k: null })) as unknown as { label: string; score: number }[][];
    await classify.dispose();
    let spread = 0;
    texts.forEach((_, i) => {
      const real = theirs[i].find((x) => x.label === 'Real')!.score;
      const fake = theirs[i].find((x) => x.label === 'Fake')!.score;
      assert.ok(Math.abs(ours[i].real_probability - real) < 1e-4, `text ${i}: real ${ours[i].real_probability} vs ${real}`);
      assert.ok(Math.abs(ours[i].fake_probability - fake) < 1e-4, `text ${i}: fake ${ours[i].fake_probability} vs ${fake}`);
      spread = Math.max(spread, Math.abs(ours[i].real_probability - ours[0].real_probability));
    });
    assert.ok(spread > 1e-3, 'random detector gives different texts different scores');
  });

  test('truncates to 510 content tokens wrapped in <s> … </s>', async () => {
    const long = corpusSentences(60).join(' ');
    const { ids, allTokens } = det.encode(long);
    assert.ok(allTokens > 600, `corpus text is long enough (${allTokens})`);
    assert.equal(ids.length, 512);
    assert.equal(ids[0], 0);
    assert.equal(ids[511], 2);
    const [s] = await det.score([long]);
    assert.equal(s.all_tokens, allTokens);
    assert.equal(s.used_tokens, 510);
    // What lies past token 510 cannot change the score.
    const [s2] = await det.score([long + ' An entirely different ending that the detector never sees.']);
    assert.equal(s2.real_probability, s.real_probability);
  });

  test('batched scores equal one-by-one scores (padding is masked)', async () => {
    const sentences = corpusSentences(20);
    const texts = [sentences[0], sentences.slice(1, 8).join(' '), sentences[9], sentences.slice(10, 12).join(' ')];
    const batched = await det.score(texts);
    for (let i = 0; i < texts.length; i++) {
      const [one] = await det.score([texts[i]]);
      assert.ok(Math.abs(one.real_probability - batched[i].real_probability) < 1e-5, `text ${i}`);
      assert.ok(Math.abs(batched[i].real_probability + batched[i].fake_probability - 1) < 1e-9);
    }
    // Two single-threaded sessions side by side give the same scores.
    const two = await loadRobertaDetector(dir, { workers: 2, batchSize: 1 });
    const spread = await two.score(texts);
    await two.close();
    spread.forEach((s, i) => assert.ok(Math.abs(s.real_probability - batched[i].real_probability) < 1e-5, `worker text ${i}`));
  });

  test('label order comes from config.json id2label', async () => {
    const swapped = join(root, 'swapped');
    cpSync(dir, swapped, { recursive: true });
    const cfgPath = join(swapped, 'config.json');
    const cfg = JSON.parse(readFileSync(cfgPath, 'utf8'));
    cfg.id2label = { '0': 'Real', '1': 'Fake' };
    writeFileSync(cfgPath, JSON.stringify(cfg));
    const other = await loadRobertaDetector(swapped);
    const text = corpusSentences(5).join(' ');
    const [a] = await det.score([text]);
    const [b] = await other.score([text]);
    await other.close();
    assert.notEqual(a.real_probability.toFixed(3), a.fake_probability.toFixed(3));
    assert.equal(b.real_probability, a.fake_probability);
    assert.equal(b.fake_probability, a.real_probability);

    cfg.id2label = { '0': 'LABEL_0', '1': 'LABEL_1' };
    writeFileSync(cfgPath, JSON.stringify(cfg));
    await assert.rejects(loadRobertaDetector(swapped), /id2label must name "Real" and "Fake"/);
  });

  test('bad input: empty, lone surrogates, 100k characters', async () => {
    await assert.rejects(det.score(['']), DetectorInputError);
    await assert.rejects(det.score(['  \n\t ']), /empty/);
    const [lone] = await det.score(['abc \uD800 def']);
    const [replaced] = await det.score(['abc \uFFFD def']);
    assert.equal(lone.real_probability, replaced.real_probability);
    const huge = 'lorem ipsum dolor sit amet '.repeat(4000).slice(0, 100_000);
    const [h] = await det.score([huge]);
    assert.equal(h.used_tokens, 510);
    assert.ok(h.all_tokens > 10_000);
    assert.ok(h.real_probability > 0 && h.real_probability < 1);
  });

  test('bad model directories get errors naming the file', async () => {
    const broken = join(root, 'broken');
    cpSync(dir, broken, { recursive: true });
    const modelPath = join(broken, 'onnx', 'model.onnx');
    const bytes = readFileSync(modelPath);
    writeFileSync(modelPath, bytes.subarray(0, Math.floor(bytes.length / 3)));
    await assert.rejects(loadRobertaDetector(broken), (e: Error) => e.message.includes('model.onnx') && /cannot load|truncated or corrupt/.test(e.message));
    // Only a quantized file (what a q8-only pull leaves): found without asking, refused when fp32 is asked for.
    rmSync(modelPath);
    cpSync(join(dir, 'onnx', 'model.onnx'), join(broken, 'onnx', 'model_quantized.onnx'));
    const q = await loadRobertaDetector(broken);
    assert.match(q.modelFile, /model_quantized\.onnx$/);
    await q.close();
    await assert.rejects(loadRobertaDetector(broken, { dtype: 'fp32' }), /no model graph found \(looked for model\.onnx, decoder_model_merged\.onnx; present: model_quantized\.onnx\)/);
    rmSync(join(broken, 'onnx'), { recursive: true });
    await assert.rejects(loadRobertaDetector(broken), /onnx: missing/);
    writeFileSync(join(broken, 'config.json'), JSON.stringify({ model_type: 'gpt2' }));
    await assert.rejects(loadRobertaDetector(broken), /expected "roberta"/);
    await assert.rejects(loadRobertaDetector(join(root, 'nowhere')), /model directory not found/);
  });
});
