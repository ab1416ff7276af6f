// One pass over the response rows: each answer goes to the compact list its
// question's role needs (scale items, judgments, boundary picks), and each
// participant gets the counts the exclusion rules read. Everything after this
// works on these lists, so the row iterator is read exactly once.
import type { Protocol } from '../studies/protocol.ts';
import type { AnalysisParticipantRow, AnalysisResponseRow, StimulusRow } from './rows.ts';
import { questionMap, saysShare, type QuestionInfo } from './roles.ts';
import { questionTypes, roleOf } from '../studies/questions/index.ts';
import { questionParams } from '../studies/question-type.ts';
import type { Role } from '../studies/vocabulary/roles.ts';
import { splitSentences } from '../studies/sentences.ts';
import { isTooFast } from './exclusions.ts';

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
  /** Answers whose reported response time contradicts the server's observation (flagged, not dropped). */
  rtInconsistent: number;
  answers: number;
}

/**
 * A scale item's answers as columns, one entry per answer (0 … n − 1): at a million responses, an
 * object per answer that lives until the statistics are done cost the garbage collector more than
 * the statistics cost themselves.
 */
export class ScaleObs {
  n = 0;
  /** The participant's index. */
  p = new Int32Array(64);
  v = new Float64Array(64);
  /** 1 when the answer counts as "credible"/"would share", 0 when not, -1 when the item has no such split. */
  top = new Int8Array(64);
  /** 1 when the answer came faster than the protocol's minimum. */
  fast = new Uint8Array(64);

  push(p: number, v: number, top: number, fast: boolean): void {
    if (this.n === this.p.length) this.grow();
    const i = this.n++;
    this.p[i] = p;
    this.v[i] = v;
    this.top[i] = top;
    this.fast[i] = fast ? 1 : 0;
  }

  private grow(): void {
    const size = this.p.length * 2;
    this.p = grown(this.p, size);
    this.v = grown(this.v, size);
    this.top = grown(this.top, size);
    this.fast = grown(this.fast, size);
  }
}

/** A typed-array column copied into a new one of `size` entries (a column that is full grows by doubling). */
function grown<T extends Int32Array | Int8Array | Uint8Array | Float64Array>(column: T, size: number): T {
  const next = new (column.constructor as new (size: number) => T)(size);
  next.set(column);
  return next;
}

export interface ScaleItem {
  info: QuestionInfo;
  obs: ScaleObs;
  timedOut: number;
}

/**
 * The detection judgments as columns, one entry per judgment (0 … n − 1), in the order they were read:
 * a quarter of a million objects of ten fields, alive until the statistics are done, cost the
 * garbage collector more than counting them. Strings (stimulus id, model size, sampling) are held as
 * codes into `names` (−1 for none).
 */
export class Judgments {
  n = 0;
  /** The participant's index. */
  p = new Int32Array(64);
  stimulus = new Int32Array(64);
  /** 1 when the text is machine-written, 0 when human. */
  machine = new Uint8Array(64);
  modelSize = new Int32Array(64);
  sampling = new Int32Array(64);
  /** NaN when unknown. */
  lengthWords = new Float64Array(64);
  /** The answer on the judgment scale. */
  value = new Float64Array(64);
  /** How many points the scale has. */
  points = new Float64Array(64);
  /** 1 when the answer says "machine". */
  saidMachine = new Uint8Array(64);
  /** 1 when the answer came faster than the protocol's minimum. */
  fast = new Uint8Array(64);
  /** The strings the code columns point into. */
  readonly names: string[] = [];
  private readonly codes = new Map<string, number>();

  push(p: number, stimulus: string | null, machine: boolean, modelSize: string | null, sampling: string | null, lengthWords: number | null, value: number, points: number, saidMachine: boolean, fast: boolean): void {
    if (this.n === this.p.length) this.grow();
    const i = this.n++;
    this.p[i] = p;
    this.stimulus[i] = this.code(stimulus);
    this.machine[i] = machine ? 1 : 0;
    this.modelSize[i] = this.code(modelSize);
    this.sampling[i] = this.code(sampling);
    this.lengthWords[i] = lengthWords ?? NaN;
    this.value[i] = value;
    this.points[i] = points;
    this.saidMachine[i] = saidMachine ? 1 : 0;
    this.fast[i] = fast ? 1 : 0;
  }

  /** The string a code column holds at an entry, or null. */
  name(code: number): string | null {
    return code < 0 ? null : this.names[code];
  }

  /** Whether judgment i named the text's source rightly. */
  correct(i: number): boolean {
    return this.saidMachine[i] === this.machine[i];
  }

  private code(s: string | null): number {
    if (s == null) return -1;
    let k = this.codes.get(s);
    if (k === undefined) {
      this.codes.set(s, (k = this.names.length));
      this.names.push(s);
    }
    return k;
  }

  private grow(): void {
    const size = this.p.length * 2;
    this.p = grown(this.p, size);
    this.stimulus = grown(this.stimulus, size);
    this.machine = grown(this.machine, size);
    this.modelSize = grown(this.modelSize, size);
    this.sampling = grown(this.sampling, size);
    this.lengthWords = grown(this.lengthWords, size);
    this.value = grown(this.value, size);
    this.points = grown(this.points, size);
    this.saidMachine = grown(this.saidMachine, size);
    this.fast = grown(this.fast, size);
  }
}

export interface BoundaryObs {
  p: number;
  stimulus: string | null;
  guess: number;
  boundary: number;
  sentences: number | null;
  fast: boolean;
}

/** One categorize answer: the labels one participant gave one stimulus (`none` for none of these). */
export interface CategoryObs {
  p: number;
  question: string;
  stimulus: string;
  labels: string[];
}

export interface Collected {
  protocol: Protocol;
  conditions: string[];
  participants: ParticipantState[];
  byId: Map<string, ParticipantState>;
  items: Map<string, ScaleItem>;
  judgments: Judgments;
  boundaries: BoundaryObs[];
  categories: CategoryObs[];
  rows: number;
  timedOutRows: number;
  studyVersions: Set<string>;
  /** Judgments or picks whose stimulus had no label or no boundary: counted, not analysed. */
  unlabelled: number;
  minRtMs: number | null;
}

/** Roles read as scale items (means, pairwise tests); `credence simulate` and the preregistration plan tests on all but confidence. */
export const SCALE_ROLES: ReadonlySet<Role> = new Set(['credibility_4pt', 'credibility_10', 'sharing', 'confidence']);

export interface CollectInput {
  protocol: Protocol;
  participants: readonly AnalysisParticipantRow[];
  responses: Iterable<AnalysisResponseRow>;
  stimuli: readonly StimulusRow[];
}

export function collect(input: CollectInput): Collected {
  const c = new Collection(input);
  for (const r of input.responses) c.add(r);
  return c.result();
}

/** The state of one pass: who answered, what each question's role collected, and the counts. */
class Collection {
  private readonly protocol: Protocol;
  private readonly questions: Map<string, QuestionInfo>;
  private readonly minRtMs: number | null;
  private readonly conditions: string[];
  private readonly participants: ParticipantState[] = [];
  private readonly byId = new Map<string, ParticipantState>();
  private readonly stimuli: StimulusIndex;
  private readonly items = new Map<string, ScaleItem>();
  private readonly judgments = new Judgments();
  private readonly boundaries: BoundaryObs[] = [];
  private readonly categories: CategoryObs[] = [];
  private readonly studyVersions = new Set<string>();
  private readonly fallbackInfo = new Map<string, QuestionInfo>();
  private rows = 0;
  private timedOutRows = 0;
  private unlabelled = 0;
  private last: ParticipantState | undefined;

  constructor(input: CollectInput) {
    this.protocol = input.protocol;
    this.questions = questionMap(input.protocol);
    this.minRtMs = input.protocol.exclusions.min_rt_ms ?? null;
    this.conditions = input.protocol.design.conditions.map((c) => c.id);
    this.stimuli = new StimulusIndex(input.stimuli);
    for (const p of input.participants) this.participant(p.participant_id, p.condition, p.status);
  }

  /** One response row: counted for its participant, then handed to its question's role. */
  add(r: AnalysisResponseRow): void {
    this.rows++;
    this.studyVersions.add(r.study_version);
    // A response's answers (and, read participant by participant, all of a participant's) come one after
    // another: the last participant saves a lookup in a map of tens of thousands.
    const ps = r.participant_id === this.last?.id ? this.last : (this.last = this.participant(r.participant_id, r.condition, null));
    const info = this.infoOf(r);
    const fast = this.countTiming(ps, r);
    const role = info.role;
    if (role === 'attention' || r.page_kind === 'attention') return this.addAttention(ps, r);
    if (r.timed_out) {
      if (SCALE_ROLES.has(role)) itemOf(this.items, info).timedOut++;
      return;
    }
    if (SCALE_ROLES.has(role)) this.addScale(ps, info, r, fast);
    else if (role === 'demographics') addDemographics(ps, r);
    else if (role === 'detection') this.addJudgment(ps, info, r, fast);
    else if (role === 'boundary') this.addBoundary(ps, r, fast);
    else if (role === 'categorization' && r.stimulus_id != null && r.value_text) {
      this.categories.push({ p: ps.index, question: info.id, stimulus: r.stimulus_id, labels: r.value_text.split('|') });
    }
  }

  result(): Collected {
    const { protocol, conditions, participants, byId, items, judgments, boundaries, categories, rows, timedOutRows, studyVersions, unlabelled, minRtMs } = this;
    return { protocol, conditions, participants, byId, items, judgments, boundaries, categories, rows, timedOutRows, studyVersions, unlabelled, minRtMs };
  }

  private participant(id: string, condition: string, status: string | null): ParticipantState {
    let s = this.byId.get(id);
    if (!s) {
      s = { index: this.participants.length, id, condition, status, partyId: null, ideology: null, attentionItems: 0, attentionFailed: 0, trialTimeouts: 0, timeouts: 0, fastAnswers: 0, rtInconsistent: 0, answers: 0 };
      this.participants.push(s);
      this.byId.set(id, s);
      if (!this.conditions.includes(condition)) this.conditions.push(condition);
    }
    return s;
  }

  /** The question as the newest protocol has it; a question it no longer has gets its role from its type alone. */
  private infoOf(r: AnalysisResponseRow): QuestionInfo {
    const known = this.questions.get(r.question_id);
    if (known) return known;
    const key = `${r.question_id}\u0000${r.question_type}`;
    let info = this.fallbackInfo.get(key);
    if (!info) {
      const q = { id: r.question_id, type: r.question_type, required: true };
      info = { id: q.id, type: q.type, role: roleOf(q), prompt: null, phase: r.page_kind, question: q, min: null, max: null, levels: [] };
      this.fallbackInfo.set(key, info);
    }
    return info;
  }

  /** Timeouts and trial answers faster than the protocol's minimum; returns whether this one was too fast. */
  private countTiming(ps: ParticipantState, r: AnalysisResponseRow): boolean {
    if (r.timed_out) {
      this.timedOutRows++;
      ps.timeouts++;
      if (r.page_kind === 'trial') ps.trialTimeouts++;
    } else ps.answers++;
    const fast = isTooFast(r, this.minRtMs);
    if (fast) ps.fastAnswers++;
    if (r.rt_inconsistent) ps.rtInconsistent++;
    return fast;
  }

  /** An attention check left to time out counts as failed, as the engine ends such a participant. */
  private addAttention(ps: ParticipantState, r: AnalysisResponseRow): void {
    ps.attentionItems++;
    if (r.correct === false || r.timed_out) ps.attentionFailed++;
  }

  private addScale(ps: ParticipantState, info: QuestionInfo, r: AnalysisResponseRow, fast: boolean): void {
    if (r.value_num == null) return;
    itemOf(this.items, info).obs.push(ps.index, r.value_num, topOf(info, r), fast);
  }

  private addJudgment(ps: ParticipantState, info: QuestionInfo, r: AnalysisResponseRow, fast: boolean): void {
    const source = r.stimulus_source ?? this.stimuli.sourceOf(r.stimulus_id);
    const saidMachine = source == null || r.value_num == null ? null : saysMachineOf(info, r);
    if (source == null || r.value_num == null || saidMachine == null) {
      this.unlabelled++;
      return;
    }
    this.judgments.push(ps.index, r.stimulus_id, source === 'machine', r.model_size, r.sampling, r.length_words, r.value_num, info.max ?? 4, saidMachine, fast);
  }

  private addBoundary(ps: ParticipantState, r: AnalysisResponseRow, fast: boolean): void {
    const boundary = this.stimuli.boundaryOf(r.stimulus_id);
    if (boundary == null || r.value_num == null) {
      this.unlabelled++;
      return;
    }
    this.boundaries.push({ p: ps.index, stimulus: r.stimulus_id, guess: r.value_num, boundary, sentences: this.stimuli.sentencesOf(r.stimulus_id), fast });
  }
}

/** Party ID and ideology from a demographics answer. */
function addDemographics(ps: ParticipantState, r: AnalysisResponseRow): void {
  const parts = parseObject(r.value_json ?? r.value_text);
  if (!parts) return;
  if (typeof parts.party_id === 'number') ps.partyId = parts.party_id;
  if (typeof parts.ideology === 'number') ps.ideology = parts.ideology;
}

/** The stimuli by id, with what the analysis reads from them (source, boundary, sentence count, each computed once). */
class StimulusIndex {
  private readonly byId = new Map<string, StimulusRow>();
  private readonly sentenceCounts = new Map<string, number | null>();

  constructor(stimuli: readonly StimulusRow[]) {
    for (const s of stimuli) this.byId.set(s.stimulus_id, s);
  }

  sourceOf(id: string | null): 'human' | 'machine' | null {
    return (id ? this.byId.get(id)?.source : null) ?? null;
  }

  boundaryOf(id: string | null): number | null {
    const stim = id ? this.byId.get(id) : undefined;
    return stim?.boundary ?? boundaryFromProvenance(stim?.provenance_json ?? null);
  }

  sentencesOf(id: string | null): number | null {
    if (id == null) return null;
    if (!this.sentenceCounts.has(id)) {
      const s = this.byId.get(id);
      this.sentenceCounts.set(id, s?.sentence_count ?? (s ? splitSentences(s.text).length : null));
    }
    return this.sentenceCounts.get(id)!;
  }
}

/** Per question: how its type reads the judged source of a stored answer, or null when the type cannot say. */
const machineReaders = new WeakMap<QuestionInfo, ((r: AnalysisResponseRow) => boolean | null) | null>();

/** The judged source of a detection answer, as the question type reads it (null: the type cannot say). */
function saysMachineOf(info: QuestionInfo, r: AnalysisResponseRow): boolean | null {
  let reader = machineReaders.get(info);
  if (reader === undefined) {
    const descriptor = Object.hasOwn(questionTypes, info.type) ? questionTypes[info.type] : undefined;
    const parsed = descriptor?.params.safeParse(questionParams(info.question));
    // A judgment known only from its rows: its default scale.
    const params = parsed?.success ? parsed.data : descriptor?.params.safeParse({}).data;
    const says = descriptor?.saysMachine;
    reader = says && params !== undefined ? (row) => says(params, row) : null;
    machineReaders.set(info, reader);
  }
  return reader ? reader(r) : null;
}

function itemOf(items: Map<string, ScaleItem>, info: QuestionInfo): ScaleItem {
  let item = items.get(info.id);
  if (!item) items.set(info.id, (item = { info, obs: new ScaleObs(), timedOut: 0 }));
  return item;
}

function topOf(info: QuestionInfo, r: AnalysisResponseRow): number {
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
