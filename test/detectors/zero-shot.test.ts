import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Decoder } from '../../server/lm/decoder.ts';
import { ensureTinyModels } from '../../server/lm/ensure-tiny.ts';
import { createZeroShotScorer, slidingWindows, type ZeroShotScorer } from '../../server/detectors/zero-shot.ts';
import { DetectorInputError } from '../../server/detectors/text-input.ts';
import { corpusSentences } from './corpus.ts';

let decoder: Decoder;
let scorer: ZeroShotScorer;

before(async () => {
  const [dir] = await ensureTinyModels('models', ['tiny']);
  decoder = await Decoder.load(dir);
  scorer = createZeroShotScorer(decoder);
});
after(async () => {
  await decoder?.dispose();
});

/** Straightforward per-token statistics from one forward: explicit softmax, sort for the rank. */
async function byHand(ids: number[]) {
  const seq = [50256, ...ids];
  const out = await decoder.forward([seq]);
  const V = out.dims[2];
  const rows: { logprob: number; rank: number; entropy: number; mu: number; var: number }[] = [];
  for (let t = 0; t < ids.length; t++) {
    const logits = Array.from(out.logits.subarray(t * V, (t + 1) * V));
    const m = Math.max(...logits);
    const z = logits.reduce((s, l) => s + Math.exp(l - m), 0);
    const probs = logits.map((l) => Math.exp(l - m) / z);
    const logp = probs.map((p) => Math.log(p));
    const order = logits.map((l, v) => [l, v]).sort((a, b) => b[0] - a[0]);
    const rank0 = order.findIndex(([, v]) => v === ids[t]);
    const mu = probs.reduce((s, p, v) => s + p * logp[v], 0);
    const second = probs.reduce((s, p, v) => s + p * logp[v] * logp[v], 0);
    rows.push({ logprob: logp[ids[t]], rank: rank0 + 1, entropy: -mu, mu, var: second - mu * mu });
  }
  return rows;
}

const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

describe('zero-shot scores', () => {
  test('every statistic matches a hand computation on the tiny model', async () => {
    const text = corpusSentences(2).join(' ');
    const ids = decoder.tokenizer.encode(text);
    const rows = await byHand(ids);
    const s = await scorer.score(text, { keepTokens: true });
    const n = ids.length;
    const mean = (f: (r: (typeof rows)[number]) => number) => rows.reduce((a, r) => a + f(r), 0) / n;
    assert.equal(s.used_tokens, n);
    assert.equal(s.all_tokens, n);
    close(s.mean_logprob, mean((r) => r.logprob), 1e-6, 'mean_logprob');
    close(s.mean_rank, mean((r) => r.rank), 1e-9, 'mean_rank');
    close(s.mean_log_rank, mean((r) => Math.log(r.rank)), 1e-9, 'mean_log_rank');
    // A float32 sum over the vocabulary per token, whose order the CPU's kernels choose: 2.1e-6 apart on an AVX2 EPYC.
    close(s.mean_entropy, mean((r) => r.entropy), 1e-5, 'mean_entropy');
    const frac = (lo: number, hi: number) => rows.filter((r) => r.rank - 1 >= lo && r.rank - 1 < hi).length / n;
    close(s.gltr_top10, frac(0, 10), 1e-12, 'gltr_top10');
    close(s.gltr_top100, frac(10, 100), 1e-12, 'gltr_top100');
    close(s.gltr_top1000, frac(100, 1000), 1e-12, 'gltr_top1000');
    close(s.gltr_rest, frac(1000, Infinity), 1e-12, 'gltr_rest');
    close(s.gltr_top10 + s.gltr_top100 + s.gltr_top1000 + s.gltr_rest, 1, 1e-12, 'bucket sum');
    close(s.lrr!, -mean((r) => r.logprob) / mean((r) => Math.log(r.rank)), 1e-6, 'lrr');
    const sumLp = rows.reduce((a, r) => a + r.logprob, 0);
    const sumMu = rows.reduce((a, r) => a + r.mu, 0);
    const sumVar = rows.reduce((a, r) => a + r.var, 0);
    close(s.fast_detectgpt, (sumLp - sumMu) / Math.sqrt(sumVar), 1e-5, 'fast_detectgpt');
    assert.ok(new Set(rows.map((r) => r.rank)).size > n / 2, 'ranks differ from token to token');
    assert.equal(s.tokens!.length, n);
    assert.equal(s.tokens!.map((t) => t.token).join(''), text);
    assert.deepEqual(s.tokens!.map((t) => t.rank), rows.map((r) => r.rank));
  });

  test('texts past 1024 tokens use a sliding window in one batched forward', async () => {
    const text = corpusSentences(80, 'ca02').join(' ');
    const ids = decoder.tokenizer.encode(text).slice(0, 1150);
    const clipped = decoder.tokenizer.decode(ids);
    const idsAgain = decoder.tokenizer.encode(clipped);
    const s = await scorer.score(clipped, { keepTokens: true, stride: 512 });
    assert.equal(s.used_tokens, idsAgain.length);
    assert.ok(idsAgain.length > 1024);
    const seq = [50256, ...idsAgain];
    // Token at sequence index 1100 comes from the second window, which starts at 512.
    const out = await decoder.forward([seq.slice(512, 1536)]);
    const V = out.dims[2];
    const pos = 1100;
    const logits = out.logits.subarray((pos - 512 - 1) * V, (pos - 512) * V);
    const above = Array.from(logits).filter((l) => l > logits[seq[pos]]).length;
    assert.equal(s.tokens![pos - 1].rank, above + 1);
    // And one from the first window matches the plain forward.
    const first = await decoder.forward([seq.slice(0, 1024)]);
    const l2 = first.logits.subarray((500 - 1) * V, 500 * V);
    assert.equal(s.tokens![500 - 1].rank, Array.from(l2).filter((l) => l > l2[seq[500]]).length + 1);
  });

  test('scoreMany over two single-threaded decoders equals one by one', async () => {
    const d2 = await Decoder.load(decoder.model.dir, { threads: 1 });
    try {
      const many = createZeroShotScorer([decoder, d2]);
      const texts = corpusSentences(6, 'ca03').slice(2, 6);
      const spread = await many.scoreMany(texts);
      for (let i = 0; i < texts.length; i++) {
        const one = await scorer.score(texts[i]);
        close(spread[i].mean_logprob, one.mean_logprob, 1e-6, `text ${i} mean_logprob`);
        assert.equal(spread[i].mean_rank, one.mean_rank);
      }
    } finally {
      await d2.dispose();
    }
  });

  test('window plan covers every token once', () => {
    for (const [len, w, stride] of [[10, 1024, 512], [1025, 1024, 512], [3000, 1024, 512], [2049, 1024, 1023]]) {
      const ws = slidingWindows(len, w, stride);
      const seen = new Array(len).fill(0);
      for (const x of ws) {
        assert.ok(x.end - x.start <= w && x.from > x.start);
        for (let p = x.from; p < x.end; p++) seen[p]++;
      }
      assert.deepEqual(seen.slice(1), new Array(len - 1).fill(1), `len ${len}`);
    }
  });

  test('bad input: empty refused, lone surrogates replaced, 100k characters capped by maxTokens', async () => {
    await assert.rejects(scorer.score(''), DetectorInputError);
    const a = await scorer.score('abc \uDC00 def');
    const b = await scorer.score('abc \uFFFD def');
    assert.equal(a.mean_logprob, b.mean_logprob);
    const huge = 'the cat sat on the mat and '.repeat(4000).slice(0, 100_000);
    const h = await scorer.score(huge, { maxTokens: 300 });
    assert.equal(h.used_tokens, 300);
    assert.ok(h.all_tokens > 20_000);
    assert.ok(Number.isFinite(h.fast_detectgpt));
  });
});
