// Which protocol question plays which part in the analysis, and its answer
// range: both come from the question's type descriptor (studies/questions),
// except that a protocol's `analysis: <role>` on a question overrides the
// type's default role. Nothing is guessed from question ids.
import type { Protocol, Question } from '../studies/protocol.ts';
import { resolveQuestion, roleOf } from '../studies/questions/index.ts';
import type { Role } from '../studies/vocabulary/roles.ts';

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

function describe(q: Question, phase: string): QuestionInfo {
  const { descriptor, params } = resolveQuestion(q);
  const scale = descriptor.scale?.(params);
  return {
    id: q.id,
    type: q.type,
    role: roleOf(q),
    prompt: q.prompt ?? null,
    phase,
    question: q,
    min: scale?.min ?? null,
    max: scale?.max ?? null,
    levels: scale?.levels ?? [],
  };
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
