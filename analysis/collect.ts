// One pass over the response rows: each answer goes to the compact list its
// question's role needs (scale items, judgments, boundary picks), and each
// participant gets the counts the exclusion rules read. Everything after this
// works on these lists, so the row iterator is read exactly once.
import type { Protocol } from '../studies/protocol.ts';
import type { ParticipantRow, ResponseRow, StimulusRow } from './rows.ts';
import { questionMap, saysShare, type QuestionInfo } from './roles.ts';
import { questionTypes, roleOf } from '../studies/questions/index.ts';
import { questionParams } from '../studies/question-type.ts';
import type { Role } from '../studies/vocabulary/roles.ts';
import { splitSentences } from '../studies/sentences.ts';

export interface ParticipantState {
  index: number;
  id: string;
  condition: string;
  status: string | null;
  partyId: number | null;
  ideology: number | null;
  attentionItems: number;
  attentionFailed: number;
  trialTimeouts: number;
  timeouts: number;
  fastAnswers: number;
  answers: number;
}

export interface ScaleObs {
  p: number;
  v: number;
  /** 1 when the answer counts as "credible"/"would share", 0 when not, -1 when the item has no such split. */
  top: number;
  fast: boolean;
}

export interface ScaleItem {
  info: QuestionInfo;
  obs: ScaleObs[];
  timedOut: number;
}

export interface JudgmentObs {
  p: number;
  stimulus: string | null;
  source: 'human' | 'machine';
  modelSize: string | null;
  sampling: string | null;
  lengthWords: number | null;
  value: number;
  points: number;
  saidMachine: boolean;
  fast: boolean;
}

export interface BoundaryObs {
  p: number;
  stimulus: string | null;
  guess: number;
  boundary: number;
  sentences: number | null;
  fast: boolean;
}

export interface Collected {
  protocol: Protocol;
  conditions: string[];
  participants: ParticipantState[];
  byId: Map<string, ParticipantState>;
  items: Map<string, ScaleItem>;
  judgments: JudgmentObs[];
  boundaries: BoundaryObs[];
  rows: number;
  timedOutRows: number;
  studyVersions: Set<string>;
  /** Judgments or picks whose stimulus had no label or no boundary: counted, not analysed. */
  unlabelled: number;
  minRtMs: number | null;
}

const SCALE_ROLES: ReadonlySet<Role> = new Set(['credibility_4pt', 'credibility_10', 'sharing', 'confidence']);

export function collect(input: {
  protocol: Protocol;
  participants: readonly ParticipantRow[];
  responses: Iterable<ResponseRow>;
  stimuli: readonly StimulusRow[];
}): Collected {
  const { protocol } = input;
  const questions = questionMap(protocol);
  const minRtMs = protocol.exclusions.min_rt_ms ?? null;
  const conditions = protocol.design.conditions.map((c) => c.id);
  const participants: ParticipantState[] = [];
  const byId = new Map<string, ParticipantState>();
  const state = (id: string, condition: string, status: string | null): ParticipantState => {
    let s = byId.get(id);
    if (!s) {
      s = {
        index: participants.length,
        id,
        condition,
        status,
        partyId: null,
        ideology: null,
        attentionItems: 0,
        attentionFailed: 0,
        trialTimeouts: 0,
        timeouts: 0,
        fastAnswers: 0,
        answers: 0,
      };
      participants.push(s);
      byId.set(id, s);
      if (!conditions.includes(condition)) conditions.push(condition);
    }
    return s;
  };
  for (const p of input.participants) state(p.participant_id, p.condition, p.status);

  const stimuli = new Map<string, StimulusRow>();
  for (const s of input.stimuli) stimuli.set(s.stimulus_id, s);
  const sentenceCounts = new Map<string, number | null>();
  const sentencesOf = (id: string | null): number | null => {
    if (id == null) return null;
    if (!sentenceCounts.has(id)) {
      const s = stimuli.get(id);
      sentenceCounts.set(id, s?.sentence_count ?? (s ? splitSentences(s.text).length : null));
    }
    return sentenceCounts.get(id)!;
  };

  const items = new Map<string, ScaleItem>();
  const judgments: JudgmentObs[] = [];
  const boundaries: BoundaryObs[] = [];
  const studyVersions = new Set<string>();
  let rows = 0, timedOutRows = 0, unlabelled = 0;
  const fallbackInfo = new Map<string, QuestionInfo>();

  for (const r of input.responses) {
    rows++;
    studyVersions.add(r.study_version);
    const ps = state(r.participant_id, r.condition, null);
    let info = questions.get(r.question_id);
    if (!info) {
      // A question the newest protocol version no longer has: role from its type alone.
      const key = `${r.question_id}\u0000${r.question_type}`;
      info = fallbackInfo.get(key);
      if (!info) {
        const q = { id: r.question_id, type: r.question_type, required: true };
        info = { id: q.id, type: q.type, role: roleOf(q), prompt: null, phase: r.page_kind, question: q, min: null, max: null, levels: [] };
        fallbackInfo.set(key, info);
      }
    }
    if (r.timed_out) {
      timedOutRows++;
      ps.timeouts++;
      if (r.page_kind === 'trial') ps.trialTimeouts++;
    } else ps.answers++;
    const fast = !r.timed_out && minRtMs != null && r.rt_ms != null && r.rt_ms < minRtMs;
    if (fast) ps.fastAnswers++;
    const role = info.role;
    if (role === 'attention' || r.page_kind === 'attention') {
      // An attention check left to time out counts as failed, as the engine ends such a participant.
      ps.attentionItems++;
      if (r.correct === false || r.timed_out) ps.attentionFailed++;
      continue;
    }
    if (r.timed_out) {
      if (SCALE_ROLES.has(role)) itemOf(items, info).timedOut++;
      continue;
    }
    if (SCALE_ROLES.has(role)) {
      if (r.value_num == null) continue;
      const item = itemOf(items, info);
      item.obs.push({ p: ps.index, v: r.value_num, top: topOf(info, r), fast });
    } else if (role === 'demographics') {
      const parts = parseObject(r.value_json ?? r.value_text);
      if (parts) {
        if (typeof parts.party_id === 'number') ps.partyId = parts.party_id;
        if (typeof parts.ideology === 'number') ps.ideology = parts.ideology;
      }
    } else if (role === 'detection') {
      const source = r.stimulus_source ?? (r.stimulus_id ? stimuli.get(r.stimulus_id)?.source : null) ?? null;
      if (source == null || r.value_num == null) {
        unlabelled++;
        continue;
      }
      const points = info.max ?? 4;
      const saidMachine = saysMachineOf(info, r);
      if (saidMachine == null) {
        unlabelled++;
        continue;
      }
      judgments.push({
        p: ps.index,
        stimulus: r.stimulus_id,
        source,
        modelSize: r.model_size,
        sampling: r.sampling,
        lengthWords: r.length_words,
        value: r.value_num,
        points,
        saidMachine,
        fast,
      });
    } else if (role === 'boundary') {
      const stim = r.stimulus_id ? stimuli.get(r.stimulus_id) : undefined;
      const boundary = stim?.boundary ?? boundaryFromProvenance(stim?.provenance_json ?? null);
      if (boundary == null || r.value_num == null) {
        unlabelled++;
        continue;
      }
      boundaries.push({ p: ps.index, stimulus: r.stimulus_id, guess: r.value_num, boundary, sentences: sentencesOf(r.stimulus_id), fast });
    }
  }
  return { protocol, conditions, participants, byId, items, judgments, boundaries, rows, timedOutRows, studyVersions, unlabelled, minRtMs };
}

/** The judged source of a detection answer, as the question type reads it (null: the type cannot say). */
function saysMachineOf(info: QuestionInfo, r: ResponseRow): boolean | null {
  if (!Object.hasOwn(questionTypes, info.type)) return null;
  const descriptor = questionTypes[info.type];
  if (!descriptor.saysMachine) return null;
  const parsed = descriptor.params.safeParse(questionParams(info.question));
  // A judgment known only from its rows: its default scale.
  const params = parsed.success ? parsed.data : descriptor.params.safeParse({}).data;
  return params === undefined ? null : descriptor.saysMachine(params, r);
}

function itemOf(items: Map<string, ScaleItem>, info: QuestionInfo): ScaleItem {
  let item = items.get(info.id);
  if (!item) items.set(info.id, (item = { info, obs: [], timedOut: 0 }));
  return item;
}

function topOf(info: QuestionInfo, r: ResponseRow): number {
  const v = r.value_num!;
  if (info.role === 'credibility_4pt') {
    const max = info.max ?? 4;
    return v >= max - 1 ? 1 : 0;
  }
  if (info.role === 'sharing') {
    // "Would share" = a yes-like option; maybe/no/anything else counts as not sharing.
    return saysShare(r.value_text) === true ? 1 : 0;
  }
  return -1;
}

/** A JSON object stored as text (a composite answer, a provenance record), or null. */
export function parseObject(text: string | null): Record<string, unknown> | null {
  if (!text) return null;
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

function boundaryFromProvenance(json: string | null): number | null {
  const p = parseObject(json);
  return p && typeof p.boundary === 'number' ? p.boundary : null;
}

/** Length bins (words) for the accuracy-by-length tables. */
export const LENGTH_BINS: readonly { label: string; lo: number; hi: number }[] = [
  { label: '<50 words', lo: 0, hi: 50 },
  { label: '50–99 words', lo: 50, hi: 100 },
  { label: '100–199 words', lo: 100, hi: 200 },
  { label: '200+ words', lo: 200, hi: Infinity },
];

export function lengthBin(words: number | null): string {
  if (words == null) return 'unknown';
  return LENGTH_BINS.find((b) => words >= b.lo && words < b.hi)?.label ?? 'unknown';
}
