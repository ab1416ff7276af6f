// Greedy tokens and last-step logits against transformers.js loading the very
// same directory from disk, for both graph variants.
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { basename, dirname } from 'node:path';
import { env, AutoModelForCausalLM, AutoTokenizer, type PreTrainedModel, type Tensor } from '@huggingface/transformers';
import { Decoder } from '../../server/lm/decoder.ts';
import { generate } from '../../server/lm/generate.ts';
import { DEFAULT_SAMPLING } from '../../server/lm/sampling.ts';
import { tinyModels } from './helpers.ts';

const PROMPTS = ['Hello my name is', 'In a shocking finding, scientists discovered a herd of unicorns living in a remote valley.'];
const NEW_TOKENS = 12;

describe('parity with transformers.js', () => {
  let models: Awaited<ReturnType<typeof tinyModels>>;
  before(async () => { models = await tinyModels(); });

  for (const shape of ['tiny', 'tiny-m'] as const) {
    for (const file of ['model', 'decoder_model_merged']) {
      test(`${shape} ${file}.onnx: greedy tokens equal, last-step logits within 1e-4`, async () => {
        const dir = models[shape];
        env.allowRemoteModels = false;
        env.localModelPath = dirname(dir);
        const tok = await AutoTokenizer.from_pretrained(basename(dir));
        const theirs = (await AutoModelForCausalLM.from_pretrained(basename(dir), { dtype: 'fp32', model_file_name: file } as Record<string, unknown>)) as PreTrainedModel;
        const ours = await Decoder.load(dir, { modelFileName: file, skipHash: true });
        try {
          for (const prompt of PROMPTS) {
            const inputs = tok(prompt) as { input_ids: Tensor; attention_mask: Tensor };
            const promptIds = Array.from(inputs.input_ids.data as BigInt64Array, Number);
            assert.deepEqual(promptIds, ours.tokenizer.encode(prompt));
            const out = (await theirs.generate({ ...inputs, max_new_tokens: NEW_TOKENS, min_new_tokens: NEW_TOKENS, do_sample: false } as Record<string, unknown>)) as Tensor;
            const theirTokens = Array.from(out.data as BigInt64Array, Number).slice(promptIds.length);
            const [mine] = await generate(ours, [{ index: 0, prompt }], {
              seed: 1, sampling: { ...DEFAULT_SAMPLING, temperature: 0, maxNewTokens: NEW_TOKENS, minNewTokens: NEW_TOKENS },
            });
            assert.equal(theirTokens.length, NEW_TOKENS);
            assert.deepEqual(mine.tokens, theirTokens, `greedy continuation of ${JSON.stringify(prompt)}`);
            // Logits of the last step of the whole sequence, computed by each side in one pass.
            const full = [...promptIds, ...theirTokens.slice(0, -1)];
            const theirLogits = ((await theirs({
              input_ids: new (inputs.input_ids.constructor as new (t: string, d: BigInt64Array, s: number[]) => Tensor)('int64', BigInt64Array.from(full, BigInt), [1, full.length]),
              attention_mask: new (inputs.input_ids.constructor as new (t: string, d: BigInt64Array, s: number[]) => Tensor)('int64', new BigInt64Array(full.length).fill(1n), [1, full.length]),
            })) as { logits: Tensor }).logits;
            const V = ours.vocabSize;
            const tl = (theirLogits.data as Float32Array).subarray((full.length - 1) * V, full.length * V);
            const r = await ours.forward([full]);
            const ol = r.logits.subarray((full.length - 1) * V, full.length * V);
            let maxDiff = 0;
            for (let i = 0; i < V; i++) maxDiff = Math.max(maxDiff, Math.abs(ol[i] - tl[i]));
            assert.ok(maxDiff <= 1e-4, `max |Δlogit| ${maxDiff}`);
            // And the logits are not trivially flat (the comparison means something).
            let lo = Infinity, hi = -Infinity;
            for (const v of ol) { if (v < lo) lo = v; if (v > hi) hi = v; }
            assert.ok(hi - lo > 5, `logit range ${hi - lo}`);
          }
        } finally {
          await ours.dispose();
          await theirs.dispose();
        }
      });
    }
  }
});
