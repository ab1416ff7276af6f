import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Decoder } from '../../server/lm/decoder.ts';
import { generate, sampleSeed, type GeneratedSample, type GenerationItem } from '../../server/lm/generate.ts';
import { DEFAULT_SAMPLING, type SamplingParams } from '../../server/lm/sampling.ts';
import { tinyModels } from './helpers.ts';

const PROMPTS = ['The', 'Hello my name is', 'In a shocking finding, scientists discovered a herd of unicorns', '', 'A\n\nB'];
const items: GenerationItem[] = PROMPTS.flatMap((prompt, i) => [0, 1].map((j) => ({ index: i * 2 + j, prompt })));
const topK40: SamplingParams = { ...DEFAULT_SAMPLING, maxNewTokens: 16, topK: 40 };

/** Tokens and text identical; log-probs agree to float noise (padding and batch shape change the order of ORT's float sums, not the ranks here). */
function sameSamples(x: GeneratedSample[], y: GeneratedSample[]): void {
  assert.deepEqual(x.map((s) => s.tokens), y.map((s) => s.tokens));
  assert.deepEqual(x.map((s) => s.continuation), y.map((s) => s.continuation));
  assert.deepEqual(x.map((s) => s.ranks), y.map((s) => s.ranks));
  assert.deepEqual(x.map((s) => s.finishReason), y.map((s) => s.finishReason));
  x.forEach((s, i) => s.logprobs.forEach((lp, t) => assert.ok(Math.abs(lp - y[i].logprobs[t]) < 1e-4)));
}

describe('generation on the tiny model', () => {
  let d: Decoder;
  before(async () => { d = await Decoder.load((await tinyModels())['tiny-m'], { skipHash: true }); });
  after(async () => { await d.dispose(); });

  test('same seed → same samples whatever the batch size; another seed → other samples', async () => {
    const b1 = await generate(d, items, { seed: 42, sampling: topK40, batchSize: 1 });
    const b3 = await generate(d, items, { seed: 42, sampling: topK40, batchSize: 3 });
    const b10 = await generate(d, items, { seed: 42, sampling: topK40, batchSize: 10 });
    // Tokens and text are identical; log-probs agree to float noise (padding and
    // batch shape change the order of ORT's float sums, not the ranks here).
    const same = (x: typeof b1, y: typeof b1) => {
      assert.deepEqual(x.map((s) => s.tokens), y.map((s) => s.tokens));
      assert.deepEqual(x.map((s) => s.continuation), y.map((s) => s.continuation));
      assert.deepEqual(x.map((s) => s.ranks), y.map((s) => s.ranks));
      x.forEach((s, i) => s.logprobs.forEach((lp, t) => assert.ok(Math.abs(lp - y[i].logprobs[t]) < 1e-4)));
    };
    same(b3, b1);
    same(b10, b1);
    // A sample's stream depends on its index only: running it alone gives the same text.
    const alone = await generate(d, [items[7]], { seed: 42, sampling: topK40 });
    same(alone, [b1[7]]);
    // Whole runs repeat exactly, log-probs included.
    assert.deepEqual(await generate(d, items.slice(0, 3), { seed: 42, sampling: topK40, batchSize: 3 }), b3.slice(0, 3));
    assert.equal(b1[7].seed, sampleSeed(42, 7));
    const other = await generate(d, items, { seed: 43, sampling: topK40, batchSize: 10 });
    assert.notDeepEqual(other.map((s) => s.tokens), b1.map((s) => s.tokens));
    // Two samples of the same prompt differ (each has its own stream).
    assert.notDeepEqual(b1[0].tokens, b1[1].tokens);
    for (const s of b1) {
      assert.equal(s.tokens.length, 16);
      assert.ok(s.ranks.every((r) => r >= 0 && r < 40), `top-k 40 ranks ${s.ranks}`);
      assert.equal(s.continuation, d.tokenizer.decode(s.tokens));
    }
    // The empty prompt starts from end-of-text.
    assert.deepEqual(b1[6].promptTokens, [50256]);
  });

  test('refilling: as samples end the next take their rows; the samples equal batch 1, on the slotted and the plain cache', async () => {
    // Lengths spread (each sample's own cap, 2–24 tokens) and prompts of one token
    // (fed in the batch's next step) and of several (prefilled apart and placed).
    const spread: GenerationItem[] = Array.from({ length: 96 }, (_, i) => ({ index: i, prompt: PROMPTS[i % PROMPTS.length], maxNewTokens: 2 + ((i * 7) % 23) }));
    const sampling = { ...topK40, maxNewTokens: 24 };
    const merged = await Decoder.load((await tinyModels())['tiny-m'], { skipHash: true, modelFileName: 'decoder_model_merged' });
    try {
      assert.equal(d.slotted, true);
      assert.equal(merged.slotted, false, 'the merged graph keeps its cache in present tensors');
      for (const dec of [d, merged]) {
        const one = await generate(dec, spread, { seed: 5, sampling, batchSize: 1, refill: false });
        let fixedPasses = 0, refillPasses = 0;
        const fixed = await generate(dec, spread, { seed: 5, sampling, batchSize: 16, refill: false, onTokens: () => fixedPasses++ });
        const full = await generate(dec, spread, { seed: 5, sampling, batchSize: 16, onTokens: () => refillPasses++ });
        sameSamples(fixed, one);
        sameSamples(full, one);
        full.forEach((s, i) => assert.ok(s.tokens.length === spread[i].maxNewTokens || s.finishReason === 'eos', `sample ${i} ran to its own cap`));
        // The batch stayed full: fewer forward passes than fixed batches that wait for their longest sample.
        assert.ok(refillPasses < fixedPasses, `${refillPasses} passes refilling, ${fixedPasses} in fixed batches`);
        // Whole refilling runs repeat exactly, log-probs included.
        assert.deepEqual(await generate(dec, spread, { seed: 5, sampling, batchSize: 16 }), full);
      }
    } finally {
      await merged.dispose();
    }
  });

  test('logprobs and ranks equal a teacher-forced forward pass (T = 1, unmodified distribution)', async () => {
    const samples = await generate(d, items.slice(0, 6), { seed: 7, sampling: { ...DEFAULT_SAMPLING, maxNewTokens: 10, temperature: 0.7, topP: 0.9 }, batchSize: 6 });
    const V = d.vocabSize;
    for (const s of samples) {
      const seq = [...s.promptTokens, ...s.tokens];
      const r = await d.forward([seq]);
      for (let t = 0; t < s.tokens.length; t++) {
        const pos = s.promptTokens.length - 1 + t;
        const row = r.logits.subarray(pos * V, (pos + 1) * V);
        let max = -Infinity;
        for (const v of row) if (v > max) max = v;
        let sum = 0;
        for (const v of row) sum += Math.exp(v - max);
        const lp = row[s.tokens[t]] - max - Math.log(sum);
        let rank = 0;
        for (const v of row) if (v > row[s.tokens[t]]) rank++;
        assert.ok(Math.abs(lp - s.logprobs[t]) < 1e-4, `logprob ${s.logprobs[t]} vs ${lp}`);
        assert.equal(s.ranks[t], rank);
      }
    }
  });

  test('greedy = temperature 0 = top-k 1 = a vanishing nucleus', async () => {
    const base = { ...DEFAULT_SAMPLING, maxNewTokens: 8 };
    const g = await generate(d, items.slice(2, 5), { seed: 1, sampling: { ...base, temperature: 0 }, batchSize: 3 });
    const k1 = await generate(d, items.slice(2, 5), { seed: 99, sampling: { ...base, topK: 1 }, batchSize: 2 });
    const p0 = await generate(d, items.slice(2, 5), { seed: 5, sampling: { ...base, topP: 1e-9 }, batchSize: 1 });
    assert.deepEqual(k1.map((s) => s.tokens), g.map((s) => s.tokens));
    assert.deepEqual(p0.map((s) => s.tokens), g.map((s) => s.tokens));
    for (const s of g) assert.ok(s.ranks.every((r) => r === 0));
  });

  test('greedy and top-k read the graph\'s top entries (the logits stay in onnxruntime) and give what the whole rows give', async () => {
    const rowsOnly = await Decoder.load((await tinyModels())['tiny-m'], { skipHash: true, topEntries: false });
    try {
      assert.equal(d.topK, true);
      assert.equal(rowsOnly.topK, false);
      // The graph's top entries replace the logits: a step that asks for them returns no logits.
      const ids = BigInt64Array.from([464n, 2068n]);
      const stepped = await d.step(ids, 1, 2, BigInt64Array.from([1n, 1n]), null, { top: 5 });
      assert.equal(stepped.logits, null);
      assert.equal(stepped.top?.[0].values.length, 5);
      await assert.rejects(rowsOnly.step(ids, 1, 2, BigInt64Array.from([1n, 1n]), null, { top: 5 }), /returns no top entries \(loaded with topEntries: false/);
      for (const sampling of [
        { ...DEFAULT_SAMPLING, maxNewTokens: 12, minNewTokens: 12, temperature: 0 },
        topK40,
        { ...topK40, temperature: 0.7, topP: 0.9, minNewTokens: 4 },
      ]) {
        const [a, b] = [await generate(d, items, { seed: 11, sampling, batchSize: 4 }), await generate(rowsOnly, items, { seed: 11, sampling, batchSize: 4 })];
        assert.deepEqual(a, b, JSON.stringify(sampling));
      }
    } finally {
      await rowsOnly.dispose();
    }
  });

  test('bad sampling parameters are refused with the field named', async () => {
    await assert.rejects(generate(d, items, { seed: 1, sampling: { ...DEFAULT_SAMPLING, topP: 0 } }), /top_p/);
    await assert.rejects(generate(d, items, { seed: 1, sampling: { ...DEFAULT_SAMPLING, minNewTokens: 50, maxNewTokens: 10 } }), /min_new_tokens/);
    await assert.rejects(generate(d, items, { seed: 1, sampling: { ...DEFAULT_SAMPLING, temperature: -1 } }), /temperature/);
  });

  test('the int8 graph generates, close to fp32 in log-probability', async () => {
    const q8 = await Decoder.load((await tinyModels())['tiny-m'], { dtype: 'q8', skipHash: true });
    try {
      assert.equal(q8.model.dtype, 'q8');
      const ids = d.tokenizer.encode('The quick brown fox jumps over the lazy dog');
      const [a, b] = [await d.forward([ids]), await q8.forward([ids])];
      let maxDiff = 0;
      for (let i = 0; i < a.logits.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a.logits[i] - b.logits[i]));
      assert.ok(maxDiff > 0 && maxDiff < 1.5, `int8 vs fp32 max |Δlogit| ${maxDiff}`);
      const s = await generate(q8, items.slice(0, 2), { seed: 3, sampling: topK40 });
      assert.equal(s[0].tokens.length, 16);
    } finally {
      await q8.dispose();
    }
  });
});
