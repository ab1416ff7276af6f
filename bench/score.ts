// Detector scoring speed on 512-token texts, next to transformers.js on the
// same model directories in the same run (the anchor; target ≥ 1.2×):
//   Ours is measured twice: one session on all cores, and two single-threaded
//   sessions scoring different texts side by side in two worker threads
//   (RoBERTa workers: 2, createZeroShotWorkers workers: 2).
//   - RoBERTa-base-shaped detector (12 layers, 768, 12 heads, random weights):
//     our RobertaDetector.score vs transformers.js' text-classification pipeline,
//     both given the same batch of texts.
//   - GPT-2-124M-shaped scorer (random weights, built by the GPT-2 builder):
//     our full zero-shot scoring (forward + every statistic over the vocabulary,
//     on the statistics head)
//     vs a bare transformers.js forward pass (tokenise + logits, no statistics:
//     a floor under what scoring with transformers.js costs), and vs that
//     forward plus the same statistics computed in JS from its logits (what a
//     transformers.js user has to write to get them: two passes per position).
//   - TF-IDF: the 5-fold cross-fit with the C search on 1,600 texts, in CPU
//     seconds, against the same cross-fit before warm starts and per-fold
//     matrices (measured with this harness on the code of commit f104f04; that
//     code is gone, so its figure is printed as recorded).
// Run: npx tsx bench/score.ts [--texts 6] [--rounds 1] [--batch 8] [--tfidf-only]  (rounds × number of methods)
// Models are built once under .bench/ (≈ 0.5 GB each). Numbers on a shared
// 2-core machine are noisy: the order of methods rotates from round to round.
import { existsSync } from 'node:fs';
import os from 'node:os';
import { basename, join, resolve } from 'node:path';
import { buildTinyRoberta } from '../server/detectors/roberta-build.ts';
import { loadRobertaDetector } from '../server/detectors/roberta.ts';
import { createZeroShotScorer, createZeroShotWorkers } from '../server/detectors/zero-shot.ts';
import { Decoder } from '../server/lm/decoder.ts';
import { buildTinyModel } from '../server/lm/build-tiny.ts';
import { gpt2Tokenizer } from '../server/lm/tokenizer.ts';
import { brownPressFiles, brownSentences } from '../server/stimuli/index.ts';
import { CROSS_FIT_BEFORE, crossFitTexts, timeCrossFit } from './score/tfidf-cross-fit.ts';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}
const N_TEXTS = arg('texts', 6);
const ROUNDS = arg('rounds', 1);
const BATCH = arg('batch', 8);
const BENCH = resolve('.bench');

interface Timing {
  /** texts per second over all rounds */
  rate: number;
  rounds: number[];
}

/**
 * Runs every method over all texts, ROUNDS × (number of methods) times, the
 * first method of each round rotating, so that load drifting on a shared
 * machine does not favour whoever runs last.
 */
async function compare<K extends string>(methods: Record<K, () => Promise<unknown>>): Promise<Record<K, Timing>> {
  const names = Object.keys(methods) as K[];
  const total = new Map<K, number>(names.map((n) => [n, 0]));
  const rounds = new Map<K, number[]>(names.map((n) => [n, []]));
  for (let r = 0; r < ROUNDS * names.length; r++) {
    for (let k = 0; k < names.length; k++) {
      const n = names[(r + k) % names.length];
      const dt = await timed(methods[n]);
      total.set(n, total.get(n)! + dt);
      rounds.get(n)!.push(N_TEXTS / dt);
    }
  }
  return Object.fromEntries(names.map((n) => [n, { rate: (N_TEXTS * ROUNDS * names.length) / total.get(n)!, rounds: rounds.get(n)! }])) as Record<K, Timing>;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
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

async function tfidfSection(): Promise<void> {
  const { texts, labels } = crossFitTexts();
  const r = await timeCrossFit(texts, labels);
  const b = CROSS_FIT_BEFORE;
  console.log(`\nTF-IDF 5-fold cross-fit with the C search (13 C × inner 5-fold), ${texts.length} texts of ~250 words`);
  console.log(`  now:    ${r.cpuSeconds.toFixed(1)} CPU s (${r.wallSeconds.toFixed(1)} s wall), accuracy ${(100 * r.accuracy).toFixed(2)}%, C per fold [${r.chosenC.join(', ')}]`);
  console.log(`  before: ${b.cpuSeconds.toFixed(1)} CPU s (recorded), accuracy ${(100 * b.accuracy).toFixed(2)}%, C per fold [${b.chosenC.join(', ')}]`);
  console.log(`  CPU time ratio now/before ${(r.cpuSeconds / b.cpuSeconds).toFixed(3)} (target ≤ 0.1); same C: ${r.chosenC.join() === b.chosenC.join() ? 'yes' : 'NO'}; same accuracy: ${r.accuracy === b.accuracy ? 'yes' : 'NO'}`);
}

async function main(): Promise<void> {
  if (process.argv.includes('--tfidf-only')) return tfidfSection();
  const loadAtStart = os.loadavg();
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
  const det2 = await loadRobertaDetector(robertaDir, { batchSize: BATCH, workers: 2 });
  const classify = await pipeline('text-classification', basename(robertaDir), { dtype: 'fp32' });
  const oursFirst = await det.score(texts.slice(0, 1));
  const theirsFirst = (await classify(texts.slice(0, 1), { top_k: null })) as unknown as { label: string; score: number }[][];
  const diff = Math.abs(oursFirst[0].real_probability - theirsFirst[0].find((x) => x.label === 'Real')!.score);
  await det2.score(texts.slice(0, 2));
  const roberta = await compare({
    ours: async () => { for (let i = 0; i < texts.length; i += BATCH) await det.score(texts.slice(i, i + BATCH)); },
    ours2: async () => { for (let i = 0; i < texts.length; i += BATCH) await det2.score(texts.slice(i, i + BATCH)); },
    theirs: async () => { for (let i = 0; i < texts.length; i += BATCH) await classify(texts.slice(i, i + BATCH), { top_k: null }); },
  });
  await det.close();
  await det2.close();
  await classify.dispose();

  // --- zero-shot scorer ---
  const decoder = await Decoder.load(gpt2Dir);
  const scorer = createZeroShotScorer(decoder);
  const scorer2 = await createZeroShotWorkers(gpt2Dir, { workers: 2 });
  const tjTok = await AutoTokenizer.from_pretrained(basename(gpt2Dir));
  const tjModel = await AutoModelForCausalLM.from_pretrained(basename(gpt2Dir), { dtype: 'fp32', use_external_data_format: true });
  const tjRun = async (text: string) => {
    const enc = tjTok('<|endoftext|>' + text, { return_tensor: true }) as unknown as { input_ids: { data: BigInt64Array }; attention_mask: unknown };
    const out = (await (tjModel as unknown as (x: unknown) => Promise<{ logits: { dims: number[]; data: Float32Array } }>)({ input_ids: enc.input_ids, attention_mask: enc.attention_mask }));
    return { ids: enc.input_ids.data, logits: out.logits };
  };
  const tjForward = async (text: string) => (await tjRun(text)).logits.dims;
  /** transformers.js forward, then per position: log p, rank, entropy and Fast-DetectGPT's μ and σ² in JS. */
  const tjScore = async (text: string) => {
    const { ids, logits } = await tjRun(text);
    const V = logits.dims[2];
    let sumLogp = 0, sumRank = 0, sumEntropy = 0, sumVar = 0;
    for (let t = 0; t + 1 < ids.length; t++) {
      const row = logits.data.subarray(t * V, (t + 1) * V);
      const x = row[Number(ids[t + 1])];
      let max = -Infinity;
      for (let i = 0; i < V; i++) if (row[i] > max) max = row[i];
      let z = 0, zx = 0, zxx = 0, rank = 0;
      for (let i = 0; i < V; i++) {
        const d = row[i] - max;
        const e = Math.exp(d);
        z += e; zx += e * d; zxx += e * d * d;
        if (row[i] > x) rank++;
      }
      const lz = Math.log(z);
      const mu = zx / z - lz; // Σ p log p
      sumLogp += x - max - lz;
      sumRank += rank;
      sumEntropy -= mu;
      sumVar += zxx / z - (zx / z) * (zx / z); // Var of log p = Var of (x − max)
    }
    return [sumLogp, sumRank, sumEntropy, sumVar];
  };
  const dims = await tjForward(scorerTexts[0]);
  const tjFirst = await tjScore(scorerTexts[0]);
  const warm = await scorer.score(scorerTexts[0]);
  await scorer2.scoreMany(scorerTexts.slice(0, 2));
  const bos = decoder.tokenizer.eosTokenId!;
  const scorerIds = scorerTexts.map((t) => [bos, ...decoder.tokenizer.encode(t)]);
  const zero = await compare({
    forward: async () => { for (const ids of scorerIds) await decoder.forward([ids], { cache: false }); },
    ours: async () => { for (const t of scorerTexts) await scorer.score(t); },
    ours2: async () => { await scorer2.scoreMany(scorerTexts); },
    theirs: async () => { for (const t of scorerTexts) await tjForward(t); },
    theirsStats: async () => { for (const t of scorerTexts) await tjScore(t); },
  });
  await decoder.dispose();
  await scorer2.close();
  await (tjModel as unknown as { dispose(): Promise<void> }).dispose();

  const f = (x: number) => x.toFixed(3);
  const row = (name: string, ours: Timing, theirs: Timing, anchor: string) =>
    console.log(`${name.padEnd(46)} ${f(ours.rate)} texts/s   ${anchor} ${f(theirs.rate)} texts/s   ratio ${(ours.rate / theirs.rate).toFixed(2)}×   ratio of medians ${(median(ours.rounds) / median(theirs.rounds)).toFixed(2)}×   per round [${ours.rounds.map(f).join(', ')}] vs [${theirs.rounds.map(f).join(', ')}]`);
  console.log(`\nload average (1, 5, 15 min) at start: ${loadAtStart.map((x) => x.toFixed(2)).join(' ')}; at the end: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  console.log(`\n512-token texts: ${N_TEXTS} per round; rounds rotate which method runs first; rate = all texts ÷ all time; RoBERTa batch ${BATCH}; shared 2-core machine, numbers are noisy`);
  row('RoBERTa-base, 1 session', roberta.ours, roberta.theirs, 'transformers.js pipeline');
  row('RoBERTa-base, 2 single-thread worker threads', roberta.ours2, roberta.theirs, 'transformers.js pipeline');
  row('GPT-2 124M Decoder.forward only (no stats)', zero.forward, zero.theirs, 'transformers.js forward');
  row('GPT-2 124M zero-shot (all stats), 1 session', zero.ours, zero.theirs, 'transformers.js forward');
  row('GPT-2 124M zero-shot, 2 single-thread workers', zero.ours2, zero.theirs, 'transformers.js forward');
  console.log('the same task on both sides: transformers.js forward + the same statistics in JS');
  row('GPT-2 124M zero-shot (all stats), 1 session', zero.ours, zero.theirsStats, 'transformers.js + JS stats');
  row('GPT-2 124M zero-shot, 2 single-thread workers', zero.ours2, zero.theirsStats, 'transformers.js + JS stats');
  await tfidfSection();
  console.log(`checks: |Δ real_probability| vs transformers.js ${diff.toExponential(1)} (used_tokens ${oursFirst[0].used_tokens}); zero-shot used_tokens ${warm.used_tokens}+BOS, transformers.js logits ${dims.join('×')}; mean log-prob ours ${warm.mean_logprob.toFixed(5)}, transformers.js + JS ${(tjFirst[0] / (dims[1] - 1)).toFixed(5)}`);
}

await main();
