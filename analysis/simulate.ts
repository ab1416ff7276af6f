// Power by simulation, before anyone is paid: simulated participants answer
// the protocol with each question type's own bot answer (studies/questions),
// with a declared shift per condition on the credibility/sharing items, and
// every replicate goes through the same analysis as real data. Power is the
// share of replicates in which a planned test rejects at alpha.
//
// Each simulated participant walks the engine's own page plan
// (studies/plan.ts buildPlan: block order, "sample N of M", balance,
// Latin squares, attention-check placement); conditions are filled
// round-robin, which is where the engine's least-filled assignment ends up for
// participants who all complete. Only trial, attention and questionnaire pages
// carry analysed answers; consent, instructions, comprehension, training and
// debrief pages are skipped. Pools get synthetic stimuli labelled as the pool
// declares (generated pools: at most 20); RoFT passages get 10 sentences with
// the boundary drawn uniformly in 1..9.
import type { Label, Pool, Protocol, Question } from '../studies/protocol.ts';
import type { ParticipantRow, ResponseRow, StimulusRow } from './rows.ts';
import { resolveQuestion } from '../studies/questions/index.ts';
import { createRng, deriveSeed, type Rng } from '../studies/random.ts';
import { buildPlan } from '../studies/plan.ts';
import type { StimulusInput } from '../studies/vocabulary/stimuli.ts';
import type { PageKind, PlannedPage } from '../studies/vocabulary/pages.ts';
import { collect } from './collect.ts';
import { analyzeCollected } from './analyze.ts';
import { roleOf } from '../studies/questions/index.ts';
import { clampedNormal } from '../studies/question-type.ts';
import { saysShare } from './roles.ts';

export interface SimulateOptions {
  /** Participants per replicate (all conditions together). */
  n: number;
  /** Shift of the credibility/sharing items per condition, in points of each item's own scale. */
  effects?: Record<string, number>;
  /** The judgment descriptor's accuracy knob (P(right) = 0.5 + 0.5·tanh(e)); its default is 0.2. */
  detectionEffect?: number;
  reps?: number;
  alpha?: number;
  seed?: number;
  /** Share of simulated participants answering as the 'careless' bot profile. */
  careless?: number;
  /** Also hand back each participant's page plan (what the store keeps for them), e.g. to fill a store as the engine would. */
  withPlans?: boolean;
}

const SIM_STIMULI_PER_POOL = 20;
const ROFT_SENTENCES = 10;

interface SimStimulus {
  row: StimulusRow;
  label: Label;
  boundary?: number;
  sentences?: string[];
}

function poolLabel(pool: Pool): Label {
  if (pool.kind === 'generated') return { source: 'machine', model: pool.model, model_size: pool.model_size, sampling: samplingName(pool), ...(pool.label ?? {}) };
  if (pool.kind === 'probe') return { source: 'machine', ...(pool.label ?? {}) };
  if (pool.kind === 'corpus') return pool.label;
  if (pool.kind === 'import') return pool.label ?? { source: 'human' };
  return pool.label ?? { source: 'human' };
}

function samplingName(pool: Extract<Pool, { kind: 'generated' }>): string {
  const s = pool.sampling;
  if (s.top_k > 0) return `top-k ${s.top_k}`;
  if (s.top_p < 1) return `nucleus ${s.top_p}`;
  return s.temperature === 1 ? 'pure' : `temperature ${s.temperature}`;
}

/** Synthetic stimuli for every pool, labelled as the pool declares. */
export function simulatedStimuli(protocol: Protocol, rng: Rng): Map<string, SimStimulus[]> {
  const out = new Map<string, SimStimulus[]>();
  for (const [name, pool] of Object.entries(protocol.pools)) {
    const list: SimStimulus[] = [];
    const n = pool.kind === 'fixed' ? pool.items.length : Math.min(SIM_STIMULI_PER_POOL, pool.n ?? SIM_STIMULI_PER_POOL);
    const roft = pool.kind === 'generated' && pool.include_prompt;
    for (let k = 0; k < n; k++) {
      const item = pool.kind === 'fixed' ? pool.items[k] : null;
      const label = { ...poolLabel(pool), ...((item?.label as Label | undefined) ?? {}) } as Label;
      const id = item?.id ?? `${name}-${k + 1}`;
      const words = 40 + rng.int(200);
      const sentences = roft ? Array.from({ length: ROFT_SENTENCES }, (_, i) => `Sentence ${i + 1}.`) : undefined;
      const boundary = roft ? 1 + rng.int(ROFT_SENTENCES - 1) : undefined;
      list.push({
        label,
        boundary,
        sentences,
        row: {
          study_id: protocol.id,
          stimulus_id: id,
          pool: name,
          source: label.source,
          model: label.model ?? null,
          model_size: label.model_size ?? null,
          sampling: label.sampling ?? null,
          length_words: words,
          text: item?.text ?? (sentences ? sentences.join(' ') : `simulated ${label.source} text ${id}`),
          provenance_json: null,
          boundary: boundary ?? null,
          sentence_count: sentences?.length ?? null,
        },
      });
    }
    out.set(name, list);
  }
  return out;
}

// Parsing a question's parameters is the slow part of answering it; plans reuse the protocol's question objects.
const resolvedCache = new WeakMap<Question, ReturnType<typeof resolveQuestion> & { role: ReturnType<typeof roleOf> }>();
function resolved(q: Question) {
  let r = resolvedCache.get(q);
  if (!r) resolvedCache.set(q, (r = { ...resolveQuestion(q), role: roleOf(q) }));
  return r;
}

/**
 * An attentive answer to a sharing question asked as a choice (yes / maybe /
 * no): the options are the item's scale (value_num 1..k, as analysis reads it),
 * and `shift` moves the answer that many points toward the options that say
 * "share" (analysis/roles.ts saysShare), so a positive effect raises the share
 * rate as it raises credibility.
 */
function shareAnswer(options: readonly { value: string }[], shift: number, rng: Rng): string {
  const k = options.length;
  const mid = (k + 1) / 2;
  const sharing = options.map((o, i) => (saysShare(o.value) === true ? i + 1 : null)).filter((i): i is number => i !== null);
  const toward = sharing.length && sharing.reduce((a, b) => a + b, 0) / sharing.length < mid ? -1 : 1;
  return options[clampedNormal(rng, mid + toward * shift, k / 5, 1, k) - 1].value;
}

export interface SimulatedDataset {
  participants: ParticipantRow[];
  responses: ResponseRow[];
  stimuli: StimulusRow[];
  /** Each participant's page plan, in the order of `participants` (only when asked: withPlans). */
  plans?: PlannedPage[][];
}

/** One replicate: n simulated participants' rows, exactly as the store would hand them to analysis. */
export function simulateDataset(protocol: Protocol, opts: SimulateOptions, rep = 0): SimulatedDataset {
  const seed = opts.seed ?? protocol.design.seed;
  const stimuli = simulatedStimuli(protocol, createRng(deriveSeed(seed, 'stimuli')));
  const conditions = protocol.design.conditions;
  const byId = new Map<string, SimStimulus>();
  for (const list of stimuli.values()) for (const st of list) byId.set(st.row.stimulus_id, st);
  const inputs: StimulusInput[] = [...byId.values()].map((st) => ({
    id: st.row.stimulus_id,
    pool: st.row.pool,
    text: st.row.text,
    label: st.label as StimulusInput['label'],
    length_words: st.row.length_words,
    boundary: st.boundary,
    sentences: st.sentences,
  }));
  const participants: ParticipantRow[] = [];
  const responses: ResponseRow[] = [];
  const plans: PlannedPage[][] = [];
  const version = `simulated-${seed}`;
  const t0 = Date.UTC(2026, 0, 1);
  for (let i = 0; i < opts.n; i++) {
    const cond = conditions[i % conditions.length];
    const pSeed = deriveSeed(seed, `rep:${rep}:participant:${i}`);
    const rng = createRng(pSeed);
    const pid = `sim-${rep}-${i}`;
    const careless = opts.careless != null && rng.next() < opts.careless;
    const profile = careless ? 'careless' : 'attentive';
    const shift = opts.effects?.[cond.id] ?? 0;
    let page = 0;
    const emit = (pageKind: PageKind, block: string | null, trialIndex: number | null, q: Question, stim: SimStimulus | null) => {
      const { descriptor, params, role } = resolved(q);
      const scaleShift = role === 'credibility_4pt' || role === 'credibility_10' || role === 'sharing';
      // The descriptors lower machine texts by `effect`; a machine label with effect −shift raises every answer by shift.
      const ctx = scaleShift
        ? { rng, profile, stimulus: { label: { source: 'machine' as const } }, effect: -shift }
        : { rng, profile, stimulus: stim ? { label: stim.label, boundary: stim.boundary, sentences: stim.sentences } : undefined, effect: role === 'detection' ? opts.detectionEffect : undefined };
      const answer =
        role === 'sharing' && profile === 'attentive' && q.type === 'choice' && !(params as { multiple?: boolean }).multiple
          ? shareAnswer((params as { options: { value: string }[] }).options, shift, rng)
          : descriptor.botAnswer(params, ctx as Parameters<typeof descriptor.botAnswer>[1]);
      const read = descriptor.read(params, answer, stim ? { stimulus: { label: stim.label, boundary: stim.boundary } } : undefined);
      const s = stim?.row ?? null;
      responses.push({
        study_id: protocol.id,
        study_version: version,
        participant_id: pid,
        condition: cond.id,
        page_index: page,
        page_kind: pageKind,
        block,
        trial_index: trialIndex,
        question_id: q.id,
        question_type: q.type,
        stimulus_id: s?.stimulus_id ?? null,
        stimulus_pool: s?.pool ?? null,
        stimulus_source: s?.source ?? null,
        model: s?.model ?? null,
        model_size: s?.model_size ?? null,
        sampling: s?.sampling ?? null,
        length_words: s?.length_words ?? null,
        value_json: JSON.stringify(answer),
        value_num: read.value_num,
        value_text: read.value_text,
        correct: read.correct,
        // Attentive answers come after the protocol's minimum answer time; careless ones often do not.
        rt_ms: profile === 'careless' ? 500 + rng.int(4000) : (protocol.exclusions.min_rt_ms ?? 0) + 2000 + rng.int(20000),
        timed_out: false,
        blur_count: 0,
        submitted_at: new Date(t0 + i * 60_000 + page * 1000).toISOString(),
        client_id: `${pid}-${page}`,
      });
    };
    let failed = false;
    const plan = buildPlan({ protocol, stimuli: inputs, condition: cond.id, seed: pSeed, participantIndex: i });
    if (opts.withPlans) plans.push(plan);
    for (const pg of plan) {
      if (failed) break;
      if (pg.kind === 'trial' || pg.kind === 'attention' || pg.kind === 'questionnaire') {
        const stim = pg.stimulusId ? byId.get(pg.stimulusId) ?? null : null;
        for (const q of pg.questions) emit(pg.kind, pg.block, pg.trialIndex, q, stim);
        // A careless participant fails the check and the engine ends the study for them.
        if (pg.kind === 'attention' && profile === 'careless' && protocol.exclusions.failed_attention) failed = true;
      }
      page++;
    }
    participants.push({
      study_id: protocol.id,
      study_version: version,
      participant_id: pid,
      condition: cond.id,
      status: failed ? 'failed-attention' : 'completed',
      prolific_pid: null,
      prolific_study_id: null,
      prolific_session_id: null,
      assignment_seed: pSeed,
      started_at: new Date(t0 + i * 60_000).toISOString(),
      ended_at: new Date(t0 + i * 60_000 + page * 1000).toISOString(),
      pages_total: page,
      page_index: page,
      takeovers: 0,
    });
  }
  const allStimuli = [...stimuli.values()].flat().map((s) => s.row);
  return { participants, responses, stimuli: allStimuli, ...(opts.withPlans ? { plans } : {}) };
}

export interface PlannedTestPower {
  item: string;
  test: string;
  comparison: string;
  /** Mean estimate over replicates (difference of means; accuracy; exact rate). */
  meanEstimate: number;
  power: number;
  reps: number;
}

export interface PowerReport {
  n: number;
  reps: number;
  alpha: number;
  effects: Record<string, number>;
  tests: PlannedTestPower[];
}

/** Runs `reps` replicates through the analysis and counts rejections of each planned test. */
export function simulatePower(protocol: Protocol, opts: SimulateOptions): PowerReport {
  const reps = opts.reps ?? 200;
  const alpha = opts.alpha ?? 0.05;
  const acc = new Map<string, { item: string; test: string; comparison: string; sum: number; hits: number; reps: number }>();
  const add = (item: string, test: string, comparison: string, estimate: number, p: number) => {
    const key = `${item}\u0000${test}\u0000${comparison}`;
    let a = acc.get(key);
    if (!a) acc.set(key, (a = { item, test, comparison, sum: 0, hits: 0, reps: 0 }));
    a.reps++;
    if (Number.isFinite(estimate)) a.sum += estimate;
    if (p < alpha) a.hits++;
  };
  for (let r = 0; r < reps; r++) {
    const data = simulateDataset(protocol, opts, r);
    const c = collect({ protocol, participants: data.participants, responses: data.responses, stimuli: data.stimuli });
    const res = analyzeCollected(c, data.stimuli, [], { bootstrap: false, party: false, seed: opts.seed });
    for (const s of res.scales) {
      if (s.role === 'confidence') continue;
      for (const p of s.pairwise) {
        add(s.questionId, 'Welch t (Holm)', `${p.a} vs ${p.b}`, p.difference, p.welchPHolm);
        add(s.questionId, 'Mann–Whitney (Holm)', `${p.a} vs ${p.b}`, p.difference, p.mannWhitneyPHolm);
      }
    }
    if (res.detection) add('detection', 'exact binomial vs 0.5', 'accuracy', res.detection.accuracy.p, res.detection.binomialP);
    if (res.roft) add('boundary', 'exact binomial vs chance', 'exact rate', res.roft.exact.p, res.roft.binomialP);
  }
  return {
    n: opts.n,
    reps,
    alpha,
    effects: opts.effects ?? {},
    tests: [...acc.values()].map((a) => ({ item: a.item, test: a.test, comparison: a.comparison, meanEstimate: a.sum / a.reps, power: a.hits / a.reps, reps: a.reps })),
  };
}
