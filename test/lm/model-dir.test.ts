import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, truncateSync, writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Decoder } from '../../server/lm/decoder.ts';
import { buildTinyModel } from '../../server/lm/build-tiny.ts';
import { loadGpt2Dir } from '../../server/lm/gpt2-dir.ts';
import { generate } from '../../server/lm/generate.ts';
import { DEFAULT_SAMPLING } from '../../server/lm/sampling.ts';
import { copyModel, tempDir, tinyModels } from './helpers.ts';

describe('model directory loader', () => {
  let tiny = '';
  const tmp = tempDir('modeldir');
  before(async () => { tiny = (await tinyModels()).tiny; });
  after(() => tmp.cleanup());
  const broken = (name: string) => copyModel(tiny, join(tmp.dir, name));

  test('loads the built layout: model.onnx first, merged and q8 on request, with a stable sha256', async () => {
    const m = await loadGpt2Dir(tiny);
    assert.equal(m.config.nLayer, 2);
    assert.equal(m.config.vocabSize, 50257);
    assert.equal(m.modelFileName, 'model');
    assert.equal(m.dtype, 'fp32');
    assert.match(m.sha256, /^[0-9a-f]{64}$/);
    const merged = await loadGpt2Dir(tiny, { modelFileName: 'decoder_model_merged' });
    assert.ok(merged.onnxPath.endsWith(join('onnx', 'decoder_model_merged.onnx')));
    assert.notEqual(merged.sha256, m.sha256);
    const q8 = await loadGpt2Dir(tiny, { dtype: 'q8' });
    assert.ok(q8.onnxPath.endsWith('model_quantized.onnx'));
    await assert.rejects(loadGpt2Dir(tiny, { dtype: 'fp16' }), /no model graph found.*model_fp16\.onnx/);
  });

  test('falls back to decoder_model_merged, and reads the openai-community layout (config inside onnx/)', async () => {
    const dir = broken('merged-only');
    rmSync(join(dir, 'onnx', 'model.onnx'));
    rmSync(join(dir, 'onnx', 'model_quantized.onnx'));
    const m = await loadGpt2Dir(dir);
    assert.equal(m.modelFileName, 'decoder_model_merged');
    const oc = broken('openai-community');
    for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'generation_config.json']) renameSync(join(oc, f), join(oc, 'onnx', f));
    const d = await Decoder.load(oc, { skipHash: true });
    assert.equal(d.model.configDir, join(oc, 'onnx'));
    const r = await d.forward([[15496, 616]]);
    assert.deepEqual(r.dims, [1, 2, 50257]);
    await d.dispose();
  });

  test('no config.json, no tokenizer.json: errors name the missing file', async () => {
    const a = broken('no-config');
    rmSync(join(a, 'config.json'));
    await assert.rejects(loadGpt2Dir(a), (e: Error) => e.message.includes(join(a, 'config.json')) && /missing/.test(e.message));
    const b = broken('no-tokenizer');
    rmSync(join(b, 'tokenizer.json'));
    await assert.rejects(loadGpt2Dir(b), (e: Error) => e.message.includes(join(b, 'tokenizer.json')) && /no tokenizer/.test(e.message));
    const c = broken('bad-json');
    writeFileSync(join(c, 'config.json'), '{"model_type": "gpt2", ');
    await assert.rejects(loadGpt2Dir(c), (e: Error) => e.message.includes(join(c, 'config.json')) && /invalid JSON/.test(e.message));
  });

  test('vocabulary size mismatch: config vs tokenizer, and config vs logits', async () => {
    const a = broken('vocab-config');
    const cfg = JSON.parse(readFileSync(join(a, 'config.json'), 'utf8'));
    writeFileSync(join(a, 'config.json'), JSON.stringify({ ...cfg, vocab_size: 50000 }));
    await assert.rejects(loadGpt2Dir(a), (e: Error) => e.message.includes(join(a, 'tokenizer.json')) && /50257 tokens/.test(e.message) && /vocab_size 50000/.test(e.message));
    // Tokenizer and config agree on 50258; the graph's logits have 50257.
    const b = broken('vocab-logits');
    writeFileSync(join(b, 'config.json'), JSON.stringify({ ...cfg, vocab_size: 50258 }));
    const tok = JSON.parse(readFileSync(join(b, 'tokenizer.json'), 'utf8'));
    tok.added_tokens.push({ id: 50257, content: '<|pad|>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
    writeFileSync(join(b, 'tokenizer.json'), JSON.stringify(tok));
    await assert.rejects(Decoder.load(b, { skipHash: true }), (e: Error) => e.message.includes(join(b, 'onnx', 'model.onnx')) && /logits have 50257/.test(e.message) && /vocab_size 50258/.test(e.message));
  });

  test('truncated and garbage .onnx files are reported with their path', async () => {
    const a = broken('truncated');
    const f = join(a, 'onnx', 'model.onnx');
    truncateSync(f, Math.floor(readFileSync(f).length / 2));
    await assert.rejects(Decoder.load(a), (e: Error) => e.message.startsWith(f) && /truncated|corrupt|could not load/.test(e.message));
    const b = broken('garbage');
    const g = join(b, 'onnx', 'model.onnx');
    writeFileSync(g, Buffer.from('this is not an onnx model at all, just text'.repeat(50)));
    await assert.rejects(Decoder.load(b), (e: Error) => e.message.startsWith(g));
    const c = broken('empty');
    writeFileSync(join(c, 'onnx', 'model.onnx'), '');
    await assert.rejects(Decoder.load(c), /model\.onnx: empty file/);
  });

  test('external data: loads from the path, and a missing or short data file is named', async () => {
    const dir = buildTinyModel({ shape: 'tiny', out: join(tmp.dir, 'external'), external: true, variants: ['fp32'] });
    assert.ok(existsSync(join(dir, 'onnx', 'model.onnx_data')));
    const m = await loadGpt2Dir(dir);
    assert.deepEqual(m.dataFiles, [join(dir, 'onnx', 'model.onnx_data')]);
    // Same seed, same weights: inline and external graphs give the same logits.
    const ext = await Decoder.load(dir);
    const inl = await Decoder.load(tiny);
    const [x, y] = [await ext.forward([[464, 3290]]), await inl.forward([[464, 3290]])];
    assert.deepEqual(x.logits, y.logits);
    await ext.dispose(); await inl.dispose();
    const data = join(dir, 'onnx', 'model.onnx_data');
    truncateSync(data, 1000);
    await assert.rejects(loadGpt2Dir(dir), (e: Error) => e.message.startsWith(data) && /truncated/.test(e.message));
    rmSync(data);
    await assert.rejects(loadGpt2Dir(dir), (e: Error) => e.message.includes(join(dir, 'onnx', 'model.onnx')) && /model\.onnx_data is missing/.test(e.message));
  });

  test('float16 KV caches and logits (an fp16-edged graph): read from the session metadata, same greedy text', async () => {
    const dir = buildTinyModel({ shape: 'tiny', out: join(tmp.dir, 'fp16'), variants: ['fp32', 'fp16'] });
    const half = await Decoder.load(dir, { dtype: 'fp16', skipHash: true });
    const full = await Decoder.load(dir, { dtype: 'fp32', skipHash: true });
    try {
      assert.equal(half.kvType, 'float16');
      assert.equal(full.kvType, 'float32');
      const sampling = { ...DEFAULT_SAMPLING, temperature: 0, maxNewTokens: 8 };
      const items = [{ index: 0, prompt: 'Hello my name is' }, { index: 1, prompt: 'The' }];
      const [a, b] = [await generate(half, items, { seed: 1, sampling, batchSize: 2 }), await generate(full, items, { seed: 1, sampling, batchSize: 2 })];
      assert.deepEqual(a.map((x) => x.tokens), b.map((x) => x.tokens));
      a.forEach((x, i) => x.logprobs.forEach((lp, t) => assert.ok(Math.abs(lp - b[i].logprobs[t]) < 0.02, `fp16 ${lp} vs fp32 ${b[i].logprobs[t]}`)));
    } finally {
      await half.dispose();
      await full.dispose();
    }
  });

  test('no onnx/ folder at all', async () => {
    const a = join(tmp.dir, 'no-onnx');
    mkdirSync(a);
    for (const f of readdirSync(tiny)) if (f.endsWith('.json')) writeFileSync(join(a, f), readFileSync(join(tiny, f)));
    await assert.rejects(loadGpt2Dir(a), (e: Error) => e.message.includes(join(a, 'onnx')) && /missing/.test(e.message));
  });
});
