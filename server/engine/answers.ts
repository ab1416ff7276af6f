// Checks the answers of one submission against the page's questions and reads
// them into analysis columns. The descriptors (studies/questions) say what an
// answer may be; the engine adds the consent question itself.
import { z } from 'zod';
import type { Question } from '../../studies/protocol.ts';
import type { ReadContext } from '../../studies/question-type.ts';
import { resolveQuestion } from '../../studies/questions/index.ts';
import type { AnswerInput, PlannedPage } from '../store/store.ts';
import { firstIssue } from '../../studies/issues.ts';

export type AnswerCheck = { ok: true; answers: AnswerInput[] } | { ok: false; error: string; field: string };

const resolved = new WeakMap<Question, ReturnType<typeof resolveQuestion>>();
function resolve(q: Question) {
  let r = resolved.get(q);
  if (!r) {
    r = resolveQuestion(q);
    resolved.set(q, r);
  }
  return r;
}

export function checkAnswers(page: PlannedPage, given: Record<string, unknown>, ctx: ReadContext): AnswerCheck {
  const ids = new Set(page.questions.map((q) => q.id));
  for (const k of Object.keys(given)) {
    if (!ids.has(k)) return { ok: false, error: `no question '${k}' on this page`, field: `answers.${k}` };
  }
  const out: AnswerInput[] = [];
  for (const q of page.questions) {
    const a = given[q.id];
    if (a === undefined || a === null) {
      if (q.required !== false) return { ok: false, error: `question '${q.id}' needs an answer`, field: `answers.${q.id}` };
      out.push({ questionId: q.id, questionType: q.type, valueJson: null, valueNum: null, valueText: null, correct: null });
      continue;
    }
    const { descriptor, params } = resolve(q);
    const parsed = (descriptor.response(params) as z.ZodType).safeParse(a);
    if (!parsed.success) {
      const m = firstIssue(parsed.error, { prefix: ['answers', q.id] });
      return { ok: false, error: m.error, field: m.field! };
    }
    const read = descriptor.read(params, parsed.data, ctx);
    out.push({
      questionId: q.id,
      questionType: q.type,
      valueJson: JSON.stringify(parsed.data),
      valueNum: read.value_num,
      valueText: read.value_text,
      correct: read.correct,
    });
  }
  return { ok: true, answers: out };
}

/**
 * The rows of a page that timed out: each question with the answer the
 * participant had given so far (their last draft), when it is a valid one,
 * else unanswered. A partial answer is data; the response is still timed out.
 */
export function timedOutAnswers(page: PlannedPage, draft: Record<string, unknown> = {}, ctx: ReadContext = {}): AnswerInput[] {
  return page.questions.map((q) => {
    const given = draft[q.id];
    if (given !== undefined && given !== null && !resolve(q).descriptor.engineOnly) {
      const one = checkAnswers({ ...page, questions: [q] }, { [q.id]: given }, ctx);
      if (one.ok) return one.answers[0];
    }
    return {
      questionId: q.id,
      questionType: q.type,
      valueJson: null,
      valueNum: null,
      valueText: null,
      // An attention page left to time out is not passed; elsewhere the type's own rule says.
      correct: page.kind === 'attention' ? false : (resolve(q).descriptor.unansweredCorrect ?? null),
    };
  });
}

/** The expected answer is the server's secret: strip it (and per-attempt feedback) before a page goes out. */
export function publicQuestion(q: Question): Question {
  const { expected: _e, feedback: _f, ...rest } = q as Question & { expected?: unknown; feedback?: unknown };
  return rest as Question;
}

export function botParams(q: Question): { descriptor: ReturnType<typeof resolveQuestion>['descriptor']; params: unknown } {
  return resolve(q);
}
