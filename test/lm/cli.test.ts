// `credence generate` and `credence models build-tiny` as a user runs them.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCli, tempDir, tinyModels } from './helpers.ts';

describe('credence generate', () => {
  const tmp = tempDir('cli');
  let model = '';
  before(async () => { model = (await tinyModels()).tiny; });
  after(() => tmp.cleanup());

  test('same arguments, same bytes; records carry tokens, log-probs, ranks and provenance; timing on stderr', async () => {
    const prompts = join(tmp.dir, 'prompts.txt');
    writeFileSync(prompts, 'Hello my name is\nThe weather today\n');
    const args = (out: string, batch: string) => ['generate', '--model', model, '--prompts', prompts, '--n', '3', '--max-new-tokens', '12',
      '--temperature', '0.9', '--top-k', '40', '--top-p', '0.95', '--seed', '11', '--batch', batch, '--out', out];
    const [a, b] = await Promise.all([runCli(args(join(tmp.dir, 'a.jsonl'), '4')), runCli(args(join(tmp.dir, 'b.jsonl'), '4'))]);
    assert.equal(a.status, 0, a.stderr);
    assert.equal(b.status, 0, b.stderr);
    const bytes = readFileSync(join(tmp.dir, 'a.jsonl'));
    assert.deepEqual(readFileSync(join(tmp.dir, 'b.jsonl')), bytes);
    assert.match(a.stderr, /6 samples, \d+ tokens in [\d.]+ s \([\d.]+ tok\/s\)/);
    const recs = bytes.toString('utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(recs.length, 6);
    assert.deepEqual(recs.map((r) => r.prompt), ['Hello my name is', 'Hello my name is', 'Hello my name is', 'The weather today', 'The weather today', 'The weather today']);
    for (const r of recs) {
      assert.equal(r.text, r.continuation);
      assert.equal(r.tokens.join(''), r.text);
      assert.equal(r.token_ids.length, r.logprobs.length);
      assert.ok(r.logprobs.every((x: number) => x < 0));
      assert.ok(r.ranks.every((k: number) => Number.isInteger(k) && k < 40));
      const p = r.provenance;
      assert.equal(p.model, 'tiny');
      assert.equal(p.model_file, 'onnx/model.onnx');
      assert.equal(p.dtype, 'fp32');
      assert.match(p.sha256, /^[0-9a-f]{64}$/);
      assert.deepEqual(p.sampling, { max_new_tokens: 12, min_new_tokens: 0, temperature: 0.9, top_k: 40, top_p: 0.95, stop_at_eos: true, stop_at_sentence_end: false });
      assert.equal(p.seed, 11);
      assert.match(p.software, /^credence \d+\.\d+\.\d+/);
    }
    // Another batch size: the same texts (log-probs may differ in the last float digits).
    const c = await runCli(args(join(tmp.dir, 'c.jsonl'), '1'));
    assert.equal(c.status, 0, c.stderr);
    const recsC = readFileSync(join(tmp.dir, 'c.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(recsC.map((r) => r.text), recs.map((r) => r.text));
  });

  test('bad arguments exit 2 with the problem named; a broken model directory exits 1 naming the file', async () => {
    const none = await runCli(['generate', '--model', model, '--n', '1']);
    assert.equal(none.status, 2);
    assert.match(none.stderr, /exactly one of --prompt TEXT or --prompts FILE/);
    const badP = await runCli(['generate', '--model', model, '--prompt', 'x', '--top-p', '1.5']);
    assert.equal(badP.status, 1);
    assert.match(badP.stderr, /top_p: must be in \(0, 1\]/);
    const missing = await runCli(['generate', '--model', join(tmp.dir, 'nope'), '--prompt', 'x']);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /nope: model directory not found/);
    assert.ok(!existsSync(join(tmp.dir, 'nope')));
  });

  test('models build-tiny writes the HF layout with a seeded, reproducible graph', async () => {
    const out = join(tmp.dir, 'built');
    const r = await runCli(['models', 'build-tiny', '--shape', 'tiny', '--seed', '1234', '--out', out]);
    assert.equal(r.status, 0, r.stderr);
    for (const f of ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx', 'onnx/decoder_model_merged.onnx', 'onnx/model_quantized.onnx']) {
      assert.ok(existsSync(join(out, f)), f);
    }
    const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    assert.equal(cfg.model_type, 'gpt2');
    assert.deepEqual([cfg.n_layer, cfg.n_embd, cfg.n_head, cfg.vocab_size, cfg.bos_token_id, cfg.eos_token_id], [2, 64, 4, 50257, 50256, 50256]);
    // Same seed as the cached models/tiny: identical graph bytes.
    assert.deepEqual(readFileSync(join(out, 'onnx', 'model.onnx')), readFileSync(join(model, 'onnx', 'model.onnx')));
    const again = await runCli(['models', 'build-tiny', '--shape', 'tiny', '--out', out]);
    assert.equal(again.status, 1);
    assert.match(again.stderr, /already exists \(use --force/);
    const bad = await runCli(['models', 'build-tiny', '--shape', 'huge']);
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /unknown shape "huge"/);
  });
});
