// What can be known about a pool from the protocol alone, before any text is
// read: how many stimuli it will hold and how they are labelled. The loader
// uses it to reject impossible designs; the stimuli materializer uses the same
// labels so a check and the real thing never disagree.
import { existsSync } from 'node:fs';
import { basename, dirname, isAbsolute, join } from 'node:path';
import type { Label, PhaseText, Pool, Protocol, Sampling } from './protocol.ts';
import { probeLabels, probePoolSize } from './probes.ts';

/** A short name of the sampling method for labels and analysis: `pure`, `top-k 40`, `nucleus p=0.9`, `temperature 0.7`. */
export function samplingName(s: Partial<Sampling>): string {
  const parts: string[] = [];
  if (s.top_k && s.top_k > 0) parts.push(`top-k ${s.top_k}`);
  if (s.top_p !== undefined && s.top_p < 1) parts.push(`nucleus p=${s.top_p}`);
  if (s.temperature !== undefined && s.temperature !== 1) parts.push(`temperature ${s.temperature}`);
  return parts.length ? parts.join(', ') : 'pure';
}

/** Hugging Face names of the GPT-2 family and their corrected sizes (seed-studies.md). */
export const GPT2_MODEL_SIZES: Record<string, string> = {
  distilgpt2: '82M',
  gpt2: '124M',
  'gpt2-medium': '355M',
  'gpt2-large': '774M',
  'gpt2-xl': '1.5B',
};

const DATASET_MODELS: Record<string, { model: string; model_size: string }> = {
  'small-117M': { model: 'gpt2', model_size: '124M' },
  'medium-345M': { model: 'gpt2-medium', model_size: '355M' },
  'large-762M': { model: 'gpt2-large', model_size: '774M' },
  'xl-1542M': { model: 'gpt2-xl', model_size: '1.5B' },
};

/**
 * The label a gpt-2-output-dataset file's name implies (`webtext.test.jsonl`
 * → human; `medium-345M-k40.valid.jsonl` → gpt2-medium, 355M, top-k 40), or
 * null when the name is not one of the dataset's.
 */
export function gpt2OutputDatasetLabel(file: string): Label | null {
  const name = basename(file).toLowerCase();
  if (/^webtext(\.|$)/.test(name)) return { source: 'human', corpus: 'webtext' };
  const m = /^(small-117m|medium-345m|large-762m|xl-1542m)(-k40|-nucleus)?(\.|$)/.exec(name);
  if (!m) return null;
  const key = Object.keys(DATASET_MODELS).find((k) => k.toLowerCase() === m[1])!;
  const sampling = m[2] === '-k40' ? 'top-k 40' : m[2] === '-nucleus' ? 'nucleus' : 'pure';
  return { source: 'machine', ...DATASET_MODELS[key], sampling };
}

/** The label every stimulus of a generated pool carries unless the protocol overrides fields. */
export function generatedLabel(pool: Extract<Pool, { kind: 'generated' }>): Label {
  return {
    source: 'machine',
    model: pool.model,
    model_size: pool.model_size ?? GPT2_MODEL_SIZES[pool.model],
    sampling: samplingName(pool.sampling),
    ...(pool.label ?? {}),
  };
}

/** The pool-level label (null when it depends on each item or cannot be known). */
export function poolLabel(pool: Pool): Label | null {
  switch (pool.kind) {
    case 'fixed':
      return pool.label ?? null;
    case 'corpus':
      return { corpus: pool.corpus, ...pool.label };
    case 'generated':
      return generatedLabel(pool);
    case 'probe':
      return null; // each stimulus has its own prompt and model (probeLabels)
    case 'import': {
      const inferred = gpt2OutputDatasetLabel(pool.file);
      if (!pool.label) return inferred;
      // Explicit fields win; a bare {source} on a dataset file keeps the model fields the name gives.
      return { ...(inferred && inferred.source === pool.label.source ? inferred : {}), ...pool.label };
    }
  }
}

/** How many stimuli the pool will hold, when the protocol says (fixed items, corpus/generated n); else null. */
export function poolSize(pool: Pool): number | null {
  switch (pool.kind) {
    case 'fixed':
      return pool.items.length;
    case 'corpus':
    case 'generated':
      return pool.n;
    case 'probe':
      return probePoolSize(pool);
    case 'import':
      return null; // at most n, but the file may hold fewer texts that pass the length filter
  }
}

/** The label of each stimulus of the pool, when known from the protocol alone. */
export function poolLabels(pool: Pool): Label[] | null {
  if (pool.kind === 'fixed') {
    return pool.items.map((item) => ({ ...(pool.label ?? {}), ...(item.label ?? {}) }) as Label);
  }
  if (pool.kind === 'probe') return probeLabels(pool);
  const size = poolSize(pool);
  const label = poolLabel(pool);
  if (size === null || label === null) return null;
  return Array.from({ length: size }, () => label);
}

/** Pools a block draws from for one condition, with `$condition` expanded. */
export function blockPools(pools: readonly string[], conditionPools: readonly string[]): string[] {
  return pools.flatMap((p) => (p === '$condition' ? conditionPools : [p]));
}

export type { Protocol };

/** A file a protocol names (an import), looked up next to the protocol file, then in the repository (default: the working directory). */
export function resolveProtocolFile(protocolFile: string | { file: string }, file: string, repoDir?: string): string {
  if (isAbsolute(file)) return file;
  const base = typeof protocolFile === 'string' ? protocolFile : protocolFile.file;
  const candidates = [join(dirname(base), file), join(repoDir ?? process.cwd(), file)];
  return candidates.find((c) => existsSync(c)) ?? candidates[0];
}

/** Whether a phase, block or text limited to `conditions` is for a participant in `condition` (no list: for everyone). */
export function forCondition(conditions: readonly string[] | undefined, condition: string): boolean {
  return !conditions || conditions.includes(condition);
}

/** The text a participant in `condition` reads: the parts meant for that condition, as paragraphs. */
export function phaseTextFor(text: PhaseText, condition: string): string {
  if (typeof text === 'string') return text;
  return text
    .filter((part) => forCondition(part.conditions, condition))
    .map((part) => part.text)
    .join('\n\n');
}

/** Which of the P prompts sample i of a pool prompted from another pool continues. */
export function promptIndex(i: number, promptCount: number, offset = 0): number {
  return (offset + i) % promptCount;
}

/**
 * The source texts of a pool's stimuli, as far as the protocol alone says:
 * a text of a fixed, corpus or imported pool is its own source (`<pool>-<i>`);
 * a sample prompted from another pool's text has that text as its source.
 * Null when a size is unknown (imports).
 */
export function poolSources(protocol: Protocol, poolId: string): string[] | null {
  const pool = protocol.pools[poolId];
  if (!pool) return null;
  if (pool.kind === 'generated' && !Array.isArray(pool.prompts)) {
    const spec = pool.prompts;
    const from = protocol.pools[spec.pool];
    const size = from ? poolSize(from) : null;
    if (size === null || size === 0) return null;
    return Array.from({ length: pool.n }, (_, i) => `${spec.pool}-${promptIndex(i, size, spec.offset)}`);
  }
  const size = poolSize(pool);
  return size === null ? null : Array.from({ length: size }, (_, i) => `${poolId}-${i}`);
}
