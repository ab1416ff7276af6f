// `credence generate`: samples from a model directory to JSONL. The records
// hold no timestamps, so the same arguments give the same bytes; timing and
// the tokens/s bar go to stderr.
import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { Decoder } from '../lm/decoder.ts';
import { generateSamples, type GenerationItem } from '../lm/generate.ts';
import { DTYPES, type Dtype } from '../models/model-dir.ts';
import { toRecord } from '../lm/record.ts';
import { checkSampling, type SamplingParams } from '../lm/sampling.ts';
import { UsageError } from './usage.ts';
import { batchOption, countOption, integerOption, numberOption, seedOption } from './options.ts';

/** Prompts from a file: JSONL with a "prompt" (or "text") field, or one prompt per line. */
export function readPromptsFile(file: string): string[] {
  if (!existsSync(file)) throw new Error(`${file}: no such prompts file`);
  const lines = readFileSync(file, 'utf8').split(/\r?\n/);
  const prompts: string[] = [];
  const jsonl = file.endsWith('.jsonl') || file.endsWith('.json');
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    if (!jsonl) { prompts.push(line); return; }
    let v: unknown;
    try { v = JSON.parse(line); } catch (err) { throw new Error(`${file}:${i + 1}: invalid JSON (${(err as Error).message})`); }
    const p = typeof v === 'string' ? v : (v as { prompt?: unknown; text?: unknown })?.prompt ?? (v as { text?: unknown })?.text;
    if (typeof p !== 'string') throw new Error(`${file}:${i + 1}: expected a string or an object with a "prompt" field`);
    prompts.push(p);
  });
  if (prompts.length === 0) throw new Error(`${file}: no prompts`);
  return prompts;
}

interface GenerateCliOptions {
  model: string;
  prompt?: string;
  prompts?: string;
  n: number;
  maxNewTokens: number;
  minNewTokens: number;
  temperature: number;
  topK: number;
  topP: number;
  seed: number;
  batch: number;
  stopAtSentenceEnd?: boolean;
  dtype?: string;
  modelFile?: string;
  out?: string;
}

export function registerGenerate(program: Command): void {
  program
    .command('generate')
    .description('Sample continuations from a GPT-2 model directory; JSONL records with tokens, log-probs, ranks and provenance')
    .requiredOption('--model <dir>', 'model directory (Hugging Face ONNX layout)')
    .option('--prompt <text>', 'one prompt ("" for unconditional samples)')
    .option('--prompts <file>', 'prompts file: one per line, or JSONL with "prompt"')
    .addOption(countOption('samples per prompt', 1))
    .addOption(integerOption('--max-new-tokens <k>', 'tokens to generate at most').default(40))
    .addOption(integerOption('--min-new-tokens <k>', 'end-of-text is suppressed before this many tokens').default(0))
    .addOption(numberOption('--temperature <t>', '0 = greedy').default(1))
    .addOption(integerOption('--top-k <k>', '0 = off').default(0))
    .addOption(numberOption('--top-p <p>', '1 = off').default(1))
    .addOption(seedOption('run seed (each sample derives its own)', 1))
    .addOption(batchOption())
    .option('--stop-at-sentence-end', 'stop a sample after its first sentence end')
    .option('--dtype <dtype>', `one of ${DTYPES.join(', ')} (default: the first present, fp32 first)`)
    .option('--model-file <name>', 'graph base name under onnx/: model or decoder_model_merged')
    .option('--out <file>', 'write JSONL here instead of stdout')
    .action(async (o: GenerateCliOptions) => {
      let fd: number | null = null;
      let bar: cliProgress.SingleBar | null = null;
      try {
        if ((o.prompt === undefined) === (o.prompts === undefined)) throw new UsageError('give exactly one of --prompt TEXT or --prompts FILE');
        const prompts = o.prompt !== undefined ? [o.prompt] : readPromptsFile(o.prompts!);
        const sampling: SamplingParams = checkSampling({
          maxNewTokens: o.maxNewTokens,
          minNewTokens: o.minNewTokens,
          temperature: o.temperature,
          topK: o.topK,
          topP: o.topP,
          stopAtEos: true,
          stopAtSentenceEnd: Boolean(o.stopAtSentenceEnd),
        });
        const { n, seed, batch: batchSize } = o;
        if (o.dtype !== undefined && !DTYPES.includes(o.dtype as Dtype)) throw new UsageError(`--dtype must be one of ${DTYPES.join(', ')}`);
        const t0 = Date.now();
        const decoder = await Decoder.load(o.model, { dtype: o.dtype as Dtype | undefined, modelFileName: o.modelFile });
        const loadMs = Date.now() - t0;
        const items: GenerationItem[] = prompts.flatMap((prompt, pi) => Array.from({ length: n }, (_, j) => ({ index: pi * n + j, prompt })));
        const opts = { seed, sampling, batchSize };
        fd = o.out ? openSync(o.out, 'w') : null;
        const total = items.length * sampling.maxNewTokens;
        bar = new cliProgress.SingleBar({ format: 'generating [{bar}] {samples}/{n} samples | {tokens} tokens | {tps} tok/s', stream: process.stderr, etaBuffer: 50 }, cliProgress.Presets.shades_classic);
        bar.start(total, 0, { samples: 0, n: items.length, tokens: 0, tps: '0.0' });
        const tGen = Date.now();
        let tokens = 0, done = 0;
        for await (const s of generateSamples(decoder, items, {
          ...opts,
          onTokens: (c) => { tokens += c; bar!.update(Math.min(tokens, total), { tokens, tps: (tokens / Math.max(1e-3, (Date.now() - tGen) / 1000)).toFixed(1) }); },
        })) {
          const line = JSON.stringify(toRecord(decoder, opts, s, String(s.index), s.continuation)) + '\n';
          if (fd !== null) writeSync(fd, line); else process.stdout.write(line);
          bar.update({ samples: ++done });
        }
        bar.update(total);
        bar.stop();
        const secs = (Date.now() - tGen) / 1000;
        console.error(`${items.length} samples, ${tokens} tokens in ${secs.toFixed(2)} s (${(tokens / secs).toFixed(1)} tok/s); model load ${loadMs} ms; ${decoder.model.name} ${decoder.model.dtype} ${decoder.model.onnxPath.slice(decoder.model.dir.length + 1)}`);
        await decoder.dispose();
      } finally {
        bar?.stop();
        if (fd !== null) closeSync(fd);
      }
    });
}
