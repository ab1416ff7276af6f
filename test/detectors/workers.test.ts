import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import ort from 'onnxruntime-node';
import { Decoder } from '../../server/lm/decoder.ts';
import { ensureTinyModels } from '../../server/lm/ensure-tiny.ts';
import { createZeroShotScorer, createZeroShotWorkers, positionStats } from '../../server/detectors/zero-shot.ts';
import { createStatsHead } from '../../server/detectors/stats-head.ts';
import { DetectorInputError } from '../../server/detectors/text-input.ts';
import { corpusSentences } from './corpus.ts';

let dir: string;
let decoder: Decoder;

before(async () => {
  [dir] = await ensureTinyModels('models', ['tiny']);
  decoder = await Decoder.load(dir);
});
after(async () => {
  await decoder?.dispose();
});

const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);

describe('statistics head and worker threads', () => {
  test('the statistics head agrees with the plain JS pass row by row', async () => {
    const head = await createStatsHead(1);
    try {
      const ids = decoder.tokenizer.encode(corpusSentences(1, 'ca04')[0]);
      const seq = [50256, ...ids];
      const out = await decoder.forward([seq]);
      const V = out.dims[2];
      const n = ids.length;
      const r = await head.run({
        logits: new ort.Tensor('float32', out.logits.subarray(0, n * V), [n, V]),
        targets: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [n]),
      });
      for (let t = 0; t < n; t++) {
        const js = positionStats(out.logits, t * V, V, ids[t]);
        assert.equal((r.above.data as Float32Array)[t] + 1, js.rank, `rank at ${t}`);
        close((r.logprob.data as Float32Array)[t], js.logprob, 1e-6, `logprob at ${t}`);
        // A float32 sum over the vocabulary, whose order the CPU's kernels choose: 1.6e-6 apart on an AVX2 EPYC.
        close((r.mu.data as Float32Array)[t], js.mu, 1e-5, `mu at ${t}`);
        close((r.variance.data as Float32Array)[t], js.variance, 1e-4, `variance at ${t}`);
      }
    } finally {
      await head.release();
    }
  });

  test('zero-shot on two worker threads equals the in-process scorer', async () => {
    const workers = await createZeroShotWorkers(dir, { workers: 2 });
    try {
      const scorer = createZeroShotScorer(decoder);
      assert.equal(workers.modelHash, scorer.modelHash);
      const texts = corpusSentences(8, 'ca05').slice(3, 8);
      const spread = await workers.scoreMany(texts, { keepTokens: true });
      for (let i = 0; i < texts.length; i++) {
        const one = await scorer.score(texts[i], { keepTokens: true });
        close(spread[i].mean_logprob, one.mean_logprob, 1e-6, `text ${i} mean_logprob`);
        close(spread[i].fast_detectgpt, one.fast_detectgpt, 1e-5, `text ${i} fast_detectgpt`);
        assert.deepEqual(spread[i].tokens!.map((t) => t.rank), one.tokens!.map((t) => t.rank));
      }
      await assert.rejects(workers.score(''), DetectorInputError);
    } finally {
      await workers.close();
    }
  });
});
