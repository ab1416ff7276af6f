// Which protocol question plays which part in the analysis. The mapping is
// small and explicit, in this order:
//   1. an `analysis: <role>` key on the question, if the protocol carries one;
//   2. the question id: /share|sharing/ → sharing, /cred/ with a likert → credibility_4pt
//      (any number of points), /cred/ with a slider → credibility_10, /confiden/ → confidence;
//   3. the question type: likert with 4 points → credibility_4pt; slider 0–10 →
//      credibility_10; choice whose id contains "share" → sharing; demographics →
//      demographics (party_id and ideology are read from it); judgment → detection;
//      boundary → boundary; attention → attention; comprehension → comprehension;
//      text → rationale; anything else → other (exported, not analysed).
import type { Protocol, Question } from '../studies/protocol.ts';

export type Role =
  | 'credibility_4pt'
  | 'credibility_10'
  | 'sharing'
  | 'demographics'
  | 'detection'
  | 'confidence'
  | 'boundary'
  | 'attention'
  | 'comprehension'
  | 'rationale'
  | 'other';

export const ROLES: readonly Role[] = [
  'credibility_4pt',
  'credibility_10',
  'sharing',
  'demographics',
  'detection',
  'confidence',
  'boundary',
  'attention',
  'comprehension',
  'rationale',
  'other',
];

export interface QuestionInfo {
  id: string;
  type: string;
  role: Role;
  prompt: string | null;
  /** Where the question sits: the phase kind (trials, questionnaire…). */
  phase: string;
  /** The question as written in the protocol (type parameters included). */
  question: Question;
  /** For scale items: the answer range. */
  min: number | null;
  max: number | null;
  /** Point labels (likert, judgment) or option values (choice), lowest first. */
  levels: string[];
}

export function roleOf(q: Question): Role {
  const explicit = (q as Record<string, unknown>).analysis;
  if (typeof explicit === 'string' && (ROLES as readonly string[]).includes(explicit)) return explicit as Role;
  const id = q.id.toLowerCase();
  const p = q as Record<string, unknown>;
  const labels = Array.isArray(p.labels) ? p.labels : null;
  if (/shar(e|ing)/.test(id) && (q.type === 'choice' || q.type === 'likert' || q.type === 'slider')) return 'sharing';
  if (/cred/.test(id) && q.type === 'likert') return 'credibility_4pt';
  if (/cred/.test(id) && q.type === 'slider') return 'credibility_10';
  if (/confiden/.test(id) && (q.type === 'likert' || q.type === 'slider')) return 'confidence';
  switch (q.type) {
    case 'likert':
      return labels?.length === 4 ? 'credibility_4pt' : 'other';
    case 'slider':
      return p.min === 0 && p.max === 10 ? 'credibility_10' : 'other';
    case 'demographics':
      return 'demographics';
    case 'judgment':
      return 'detection';
    case 'boundary':
      return 'boundary';
    case 'attention':
      return 'attention';
    case 'comprehension':
      return 'comprehension';
    case 'text':
      return 'rationale';
    default:
      return 'other';
  }
}

const DEFAULT_JUDGMENT_POINTS = 4;

function describe(q: Question, phase: string): QuestionInfo {
  const p = q as Record<string, unknown>;
  let levels: string[] = [];
  let min: number | null = null;
  let max: number | null = null;
  if (q.type === 'likert' && Array.isArray(p.labels)) {
    levels = p.labels.map(String);
    [min, max] = [1, levels.length];
  } else if (q.type === 'judgment') {
    levels = Array.isArray(p.labels) ? p.labels.map(String) : [];
    [min, max] = [1, levels.length || DEFAULT_JUDGMENT_POINTS];
  } else if (q.type === 'slider' && typeof p.min === 'number' && typeof p.max === 'number') {
    [min, max] = [p.min, p.max];
  } else if ((q.type === 'choice' || q.type === 'attention') && Array.isArray(p.options)) {
    levels = p.options.map((o) => (typeof o === 'string' ? o : String((o as { value?: unknown }).value)));
    [min, max] = [1, levels.length];
  }
  return { id: q.id, type: q.type, role: roleOf(q), prompt: q.prompt ?? null, phase, question: q, min, max, levels };
}

/** Every question of the protocol, keyed by id (the first occurrence wins when an id repeats). */
export function questionMap(protocol: Protocol): Map<string, QuestionInfo> {
  const out = new Map<string, QuestionInfo>();
  const add = (q: Question, phase: string) => {
    if (!out.has(q.id)) out.set(q.id, describe(q, phase));
  };
  for (const phase of protocol.phases) {
    switch (phase.kind) {
      case 'comprehension':
      case 'training':
      case 'questionnaire':
        phase.questions.forEach((q) => add(q, phase.kind));
        break;
      case 'trials':
        phase.blocks.forEach((b) => b.questions.forEach((q) => add(q, 'trials')));
        phase.attention_checks.forEach((a) => add(a.question, 'attention'));
        break;
      default:
        break;
    }
  }
  return out;
}

/** "Yes" on a sharing item: the option values that say the reader would share. */
export function saysShare(value: string | null): boolean | null {
  if (value == null) return null;
  const v = value.trim().toLowerCase();
  if (/^(no|not|never|unlikely|very[_ -]?unlikely|somewhat[_ -]?unlikely|false|0)\b/.test(v) || /\bnot\b|unlikely/.test(v)) return false;
  if (/^(yes|y|true|1|share|would[_ -]?share|likely|very[_ -]?likely|somewhat[_ -]?likely|definitely)\b/.test(v)) return true;
  return null;
}

/** Party identification (7-point) folded into three groups for the condition × party table. */
export function partyGroup(partyId: number | null): string {
  if (partyId == null || !Number.isFinite(partyId)) return 'unknown';
  if (partyId <= 3) return 'Democrat';
  if (partyId === 4) return 'Independent';
  return 'Republican';
}
