// Expands a protocol, a condition and a seed into one participant's concrete
// page list. Pure: the same inputs give the same plan, so a stored seed replays
// every order and every sample (invariant 4, docs/architecture.md).
import type { Block, Protocol, Question } from './protocol.ts';
import { createRng, deriveSeed, sample, shuffle, type Rng } from './random.ts';
import { forCondition, phaseTextFor } from './pools.ts';
import type { PlannedPage } from './vocabulary/pages.ts';
import type { StimulusInput } from './vocabulary/stimuli.ts';

/** The question the engine itself adds to the consent page: true = agrees. */
export const CONSENT_QUESTION: Question = { type: 'consent', id: 'consent', required: true } as Question;

export interface PlanInput {
  protocol: Protocol;
  stimuli: readonly StimulusInput[];
  condition: string;
  seed: number;
  /** Arrival order in the study version; rows of Latin squares. */
  participantIndex: number;
}

/**
 * Row `row` of a balanced Latin square (Williams design) over n items: every
 * item appears once in each position and follows every other item equally
 * often across n rows (2n rows for odd n, the second half mirrored).
 */
export function latinSquareRow(n: number, row: number): number[] {
  if (n <= 0) return [];
  // Williams' first row 0, 1, n-1, 2, n-2, …; row r adds r (mod n).
  const first = [0];
  for (let i = 1, lo = 1, hi = n - 1; i < n; i++) first.push(i % 2 === 1 ? lo++ : hi--);
  const period = n % 2 === 0 ? n : 2 * n;
  const r = ((row % period) + period) % period;
  const shifted = first.map((x) => (x + r) % n);
  return r >= n ? shifted.reverse() : shifted;
}

function ordered<T>(items: readonly T[], order: 'fixed' | 'random' | 'latin_square', rng: Rng, row: number): T[] {
  if (order === 'fixed') return items.slice();
  if (order === 'random') return shuffle(items, rng);
  return latinSquareRow(items.length, row).map((i) => items[i]);
}

function labelValue(s: StimulusInput, field: string): string {
  const v = (s.label as Record<string, unknown>)[field] ?? (s as unknown as Record<string, unknown>)[field];
  return v == null ? '' : String(v);
}

/** The value `distinct_by` compares: `source` is the human text a stimulus is or came from, anything else a label field. */
function distinctValue(s: StimulusInput, field: string): string {
  return field === 'source' ? s.source ?? s.id : labelValue(s, field);
}

/**
 * n of the candidates with no two sharing a `field` value, none of them in
 * `used` (values the participant met in earlier blocks); with `balanceBy`, as
 * many of each of its values as possible. Candidates are taken in a seeded
 * random order, so the draw replays from the participant's seed.
 */
function distinctSample(cands: readonly StimulusInput[], n: number, field: string, used: Set<string>, rng: Rng, balanceBy?: string): StimulusInput[] {
  const groups = new Map<string, StimulusInput[]>();
  for (const s of shuffle(cands, rng)) {
    const k = balanceBy ? labelValue(s, balanceBy) : '';
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(s);
  }
  const queues = [...groups.keys()].sort().map((k) => groups.get(k)!);
  const chosen: StimulusInput[] = [];
  // Round robin over the balance groups: each takes its next candidate with an unused value.
  while (chosen.length < n) {
    let took = false;
    for (const q of queues) {
      if (chosen.length >= n) break;
      while (q.length > 0) {
        const s = q.shift()!;
        const v = distinctValue(s, field);
        if (used.has(v)) continue;
        used.add(v);
        chosen.push(s);
        took = true;
        break;
      }
    }
    if (!took) break; // fewer distinct values than asked for (the loader's feasibility check prevents it)
  }
  const pos = new Map(cands.map((s, i) => [s, i]));
  return chosen.sort((a, b) => pos.get(a)! - pos.get(b)!);
}

/** n of the candidates, as many of each value of `by` as possible (the remainder drawn at random). */
function balancedSample(cands: readonly StimulusInput[], n: number, by: string, rng: Rng): StimulusInput[] {
  const groups = new Map<string, StimulusInput[]>();
  for (const s of cands) {
    const k = labelValue(s, by);
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(s);
  }
  const keys = [...groups.keys()].sort();
  const per = Math.floor(n / keys.length);
  const chosen: StimulusInput[] = [];
  const rest: StimulusInput[] = [];
  for (const k of keys) {
    const g = shuffle(groups.get(k)!, rng);
    chosen.push(...g.slice(0, per));
    rest.push(...g.slice(per));
  }
  chosen.push(...sample(rest, n - chosen.length, rng));
  // Keep pool order among the chosen, so a `fixed` or Latin-square order stays meaningful.
  const pos = new Map(cands.map((s, i) => [s, i]));
  return chosen.sort((a, b) => pos.get(a)! - pos.get(b)!);
}

function blockPools(block: Block, protocol: Protocol, condition: string): string[] {
  const cond = protocol.design.conditions.find((c) => c.id === condition);
  return block.pools.flatMap((p) => (p === '$condition' ? cond?.pools ?? [] : [p]));
}

export function buildPlan(input: PlanInput): PlannedPage[] {
  const { protocol, stimuli, condition, seed, participantIndex } = input;
  const pages: PlannedPage[] = [];
  let trialIndex = 0;
  // distinct_by values already shown, per field, across the participant's blocks.
  const usedValues = new Map<string, Set<string>>();
  protocol.phases.forEach((phase, pi) => {
    const phaseId = phase.id ?? `${phase.kind}${pi}`;
    if (phase.kind !== 'consent' && !forCondition(phase.conditions, condition)) return;
    switch (phase.kind) {
      case 'consent':
        pages.push({ kind: 'consent', block: phaseId, trialIndex: null, title: phase.title, text: phase.text, questions: [CONSENT_QUESTION] });
        break;
      case 'instructions':
      case 'debrief':
        pages.push({ kind: phase.kind, block: phaseId, trialIndex: null, title: phase.title, text: phaseTextFor(phase.text, condition), questions: [] });
        break;
      case 'comprehension':
        pages.push({ kind: 'comprehension', block: phaseId, trialIndex: null, questions: phase.questions, attempts: phase.attempts });
        break;
      case 'training':
        phase.items.forEach((item, ii) => {
          const page: PlannedPage = {
            kind: 'training',
            block: phaseId,
            trialIndex: null,
            questions: phase.questions,
            feedback: item.feedback,
            ...(phase.time_limit_s ? { timeLimitMs: phase.time_limit_s * 1000 } : {}),
          };
          if (item.stimulus) page.stimulusId = item.stimulus;
          else if (item.text) page.inlineStimulus = { id: `${phaseId}-${ii}`, text: item.text, label: item.label };
          else if (item.pool) {
            const pool = stimuli.filter((s) => s.pool === item.pool);
            const rng = createRng(deriveSeed(seed, `training:${pi}:${ii}`));
            if (pool.length) page.stimulusId = pool[rng.int(pool.length)].id;
          }
          pages.push(page);
        });
        break;
      case 'questionnaire':
        pages.push({
          kind: 'questionnaire',
          block: phaseId,
          trialIndex: null,
          title: phase.title,
          questions: phase.questions,
          ...(phase.time_limit_s ? { timeLimitMs: phase.time_limit_s * 1000 } : {}),
        });
        break;
      case 'trials': {
        const blockRng = createRng(deriveSeed(seed, `blocks:${pi}`));
        // A block restricted to some conditions (e.g. the overlay arm of gltr-assist) is left out for the others.
        const eligible = phase.blocks.map((_, i) => i).filter((i) => forCondition(phase.blocks[i].conditions, condition));
        const blockIdx = ordered(eligible, phase.block_order, blockRng, participantIndex);
        const checks = [...phase.attention_checks].sort((a, b) => a.after - b.after);
        let inPhase = 0;
        const addChecks = () => {
          while (checks.length && checks[0].after <= inPhase) {
            const c = checks.shift()!;
            pages.push({ kind: 'attention', block: phaseId, trialIndex: null, questions: [c.question] });
          }
        };
        addChecks();
        for (const bi of blockIdx) {
          const block = phase.blocks[bi];
          const blockId = block.id ?? `${phaseId}-block${bi}`;
          const pools = blockPools(block, protocol, condition);
          // A condition with `items` (a coverage share) gives `$condition` only those stimuli of its pools.
          const cond = protocol.design.conditions.find((c) => c.id === condition);
          const only = block.pools.includes('$condition') && cond?.items ? { pools: cond.pools, ids: new Set(cond.items) } : null;
          const cands = stimuli.filter((s) => pools.includes(s.pool) && (!only || !only.pools.includes(s.pool) || only.ids.has(s.id)));
          const rng = createRng(deriveSeed(seed, `block:${pi}:${bi}`));
          const n = Math.min(block.sample ?? cands.length, cands.length);
          let chosen: StimulusInput[];
          if (block.distinct_by) {
            const field = block.distinct_by;
            if (!usedValues.has(field)) usedValues.set(field, new Set());
            chosen = distinctSample(cands, n, field, usedValues.get(field)!, rng, block.balance?.by);
          } else if (block.balance) chosen = balancedSample(cands, n, block.balance.by, rng);
          else if (n < cands.length) {
            const picked = new Set(sample(cands, n, rng));
            chosen = cands.filter((s) => picked.has(s));
          } else chosen = cands.slice();
          for (const s of ordered(chosen, block.order, rng, participantIndex)) {
            pages.push({
              kind: 'trial',
              block: blockId,
              trialIndex: trialIndex++,
              stimulusId: s.id,
              questions: block.questions,
              ...(block.time_limit_s ? { timeLimitMs: block.time_limit_s * 1000 } : {}),
              ...(block.min_read_s ? { minReadMs: block.min_read_s * 1000 } : {}),
              ...(block.gltr_overlay ? { gltr: true } : {}),
            });
            inPhase++;
            addChecks();
          }
        }
        // Checks placed after more trials than the participant sees go at the end of the phase.
        inPhase = Infinity;
        addChecks();
        break;
      }
    }
  });
  return pages;
}
