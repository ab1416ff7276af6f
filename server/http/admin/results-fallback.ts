// Until analysis/ exports its report builder, the Results view shows this:
// per condition, how many participants answered and the mean of every numeric
// answer (likert points, slider values, judgment scale), timeouts left out.
import type { ResponseRow } from '../../../analysis/rows.ts';

export interface QuestionMean {
  questionId: string;
  questionType: string;
  n: number;
  mean: number;
  sd: number | null;
}

export interface ConditionMeans {
  condition: string;
  participants: number;
  responses: number;
  timedOut: number;
  questions: QuestionMean[];
}

export function conditionMeans(rows: Iterable<ResponseRow>): ConditionMeans[] {
  interface Acc { participants: Set<string>; responses: number; timedOut: number; questions: Map<string, { type: string; n: number; sum: number; sumSq: number }> }
  const byCondition = new Map<string, Acc>();
  for (const r of rows) {
    let acc = byCondition.get(r.condition);
    if (!acc) byCondition.set(r.condition, (acc = { participants: new Set(), responses: 0, timedOut: 0, questions: new Map() }));
    acc.participants.add(r.participant_id);
    acc.responses++;
    if (r.timed_out) {
      acc.timedOut++;
      continue;
    }
    if (r.value_num === null || !Number.isFinite(r.value_num)) continue;
    let q = acc.questions.get(r.question_id);
    if (!q) acc.questions.set(r.question_id, (q = { type: r.question_type, n: 0, sum: 0, sumSq: 0 }));
    q.n++;
    q.sum += r.value_num;
    q.sumSq += r.value_num * r.value_num;
  }
  return [...byCondition.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([condition, acc]) => ({
      condition,
      participants: acc.participants.size,
      responses: acc.responses,
      timedOut: acc.timedOut,
      questions: [...acc.questions.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([questionId, q]) => {
          const mean = q.sum / q.n;
          const variance = q.n > 1 ? Math.max(0, (q.sumSq - q.n * mean * mean) / (q.n - 1)) : NaN;
          return { questionId, questionType: q.type, n: q.n, mean, sd: q.n > 1 ? Math.sqrt(variance) : null };
        }),
    }));
}
