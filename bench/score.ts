// Detector scoring speed on 512-token texts, next to transformers.js on the
// same model directories in the same run (the anchor; target ≥ 1.2×):
//   - RoBERTa-base-shaped detector (12 layers, 768, 12 heads, random weights):
//     our RobertaDetector.score vs transformers.js' text-classification pipeline,
//     both given the same batch of texts.
//   - GPT-2-124M-shaped scorer (random weights, built by the GPT-2 builder):
//     our full zero-shot scoring (forward + every statistic over the vocabulary)
//     vs a bare transformers.js forward pass (tokenise + logits, no statistics).
// Run: npx tsx bench/score.ts [--texts 6] [--rounds 3] [--batch 8]
// Models are built once under .bench/ (≈ 0.5 GB each). Numbers on a shared
// 2-core machine are noisy: rounds alternate ours/theirs and report medians.
import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { buildTinyRoberta } from '../server/detectors/roberta-build.ts';
import { loadRobertaDetector } from '../server/detectors/roberta.ts';
import { createZeroShotScorer } from '../server/detectors/zero-shot.ts';
import { Decoder } from '../server/lm/decoder.ts';
import { buildTinyModel } from '../server/lm/build-tiny.ts';
import { gpt2Tokenizer } from '../server/lm/tokenizer.ts';
import { brownPressFiles, brownSentences } from '../server/stimuli/index.ts';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}
const N_TEXTS = arg('texts', 6);
const ROUNDS = arg('rounds', 3);
const BATCH = arg('batch', 8);
const BENCH = resolve('.bench');

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

/**
 * Human texts of exactly `tokens` GPT-2 tokens: 511 for the scorer (512 with its
 * BOS), 510 for RoBERTa (512 with <s> … </s>; the RoBERTa-shaped vocabulary is
 * GPT-2's, so the count carries over, and transformers.js then sees the same ids).
 */
function textsOf(n: number, tokens: number): string[] {
  const tok = gpt2Tokenizer();
  const out: string[] = [];
  let buf = '';
  for (const file of brownPressFiles()) {
    for (const s of brownSentences(file)) {
      buf += (buf ? ' ' : '') + s.text;
      const ids = tok.encode(buf);
      if (ids.length >= 520) {
        out.push(tok.decode(ids.slice(0, tokens)));
        buf = '';
        if (out.length === n) return out;
      }
    }
  }
  throw new Error('not enough Brown press text');
}

async function main(): Promise<void> {
  const gpt2Dir = join(BENCH, 'gpt2');
  const robertaDir = join(BENCH, 'roberta-base');
  if (!existsSync(join(gpt2Dir, 'onnx', 'model.onnx'))) {
    console.log('building GPT-2 124M-shaped scorer in .bench/gpt2 …');
    buildTinyModel({ shape: 'gpt2', out: gpt2Dir, force: true, variants: ['fp32'] });
  }
  if (!existsSync(join(robertaDir, 'onnx', 'model.onnx'))) {
    console.log('building RoBERTa-base-shaped detector in .bench/roberta-base …');
    buildTinyRoberta({ outDir: robertaDir, seed: 1234, shape: 'roberta-base' });
  }
  const texts = textsOf(N_TEXTS, 510);
  const scorerTexts = textsOf(N_TEXTS, 511);
  const { env, pipeline, AutoTokenizer, AutoModelForCausalLM } = await import('@huggingface/transformers');
  env.allowRemoteModels = false;
  env.localModelPath = BENCH + '/';

  // --- RoBERTa detector ---
  const det = await loadRobertaDetector(robertaDir, { batchSize: BATCH });
  const classify = await pipeline('text-classification', basename(robertaDir), { dtype: 'fp32' });
  const oursFirst = await det.score(texts.slice(0, 1));
  const theirsFirst = (await classify(texts.slice(0, 1), { top_k: null })) as unknown as { label: string; score: number }[][];
  const diff = Math.abs(oursFirst[0].real_probability - theirsFirst[0].find((x) => x.label === 'Real')!.score);
  const rOurs: number[] = [];
  const rTheirs: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    rOurs.push(N_TEXTS / (await timed(async () => {
      for (let i = 0; i < texts.length; i += BATCH) await det.score(texts.slice(i, i + BATCH));
    })));
    rTheirs.push(N_TEXTS / (await timed(async () => {
      for (let i = 0; i < texts.length; i += BATCH) await classify(texts.slice(i, i + BATCH), { top_k: null });
    })));
  }
  await det.close();
  await classify.dispose();

  // --- zero-shot scorer ---
  const decoder = await Decoder.load(gpt2Dir);
  const scorer = createZeroShotScorer(decoder);
  const tjTok = await AutoTokenizer.from_pretrained(basename(gpt2Dir));
  const tjModel = await AutoModelForCausalLM.from_pretrained(basename(gpt2Dir), { dtype: 'fp32', use_external_data_format: true });
  const tjForward = async (text: string) => {
    const enc = tjTok('<|endoftext|>' + text, { return_tensor: true }) as unknown as { input_ids: unknown; attention_mask: unknown };
    const out = (await (tjModel as unknown as (x: unknown) => Promise<{ logits: { dims: number[] } }>)({ input_ids: enc.input_ids, attention_mask: enc.attention_mask }));
    return out.logits.dims;
  };
  const dims = await tjForward(scorerTexts[0]);
  const warm = await scorer.score(scorerTexts[0]);
  const zOurs: number[] = [];
  const zTheirs: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    zOurs.push(N_TEXTS / (await timed(async () => { for (const t of scorerTexts) await scorer.score(t); })));
    zTheirs.push(N_TEXTS / (await timed(async () => { for (const t of scorerTexts) await tjForward(t); })));
  }
  await decoder.dispose();
  await (tjModel as unknown as { dispose(): Promise<void> }).dispose();

  const f = (x: number) => x.toFixed(3);
  console.log(`\n512-token texts: ${N_TEXTS} per round, ${ROUNDS} rounds (median), batch ${BATCH} for RoBERTa; shared 2-core machine, numbers are noisy`);
  console.log(`RoBERTa-base detector   ours ${f(median(rOurs))} texts/s   transformers.js ${f(median(rTheirs))} texts/s   ratio ${(median(rOurs) / median(rTheirs)).toFixed(2)}×   (|Δ real_probability| ${diff.toExponential(1)}, used_tokens ${oursFirst[0].used_tokens})`);
  console.log(`GPT-2 124M zero-shot    ours ${f(median(zOurs))} texts/s   transformers.js forward ${f(median(zTheirs))} texts/s   ratio ${(median(zOurs) / median(zTheirs)).toFixed(2)}×   (used_tokens ${warm.used_tokens}+BOS, transformers.js logits ${dims.join('×')})`);
  console.log(`rounds: roberta ours [${rOurs.map(f).join(', ')}] theirs [${rTheirs.map(f).join(', ')}]; zero-shot ours [${zOurs.map(f).join(', ')}] theirs [${zTheirs.map(f).join(', ')}]`);
}

await main();
