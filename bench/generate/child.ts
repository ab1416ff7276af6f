// One measurement in its own process (so peak RSS belongs to it alone):
//   bandwidth | ours <dir> <dtype> <tokens> <batches> | tjs <modelsDir> <name> <dtype> <tokens>
//   | prepare <dir> <dtype> <samples> <prompt>
// Prints one JSON line on stdout.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { Decoder } from '../../server/lm/decoder.ts';
import { generate } from '../../server/lm/generate.ts';
import type { Dtype } from '../../server/models/model-dir.ts';
import { DEFAULT_SAMPLING } from '../../server/lm/sampling.ts';
import { createRng } from '../../studies/random.ts';
import { measureBandwidth } from './bandwidth.ts';

/** Peak resident memory of this process (VmHWM; getrusage's maxrss survives exec and would include the parent's). */
export function peakRssMB(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) / 1024;
  } catch { /* not Linux */ }
  return process.resourceUsage().maxRSS / 1024;
}

const PROMPT = 'In a shocking finding, scientists discovered a herd of unicorns living in a remote, previously unexplored valley, in the Andes Mountains.';

async function ours(dir: string, dtype: Dtype, tokens: number, batches: number[]): Promise<void> {
  const t0 = performance.now();
  const d = await Decoder.load(dir, { dtype, skipHash: true });
  const loadMs = performance.now() - t0;
  const sampling = { ...DEFAULT_SAMPLING, maxNewTokens: tokens, minNewTokens: tokens, topK: 40 };
  await generate(d, [{ index: 0, prompt: PROMPT }], { seed: 1, sampling: { ...sampling, maxNewTokens: 3, minNewTokens: 3 } }); // warm-up
  // Per decode step: the time between consecutive steps' sampled tokens (ORT run + sampling + scoring).
  const perBatch: Record<string, number[]> = {};
  for (const b of batches) {
    let prev = 0;
    const steps: number[] = [];
    // Batch 1 decodes greedily, as transformers.js does in its run; batches sample top-k 40.
    await generate(d, Array.from({ length: b }, (_, i) => ({ index: i, prompt: PROMPT })), {
      seed: 1, sampling: b === 1 ? { ...sampling, temperature: 0 } : sampling, batchSize: b,
      onTokens: () => { const t = performance.now(); if (prev) steps.push(t - prev); prev = t; },
    });
    perBatch[b] = steps;
  }
  const rssMB = peakRssMB();
  console.log(JSON.stringify({ loadMs, perBatch, rssMB, promptTokens: d.tokenizer.encode(PROMPT).length }));
  await d.dispose();
}

async function tjs(modelsDir: string, name: string, dtype: string, tokens: number): Promise<void> {
  const { env, AutoModelForCausalLM, AutoTokenizer } = await import('@huggingface/transformers');
  env.allowRemoteModels = false;
  env.localModelPath = modelsDir;
  const tok = await AutoTokenizer.from_pretrained(name);
  const model = await AutoModelForCausalLM.from_pretrained(name, { dtype } as Record<string, unknown>);
  const inputs = tok(PROMPT);
  // A streamer is told of every step's new token: the gaps between calls are decode steps.
  const run = async (n: number) => {
    let prev = 0, calls = 0;
    const steps: number[] = [];
    const streamer = { put: () => { const t = performance.now(); if (calls++ >= 2) steps.push(t - prev); prev = t; }, end: () => {} };
    await model.generate({ ...inputs, max_new_tokens: n, min_new_tokens: n, do_sample: false, streamer } as Record<string, unknown>);
    return steps;
  };
  await run(3); // warm-up
  const steps = await run(tokens);
  const rssMB = peakRssMB();
  console.log(JSON.stringify({ steps, rssMB, model: basename(name) }));
  await model.dispose();
}

/**
 * A prepare-like run: `samples` samples of `prompt` whose lengths are spread
 * uniformly over 8–128 new tokens (each sample's own cap), batch 16, with and
 * without refilling; beside it the steady batch-16 step rate (16 samples of
 * 128 tokens, median step), measured before and after in the same process.
 * Rates are new tokens per second of wall time, prefill included.
 */
async function prepareLike(dir: string, dtype: Dtype, samples: number, prompt: string): Promise<void> {
  const d = await Decoder.load(dir, { dtype, skipHash: true });
  const sampling = { ...DEFAULT_SAMPLING, maxNewTokens: 128, topK: 40, stopAtEos: false };
  const rng = createRng(7);
  const items = Array.from({ length: samples }, (_, i) => ({ index: i, prompt, maxNewTokens: 8 + Math.floor(rng.next() * 121) }));
  await generate(d, [{ index: 0, prompt }], { seed: 1, sampling: { ...sampling, maxNewTokens: 3 } }); // warm-up
  const steady = async () => {
    let prev = 0;
    const steps: number[] = [];
    await generate(d, Array.from({ length: 16 }, (_, i) => ({ index: i, prompt })), {
      seed: 1, sampling, batchSize: 16,
      onTokens: () => { const t = performance.now(); if (prev) steps.push(t - prev); prev = t; },
    });
    return (16 * 1000) / median(steps);
  };
  const run = async (refill: boolean) => {
    const t0 = performance.now();
    let tokens = 0;
    for (const s of await generate(d, items, { seed: 1, sampling, batchSize: 16, refill })) tokens += s.tokens.length;
    return { tokens, seconds: (performance.now() - t0) / 1000 };
  };
  const steadyBefore = await steady();
  const fixed = await run(false);
  const refilled = await run(true);
  const steadyAfter = await steady();
  console.log(JSON.stringify({ steadyBefore, steadyAfter, fixed, refilled, promptTokens: d.tokenizer.encode(prompt).length, rssMB: peakRssMB() }));
  await d.dispose();
}

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

const [mode, ...args] = process.argv.slice(2);
if (mode === 'bandwidth') console.log(JSON.stringify(await measureBandwidth()));
else if (mode === 'ours') await ours(args[0], args[1] as Dtype, Number(args[2]), args[3].split(',').map(Number));
else if (mode === 'tjs') await tjs(args[0], args[1], args[2], Number(args[3]));
else if (mode === 'prepare') await prepareLike(args[0], args[1] as Dtype, Number(args[2]), args[3] ?? '');
else throw new Error('usage: child.ts ours DIR DTYPE TOKENS BATCHES | tjs MODELS NAME DTYPE TOKENS | prepare DIR DTYPE SAMPLES [PROMPT]');
