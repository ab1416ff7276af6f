// The registry of question types: protocols name a type, everyone looks it up here.
import { questionParams, type QuestionType } from '../question-type.ts';
import { firstIssue } from '../issues.ts';
import type { Question } from '../protocol.ts';
import type { Role } from '../vocabulary/roles.ts';
import { likert } from './likert.ts';
import { slider } from './slider.ts';
import { choice } from './choice.ts';
import { judgment } from './judgment.ts';
import { text } from './text.ts';
import { boundary } from './boundary.ts';
import { demographics } from './demographics.ts';
import { attention } from './attention.ts';
import { comprehension } from './comprehension.ts';
import { consent } from './consent.ts';
import { ranking } from './ranking.ts';
import { categorize } from './categorize.ts';

export const questionTypes: Record<string, QuestionType> = {
  likert,
  slider,
  choice,
  judgment,
  text,
  boundary,
  demographics,
  attention,
  comprehension,
  ranking,
  categorize,
  consent,
};

/** Whether a protocol may ask a question of this type (known, and not one the engine adds itself). */
export function isProtocolType(type: string): boolean {
  return Object.hasOwn(questionTypes, type) && !questionTypes[type].engineOnly;
}

/** The types a protocol may ask, for error messages. */
export function protocolTypeNames(): string[] {
  return Object.keys(questionTypes).filter(isProtocolType);
}

/** The descriptor of `type`; throws for a type no descriptor handles (a loaded protocol never has one). */
export function getQuestionType(type: string): QuestionType {
  if (!Object.hasOwn(questionTypes, type)) {
    throw new Error(`unknown question type '${type}' (known: ${Object.keys(questionTypes).join(', ')})`);
  }
  return questionTypes[type];
}

/**
 * The role a question plays in the analysis: the protocol's `analysis:` if
 * given, else its type's default. A question known only from stored answers
 * (no parameters) gets the role of its type; an unknown type plays none.
 */
export function roleOf(question: Question): Role {
  if (question.analysis) return question.analysis;
  if (!Object.hasOwn(questionTypes, question.type)) return 'other';
  const descriptor = questionTypes[question.type];
  const parsed = descriptor.params.safeParse(questionParams(question));
  return descriptor.role(parsed.success ? parsed.data : undefined);
}

/**
 * A protocol question with its descriptor and parsed parameters (defaults
 * filled in), ready for response(params), botAnswer(params, …) and read(params, …).
 */
export function resolveQuestion(question: Question): { descriptor: QuestionType; params: any } {
  const descriptor = getQuestionType(question.type);
  const parsed = descriptor.params.safeParse(questionParams(question));
  if (!parsed.success) {
    throw new Error(`question '${question.id}' (${question.type}): ${firstIssue(parsed.error, { root: 'parameters' }).error}`);
  }
  return { descriptor, params: parsed.data };
}
