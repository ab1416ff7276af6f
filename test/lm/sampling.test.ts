// The sampler on hand-made logit rows, and the batch loop's stopping rules on a
// scripted decoder (end-of-text, min tokens, sentence ends, rows finishing at
// different steps).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import ort from 'onnxruntime-node';
import { createRng } from '../../studies/random.ts';
import type { Decoder, KvCache } from '../../server/lm/decoder.ts';
import { generate } from '../../server/lm/generate.ts';
import { createStatsHead, runStatsHead } from '../../server/detectors/stats-head.ts';
import { candidatesRead, chooseFromTop, chooseToken, DEFAULT_SAMPLING, endsSentence, tokenScore, topKIndices, topTokenScore, type TopEntries } from '../../server/lm/sampling.ts';
import { logSumExp } from './helpers.ts';

function randomRow(n: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: n }, () => (rng.next() - 0.5) * 12);
}

describe('sampler', () => {
  test('sampled-token scores: log-softmax and 0-based rank, ties not counted, as the statistics head has them', async () => {
    const vals = Float32Array.from([1, 3, 2, 3, 0]);
    const z = Math.log(Array.from(vals).reduce((s, v) => s + Math.exp(v), 0));
    assert.ok(Math.abs(logSumExp(vals) - z) < 1e-12);
    assert.deepEqual([2, 3, 0].map((t) => tokenScore(vals, t, z).rank), [2, 0, 3]);
    assert.ok(Math.abs(tokenScore(vals, 0, z).logprob - (1 - z)) < 1e-12);
    // On a vocabulary-sized row, the same values as the zero-shot statistics head.
    const row = randomRow(50257, 9);
    const targets = [0, 17, 50256];
    const head = await createStatsHead(1);
    const out = await runStatsHead(head, Float32Array.from([...row, ...row, ...row]), row.length, targets);
    await head.release();
    targets.forEach((t, i) => {
      const s = tokenScore(row, t, logSumExp(row));
      assert.equal(s.rank, out.above[i]);
      assert.ok(Math.abs(s.logprob - out.logprob[i]) < 1e-5, `${s.logprob} vs ${out.logprob[i]}`);
    });
  });

  test('topKIndices equals a full sort, ties broken by the lower index', () => {
    const row = randomRow(5000, 1);
    row[10] = row[20] = row[30] = 100; // ties at the top
    const full = Array.from(row.keys()).sort((a, b) => row[b] - row[a] || a - b);
    for (const k of [1, 3, 40, 700]) assert.deepEqual(topKIndices(row, k), full.slice(0, k));
    assert.deepEqual(topKIndices(row, 3), [10, 20, 30]);
    assert.deepEqual(topKIndices(row, 2, 10), [20, 30]);
    // A vocabulary-sized row (the block-maximum path for small k), with ties across blocks and a banned top entry.
    const big = randomRow(50257, 2);
    for (const i of [5, 64, 700, 50256]) big[i] = 50;
    const order = Array.from(big.keys()).sort((a, b) => big[b] - big[a] || a - b);
    for (const k of [1, 40, 100]) assert.deepEqual(topKIndices(big, k), order.slice(0, k));
    assert.deepEqual(topKIndices(big, 40, 64), order.filter((i) => i !== 64).slice(0, 40));
  });

  test('from a row\'s top entries alone (as the graph returns them): the same token, draw and score as from the whole row', () => {
    const V = 50257;
    const params = [
      { ...DEFAULT_SAMPLING, temperature: 0 },
      { ...DEFAULT_SAMPLING, topK: 1 },
      { ...DEFAULT_SAMPLING, topK: 2 },
      { ...DEFAULT_SAMPLING, topK: 40 },
      { ...DEFAULT_SAMPLING, topK: 40, temperature: 0.7, topP: 0.9 },
    ];
    let drawsWithBanned = 0;
    for (let seed = 1; seed <= 12; seed++) {
      const row = randomRow(V, seed);
      // Ties at the top, and (every other row) the banned token among the best.
      for (const i of [7, 300, 4096]) row[i] = 7;
      const banned = seed % 2 ? 300 : 50256;
      if (seed % 3 === 0) row[banned] = 9;
      const lse = logSumExp(row);
      for (const p of params) {
        const k = candidatesRead(p, V) + 1;
        const order = Array.from(row.keys()).sort((a, b) => row[b] - row[a] || a - b).slice(0, k);
        const top: TopEntries = { values: Float32Array.from(order, (i) => row[i]), ids: BigInt64Array.from(order, BigInt) };
        if (order.includes(banned)) drawsWithBanned++;
        const [ra, rb] = [createRng(seed), createRng(seed)];
        for (let draw = 0; draw < 30; draw++) {
          const [a, b] = [chooseToken(row, p, ra, banned), chooseFromTop(top, p, rb, banned)];
          assert.equal(b, a, `seed ${seed}, ${JSON.stringify(p)}, draw ${draw}`);
          assert.deepEqual(topTokenScore(top, b, lse), tokenScore(row, a, lse));
        }
        assert.equal(ra.next(), rb.next(), 'both paths take one draw per token');
      }
    }
    assert.ok(drawsWithBanned >= 10, `the banned token should sit among the top entries in some cases (${drawsWithBanned})`);
    assert.equal(candidatesRead({ ...DEFAULT_SAMPLING, topP: 0.9 }, V), 0, 'a pure nucleus reads the whole row');
    assert.equal(candidatesRead(DEFAULT_SAMPLING, V), 0, 'so does plain sampling');
  });

  test('frequencies follow softmax(logits / T), restricted to top-k / nucleus', () => {
    const row = Float32Array.from([2, 1, 0.5, 0, -1, 3]);
    const draws = 20000;
    const freq = (p: typeof DEFAULT_SAMPLING) => {
      const rng = createRng(9);
      const c = new Array(row.length).fill(0);
      for (let i = 0; i < draws; i++) c[chooseToken(row, p, rng, -1)]++;
      return c.map((x) => x / draws);
    };
    const softmax = (xs: number[], t: number) => { const e = xs.map((x) => Math.exp(x / t)); const s = e.reduce((a, b) => a + b, 0); return e.map((x) => x / s); };
    const within = (a: number[], b: number[]) => a.forEach((x, i) => assert.ok(Math.abs(x - b[i]) < 0.015, `freq ${a} vs ${b}`));
    within(freq({ ...DEFAULT_SAMPLING, temperature: 0.7 }), softmax([...row], 0.7));
    // top-k 2: tokens 5 (3) and 0 (2) only.
    const k2 = softmax([2, 3], 1);
    within(freq({ ...DEFAULT_SAMPLING, topK: 2 }), [k2[0], 0, 0, 0, 0, k2[1]]);
    // Sorted probabilities are .605 (3), .222 (2), .082 (1), .050, .030, .011:
    // nucleus 0.8 keeps two tokens (cum .827), nucleus 0.85 keeps three (cum .909).
    within(freq({ ...DEFAULT_SAMPLING, topP: 0.8 }), [k2[0], 0, 0, 0, 0, k2[1]]);
    const p = softmax([3, 2, 1], 1);
    within(freq({ ...DEFAULT_SAMPLING, topP: 0.85 }), [p[1], p[2], 0, 0, 0, p[0]]);
  });

  test('a banned token (end-of-text before min_new_tokens) is never chosen', () => {
    const row = Float32Array.from([0, 0, 50, 0]);
    const rng = createRng(1);
    for (const p of [{ ...DEFAULT_SAMPLING }, { ...DEFAULT_SAMPLING, topK: 2 }, { ...DEFAULT_SAMPLING, topP: 0.5 }, { ...DEFAULT_SAMPLING, temperature: 0 }]) {
      for (let i = 0; i < 200; i++) assert.notEqual(chooseToken(row, p, rng, 2), 2);
    }
  });

  test('sentence ends', () => {
    for (const t of ['.', ' end.', '?', '!"', '.)', ".'"]) assert.ok(endsSentence(t), t);
    for (const t of [' Mr', ',', ' the', '."x']) assert.ok(!endsSentence(t), t);
  });
});

/**
 * A decoder whose next token is scripted per row: row r's prompt token p makes
 * the model prefer token (p + step) until step == p % 7, then end-of-text.
 */
function scriptedDecoder(): Decoder {
  const V = 64, EOS = 63;
  const fake = {
    vocabSize: V,
    eosTokenId: EOS,
    config: { nPositions: 1024 },
    tokenizer: {
      encode: (s: string) => s.split(' ').map(Number),
      decode: (ids: number[]) => ids.map((i) => (i === 30 ? '.' : ` w${i}`)).join(''),
      decodePieces: (ids: number[]) => ids.map((i) => (i === 30 ? '.' : ` w${i}`)),
    },
    async step(ids: BigInt64Array, batch: number, seqLen: number, mask: BigInt64Array, past: KvCache | null) {
      const logits = new Float32Array(batch * seqLen * V);
      const prevRows = (past as unknown as { rows?: number[][] })?.rows;
      const rows: number[][] = [];
      for (let b = 0; b < batch; b++) {
        const seq = [...(prevRows ? prevRows[b] : []), ...Array.from(ids.subarray(b * seqLen, (b + 1) * seqLen), Number).filter((_, j) => mask[b * seqLen + j] === 1n)];
        rows.push(seq);
        const first = seq[0];
        const step = seq.length - 1;
        const next = step >= first % 7 ? EOS : (first + step) % 60;
        logits.fill(-10, (b * seqLen + seqLen - 1) * V, (b * seqLen + seqLen) * V);
        logits[(b * seqLen + seqLen - 1) * V + next] = 10;
        logits[(b * seqLen + seqLen - 1) * V + ((next + 1) % 60)] = 9;
      }
      // As the real decoder's graph does: each row's last-position log-sum-exp.
      const lse = Float32Array.from({ length: batch }, (_, b) => logSumExp(logits.subarray((b * seqLen + seqLen - 1) * V, (b * seqLen + seqLen) * V)));
      return { logits, lse, dims: [batch, seqLen, V], present: { batch, length: 0, mask: new BigInt64Array(0), tensors: new Map<string, ort.Tensor>(), rows } as unknown as KvCache };
    },
    // Its cache holds no masked columns to squeeze out (these tests never refill a row).
    makeRoom(cache: KvCache) {
      return cache;
    },
    selectRows(cache: KvCache, keep: number[]) {
      const rows = (cache as unknown as { rows: number[][] }).rows;
      return { ...cache, batch: keep.length, rows: keep.map((r) => rows[r]) } as unknown as KvCache;
    },
  };
  return fake as unknown as Decoder;
}

describe('generation loop', () => {
  const greedy = { ...DEFAULT_SAMPLING, temperature: 0, maxNewTokens: 10 };
  test('stops each row at end-of-text, rows finishing at different steps', async () => {
    const d = scriptedDecoder();
    // first tokens 3, 9, 13 → end-of-text after 3, 2, 6 steps.
    const out = await generate(d, [{ index: 0, prompt: '3' }, { index: 1, prompt: '9 1 1' }, { index: 2, prompt: '13' }], { seed: 1, sampling: greedy, batchSize: 3 });
    assert.deepEqual(out.map((s) => s.finishReason), ['eos', 'eos', 'eos']);
    assert.deepEqual(out[0].tokens, [3, 4, 5]);
    // Row 1's prompt has 3 tokens, so it is already at step 2 ≥ 9 % 7: end-of-text at once.
    assert.deepEqual(out[1].tokens, []);
    assert.deepEqual(out[2].tokens, [13, 14, 15, 16, 17, 18]);
  });

  test('min_new_tokens suppresses end-of-text; max_new_tokens and sentence ends stop', async () => {
    const d = scriptedDecoder();
    const [a] = await generate(d, [{ index: 0, prompt: '3' }], { seed: 1, sampling: { ...greedy, minNewTokens: 5 } });
    // End-of-text is banned for the 4th and 5th token: the runner-up (4) is taken instead, then it stops.
    assert.deepEqual(a.tokens, [3, 4, 5, 4, 4]);
    assert.equal(a.finishReason, 'eos');
    const [b] = await generate(d, [{ index: 0, prompt: '6' }], { seed: 1, sampling: { ...greedy, maxNewTokens: 4 } });
    assert.deepEqual([b.tokens, b.finishReason], [[6, 7, 8, 9], 'length']);
    const [c] = await generate(d, [{ index: 0, prompt: '27' }], { seed: 1, sampling: { ...greedy, stopAtSentenceEnd: true } });
    assert.deepEqual([c.tokens, c.finishReason], [[27, 28, 29, 30], 'sentence']);
    assert.equal(c.continuation, ' w27 w28 w29.');
  });
});
