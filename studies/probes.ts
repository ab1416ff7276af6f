// Probe pools, expanded: what the protocol alone says about every stimulus of
// a `probe` pool. The filled prompts, the generated pool each model's share
// is made as, and each stimulus's label, all from one layout, so the loader's
// checks, `credence prepare` and the stimuli materializer never disagree.
//
// Layout: stimulus k = m·(P·n) + i, model m (in the protocol's order), and i
// the i-th sample of that model's part, which continues filled prompt i mod P
// (the rule of every generated pool, studies/pools.ts promptIndex).
import type { Label, Pool } from './protocol.ts';
import { GPT2_MODEL_SIZES, promptIndex, samplingName } from './pools.ts';

export type ProbePool = Extract<Pool, { kind: 'probe' }>;
type GeneratedPool = Extract<Pool, { kind: 'generated' }>;

/** One filled template. */
export interface ProbePrompt {
  template: string;
  /** Slot name → the value filled in, in the order the template names them. */
  slots: Record<string, string>;
  prompt: string;
}

/** One model's share of a probe pool: made exactly as this generated pool would be. */
export interface ProbePart {
  model: string;
  model_size: string | undefined;
  /** Where the part's samples are written: `<pool>.<model>` (a file-safe name). */
  fileId: string;
  /** The index of the part's first stimulus in the probe pool. */
  offset: number;
  pool: GeneratedPool;
}

const SLOT = /\{([A-Za-z0-9_-]+)\}/g;

/** The slot names a template uses, in order of first use. */
export function templateSlots(template: string): string[] {
  return [...new Set([...template.matchAll(SLOT)].map((m) => m[1]))];
}

/** Every template filled with every combination of its slots' values, templates in order, later slots varying fastest. */
export function probePrompts(pool: ProbePool): ProbePrompt[] {
  const out: ProbePrompt[] = [];
  for (const template of pool.templates) {
    let fills: Record<string, string>[] = [{}];
    for (const name of templateSlots(template)) {
      const values = pool.slots[name] ?? [];
      fills = fills.flatMap((f) => values.map((v) => ({ ...f, [name]: v })));
    }
    for (const slots of fills) out.push({ template, slots, prompt: template.replace(SLOT, (_, name: string) => slots[name] ?? `{${name}}`) });
  }
  return out;
}

/** How many stimuli a probe pool holds: models × filled prompts × n. */
export function probePoolSize(pool: ProbePool): number {
  return pool.models.length * probePrompts(pool).length * pool.n;
}

function fileSafe(s: string): string {
  return s.replace(/[^A-Za-z0-9_.-]+/g, '_');
}

/** Each model's share of the pool as a generated pool with literal prompts. */
export function probeParts(poolId: string, pool: ProbePool): ProbePart[] {
  const prompts = probePrompts(pool).map((p) => p.prompt);
  const per = prompts.length * pool.n;
  return pool.models.map((m, mi) => ({
    model: m.model,
    model_size: m.model_size ?? GPT2_MODEL_SIZES[m.model],
    fileId: `${poolId}.${fileSafe(m.model)}`,
    offset: mi * per,
    pool: {
      kind: 'generated',
      model: m.model,
      ...(m.model_size ? { model_size: m.model_size } : {}),
      prompts,
      include_prompt: false,
      sampling: pool.sampling,
      n: per,
      seed: pool.seed,
      dtype: pool.dtype,
      ...(pool.label ? { label: pool.label } : {}),
    },
  }));
}

/**
 * The label of each stimulus: source, model, model_size and sampling as a
 * generated pool's, plus `template`, `prompt` (filled), `slot` and
 * `slot_value` (names and values joined by `,` when a template has several
 * slots), so blocks, conditions and analysis can group by any of them.
 */
export function probeLabels(pool: ProbePool): Label[] {
  const prompts = probePrompts(pool);
  const per = prompts.length * pool.n;
  const sampling = samplingName(pool.sampling);
  return Array.from({ length: pool.models.length * per }, (_, k) => {
    const m = pool.models[Math.floor(k / per)];
    const p = prompts[promptIndex(k % per, prompts.length)];
    return {
      source: 'machine',
      model: m.model,
      model_size: m.model_size ?? GPT2_MODEL_SIZES[m.model],
      sampling,
      template: p.template,
      prompt: p.prompt,
      slot: Object.keys(p.slots).join(','),
      slot_value: Object.values(p.slots).join(','),
      ...(pool.label ?? {}),
    } as Label;
  });
}
