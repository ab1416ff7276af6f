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
import { parseInteger, parseNumber, UsageError } from './usage.ts';

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

function num(name: string, v: string, int = false): number {
  return int ? parseInteger(v, `--${name}`) : parseNumber(v, `--${name}`);
}

export function registerGenerate(program: Command): void {
  program
    .command('generate')
    .description('Sample continuations from a GPT-2 model directory; JSONL records with tokens, log-probs, ranks and provenance')
    .requiredOption('--model <dir>', 'model directory (Hugging Face ONNX layout)')
    .option('--prompt <text>', 'one prompt ("" for unconditional samples)')
    .option('--prompts <file>', 'prompts file: one per line, or JSONL with "prompt"')
    .option('--n <n>', 'samples per prompt', '1')
    .option('--max-new-tokens <k>', 'tokens to generate at most', '40')
    .option('--min-new-tokens <k>', 'end-of-text is suppressed before this many tokens', '0')
    .option('--temperature <t>', '0 = greedy', '1')
    .option('--top-k <k>', '0 = off', '0')
    .option('--top-p <p>', '1 = off', '1')
    .option('--seed <s>', 'run seed (each sample derives its own)', '1')
    .option('--batch <b>', 'samples per forward pass', '8')
    .option('--stop-at-sentence-end', 'stop a sample after its first sentence end')
    .option('--dtype <dtype>', `one of ${DTYPES.join(', ')} (default: the first present, fp32 first)`)
    .option('--model-file <name>', 'graph base name under onnx/: model or decoder_model_merged')
    .option('--out <file>', 'write JSONL here instead of stdout')
    .action(async (o: Record<string, string | boolean | undefined>) => {
      let fd: number | null = null;
      let bar: cliProgress.SingleBar | null = null;
      try {
        if ((o.prompt === undefined) === (o.prompts === undefined)) throw new UsageError('give exactly one of --prompt TEXT or --prompts FILE');
        const prompts = o.prompt !== undefined ? [String(o.prompt)] : readPromptsFile(String(o.prompts));
        const sampling: SamplingParams = checkSampling({
          maxNewTokens: num('max-new-tokens', String(o.maxNewTokens), true),
          minNewTokens: num('min-new-tokens', String(o.minNewTokens), true),
          temperature: num('temperature', String(o.temperature)),
          topK: num('top-k', String(o.topK), true),
          topP: num('top-p', String(o.topP)),
          stopAtEos: true,
          stopAtSentenceEnd: Boolean(o.stopAtSentenceEnd),
        });
        const n = num('n', String(o.n), true);
        if (n < 1) throw new UsageError('--n must be ≥ 1');
        const seed = num('seed', String(o.seed), true);
        const batchSize = num('batch', String(o.batch), true);
        if (o.dtype !== undefined && !DTYPES.includes(o.dtype as Dtype)) throw new UsageError(`--dtype must be one of ${DTYPES.join(', ')}`);
        const t0 = Date.now();
        const decoder = await Decoder.load(String(o.model), { dtype: o.dtype as Dtype | undefined, modelFileName: o.modelFile as string | undefined });
        const loadMs = Date.now() - t0;
        const items: GenerationItem[] = prompts.flatMap((prompt, pi) => Array.from({ length: n }, (_, j) => ({ index: pi * n + j, prompt })));
        const opts = { seed, sampling, batchSize };
        fd = o.out ? openSync(String(o.out), 'w') : null;
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
