// `credence prepare`: fills a study's generated pools through the runtime.
// Each pool is one JSONL file, one record per sample in sample order, appended
// and fsynced sample by sample: after a crash the finished samples stay, and
// the next run continues from the first missing one. Because each sample's
// random stream depends only on (pool seed, sample index), a resumed pool is
// byte-identical to one generated in a single run.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, ftruncateSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { loadStudy } from '../../studies/load.ts';
import type { Pool } from '../../studies/protocol.ts';
import { generatedPoolFile, literalPrompts, promptsForPool } from '../stimuli/index.ts';
import { probeParts } from '../../studies/probes.ts';
import { ensurePrivateDir } from '../store/storage-check.ts';
import { uncleanReason } from '../stimuli/clean-text.ts';
import { Decoder } from './decoder.ts';
import { ensureTinyModels } from './ensure-tiny.ts';
import { generate, generateSamples, generationSpan, type GenerateOptions, type GeneratedSample } from './generate.ts';
import type { Dtype } from '../models/model-dir.ts';
import { toRecord } from './record.ts';
import { checkSampling, type SamplingParams } from './sampling.ts';
import { TINY_STAND_IN } from './shapes.ts';
import { stableStringify } from '../../studies/stable-json.ts';

type GeneratedPool = Extract<Pool, { kind: 'generated' }>;

export interface PrepareOptions {
  dataDir?: string;
  modelsDir?: string;
  /** Use tiny/tiny-m/tiny-l/tiny-xl for GPT-2 sizes that are not installed. */
  substituteTiny?: boolean;
  /** Regenerate pools whose stored samples came from a different pool spec. */
  force?: boolean;
  batchSize?: number;
  /** Only these pools. */
  pools?: string[];
  /** Stop after this many new samples in total (tests: simulate an interruption). */
  maxNewSamples?: number;
  onProgress?: (e: { pool: string; done: number; total: number; tokens: number }) => void;
}

export interface PreparedPool {
  pool: string;
  generated: number;
  existing: number;
  file: string;
  model: string;
  standsInFor?: string;
  /** New samples replaced by a later seeded draw because their text was not clean (U+FFFD, control or unprintable characters). */
  replaced: number;
}

/** How many further draws a sample gets before prepare gives up on its prompt. */
const MAX_REDRAWS = 50;

/**
 * The sample itself when its text is clean, else the first clean one of the
 * next seeded draws for the same prompt: draw k of sample i of an n-sample
 * pool is item index i + k·n, so the replacement is reproducible and never
 * collides with another sample's stream.
 */
export async function cleanSample(decoder: Decoder, genOpts: GenerateOptions, s: GeneratedSample, n: number, textOf: (s: GeneratedSample) => string, where: string): Promise<{ sample: GeneratedSample; redraws: number }> {
  let sample = s;
  let redraws = 0;
  let why = uncleanReason(textOf(sample));
  while (why !== null) {
    if (++redraws > MAX_REDRAWS) throw new Error(`${where}: sample ${s.index} and its next ${MAX_REDRAWS} seeded draws all held unclean text (last: ${why})`);
    [sample] = await generate(decoder, [{ index: s.index + redraws * n, prompt: s.prompt }], { ...genOpts, batchSize: 1 });
    why = uncleanReason(textOf(sample));
  }
  return { sample, redraws };
}

export function samplingOf(pool: GeneratedPool): SamplingParams {
  const s = pool.sampling;
  return checkSampling({
    maxNewTokens: s.max_new_tokens,
    minNewTokens: s.min_new_tokens,
    temperature: s.temperature,
    topK: s.top_k,
    topP: s.top_p,
    stopAtEos: true,
    stopAtSentenceEnd: s.stop_at_sentence_end,
  });
}

interface ModelChoice { dir: string; name: string; dtype: Dtype; standsInFor?: string }

function hasGraph(dir: string): boolean {
  return existsSync(join(dir, 'onnx')) && (existsSync(join(dir, 'config.json')) || existsSync(join(dir, 'onnx', 'config.json')));
}

async function chooseModel(poolId: string, pool: GeneratedPool, modelsDir: string, substituteTiny: boolean): Promise<ModelChoice> {
  const named = /[\\/]/.test(pool.model) || isAbsolute(pool.model);
  const dir = named ? resolve(pool.model) : resolve(modelsDir, pool.model);
  if (hasGraph(dir)) return { dir, name: pool.model, dtype: pool.dtype as Dtype };
  const tiny = TINY_STAND_IN[pool.model];
  if (substituteTiny && tiny) {
    const [tinyDir] = await ensureTinyModels(modelsDir, [tiny]);
    // Tiny models carry fp32 and q8 graphs only.
    const dtype: Dtype = ['q8', 'int8', 'uint8', 'q4'].includes(pool.dtype) ? 'q8' : 'fp32';
    return { dir: tinyDir, name: tiny, dtype, standsInFor: pool.model };
  }
  const hint = tiny ? ` (credence models pull ${pool.model}, or prepare with --substitute-tiny to use ${tiny} in its place)` : '';
  throw new Error(`pool '${poolId}': model ${pool.model} is not installed at ${dir}${hint}`);
}

interface Existing { count: number; batchSize: number | null }

/**
 * Checks the complete records already in a pool file against the pool spec and
 * the prompt each sample must continue, and cuts off a torn last line.
 */
function existingRecords(file: string, poolHash: string, prompts: string[], force: boolean): Existing {
  if (!existsSync(file)) return { count: 0, batchSize: null };
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  let good = 0;
  let goodBytes = 0;
  let batchSize: number | null = null;
  const redo = (why: string): Existing => {
    if (force) { rmSync(file); return { count: 0, batchSize: null }; }
    throw new Error(`${file}: ${why}; run with --force to regenerate the pool`);
  };
  for (let i = 0; i < lines.length - 1; i++) {
    let rec: { prompt?: string; provenance?: { pool_hash?: string; batch_size?: number } };
    try {
      rec = JSON.parse(lines[i]);
    } catch {
      // Only a crash mid-write makes a bad line, and only the last one.
      if (i === lines.length - 2 && !text.endsWith('\n')) break;
      throw new Error(`${file}:${i + 1}: not a generation record (invalid JSON); delete the file or run with --force`);
    }
    if (rec.provenance?.pool_hash !== poolHash) {
      return redo(`its samples were generated from a different pool spec (pool hash ${rec.provenance?.pool_hash ?? 'missing'}, now ${poolHash})`);
    }
    if (i < prompts.length && rec.prompt !== prompts[i]) return redo(`line ${i + 1} continues a different prompt than the study now gives sample ${i}`);
    batchSize ??= typeof rec.provenance?.batch_size === 'number' ? rec.provenance.batch_size : null;
    good++;
    goodBytes += Buffer.byteLength(lines[i], 'utf8') + 1;
  }
  if (goodBytes !== Buffer.byteLength(text, 'utf8')) {
    const fd = openSync(file, 'r+');
    ftruncateSync(fd, goodBytes);
    fsyncSync(fd);
    closeSync(fd);
  }
  return { count: good, batchSize };
}

export async function prepareStudy(studyArg: string, opts: PrepareOptions = {}): Promise<PreparedPool[]> {
  const loaded = loadStudy(studyArg);
  const dataDir = resolve(opts.dataDir ?? 'data');
  const modelsDir = resolve(opts.modelsDir ?? 'models');
  const studyId = loaded.protocol.id;
  const decoders = new Map<string, Decoder>();
  const results: PreparedPool[] = [];
  let budget = opts.maxNewSamples ?? Infinity;
  try {
    // A generated pool is one file; a probe pool one file per model, each made as a generated pool.
    const jobs = Object.entries(loaded.protocol.pools).flatMap(([poolId, pool]) => {
      if (opts.pools && !opts.pools.includes(poolId)) return [];
      if (pool.kind === 'generated') return [{ poolId, fileId: poolId, pool, prompts: promptsForPool(loaded, poolId) }];
      if (pool.kind === 'probe') return probeParts(poolId, pool).map((part) => ({ poolId, fileId: part.fileId, pool: part.pool, prompts: literalPrompts(part.pool) }));
      return [];
    });
    for (const { poolId, fileId, pool, prompts } of jobs) {
      const sampling = samplingOf(pool);
      const model = await chooseModel(poolId, pool, modelsDir, Boolean(opts.substituteTiny));
      const key = `${model.dir}|${model.dtype}`;
      let decoder = decoders.get(key);
      if (!decoder) { decoder = await Decoder.load(model.dir, { dtype: model.dtype }); decoders.set(key, decoder); }
      // What determines a sample's bytes besides its prompt (checked per record)
      // and its index: not n (raising n just adds samples) nor the label.
      const poolHash = createHash('sha256').update(stableStringify({
        model: model.name, model_sha256: decoder.model.sha256, dtype: decoder.model.dtype, stands_in_for: model.standsInFor ?? null,
        sampling: pool.sampling, seed: pool.seed, include_prompt: pool.include_prompt,
      })).digest('hex');
      const file = generatedPoolFile(dataDir, studyId, fileId);
      ensurePrivateDir(dirname(file));
      const found = existingRecords(file, poolHash, prompts.map((p) => p.prompt), Boolean(opts.force));
      const existing = found.count;
      // A pool keeps the batch size it was started with: log-probs depend (in
      // their last bits) on which samples share a forward pass.
      const batchSize = found.batchSize ?? opts.batchSize ?? 8;
      const genOpts: GenerateOptions = { seed: pool.seed, sampling, batchSize };
      // Generation refills its batch within windows that sit on fixed index
      // boundaries (generationSpan), and a resumed run recomputes the whole
      // window the first missing sample belongs to: each sample then always
      // shares its forward passes with the same companions, so even its
      // log-probs are bit-identical to an uninterrupted run's.
      const span = generationSpan(genOpts);
      const from = Math.floor(existing / span) * span;
      const items = budget > 0 ? Array.from({ length: pool.n - from }, (_, k) => ({ index: from + k, prompt: prompts[from + k].prompt })) : [];
      let generated = 0, tokens = 0, replaced = 0;
      opts.onProgress?.({ pool: fileId, done: existing, total: pool.n, tokens });
      if (existing < pool.n && items.length > 0) {
        const fd = openSync(file, 'a');
        try {
          const textOf = (x: GeneratedSample) => (pool.include_prompt ? x.prompt + x.continuation : x.continuation);
          for await (const drawn of generateSamples(decoder, items, { ...genOpts, onTokens: (c) => { tokens += c; } })) {
            if (drawn.index < existing) continue;
            if (generated >= budget) break;
            const { sample: s, redraws } = await cleanSample(decoder, genOpts, drawn, pool.n, textOf, `pool '${poolId}'`);
            if (redraws > 0) replaced++;
            const text = textOf(s);
            const rec = toRecord(decoder, genOpts, s, `${fileId}-${drawn.index}`, text, {
              study_id: studyId,
              pool: poolId,
              pool_hash: poolHash,
              batch_size: batchSize,
              prompt_id: prompts[drawn.index].prompt_id,
              ...(redraws > 0 ? { replaces_unclean_draws: redraws } : {}),
              ...(model.standsInFor ? { stands_in_for: model.standsInFor } : {}),
            });
            writeSync(fd, JSON.stringify(rec) + '\n');
            fsyncSync(fd);
            generated++;
            opts.onProgress?.({ pool: fileId, done: existing + generated, total: pool.n, tokens });
          }
        } finally {
          closeSync(fd);
        }
      }
      budget -= generated;
      results.push({ pool: fileId, generated, existing, replaced, file, model: model.name, ...(model.standsInFor ? { standsInFor: model.standsInFor } : {}) });
    }
  } finally {
    for (const d of decoders.values()) await d.dispose();
  }
  return results;
}
