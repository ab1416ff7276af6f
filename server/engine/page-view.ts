// What a participant sees: the current page built from the plan, the stimulus
// and the feedback due on it, or the ending once the study is over. Only reads.
import type { PageView } from '../../studies/vocabulary/participant-wire.ts';
import type { ParticipantRecord, PlannedPage, StimulusInput, StoreTx } from '../store/store.ts';
import { questionTypes } from '../../studies/questions/index.ts';
import { publicQuestion } from './answers.ts';
import type { ReadContext } from '../../studies/question-type.ts';
import { doneView, type DoneView } from './endings.ts';
import { nextDeadline } from './progress.ts';
import type { Runtime } from './registry.ts';

export type Outcome = { page: PageView } | { done: DoneView };

/** `store` is the one the participant lives in (the preview store for preview participants). */
export async function outcomeOf(p: ParticipantRecord, rt: Runtime, store: StoreTx, now: number): Promise<Outcome> {
  if (p.status !== 'in-progress') return { done: doneView(p, rt.protocol) };
  return { page: await pageView(p, rt, store, now) };
}

async function pageView(p: ParticipantRecord, rt: Runtime, store: StoreTx, now: number): Promise<PageView> {
  const page = p.plan[p.pageIndex];
  const view: PageView = {
    index: p.pageIndex,
    total: p.plan.length,
    kind: page.kind,
    // Questions the engine adds (the consent answer: the page's own agree/decline buttons) are not rendered.
    questions: page.questions.filter((q) => !questionTypes[q.type]?.engineOnly).map(publicQuestion),
    serverNow: now,
  };
  if (page.title) view.title = page.title;
  if (page.text) view.text = page.text;
  const stim = stimulusOf(rt, page);
  if (stim) {
    view.stimulus = { id: stim.id, text: stim.text };
    if (stim.sentences) view.stimulus.sentences = stim.sentences;
    if (page.gltr && stim.gltr) view.stimulus.gltr = stim.gltr;
  }
  const fb = await trainingFeedback(p, store);
  if (fb) view.feedback = fb;
  if (page.kind === 'comprehension') {
    view.attemptsLeft = (page.attempts ?? 2) - p.attempts;
    if (p.attempts > 0) view.feedback = comprehensionFeedback(page);
  }
  const deadline = nextDeadline(p);
  if (deadline !== Infinity) {
    view.deadlineAt = deadline;
    view.deadlineFor = p.deadlineAt != null && p.deadlineAt <= deadline ? 'page' : 'study';
  }
  if (page.minReadMs) view.minReadMs = page.minReadMs;
  return view;
}

/** The page's stimulus: a pool stimulus by id, or a training item's own text. */
export function stimulusOf(rt: Runtime, page: PlannedPage): (StimulusInput & { id: string }) | undefined {
  if (page.inlineStimulus) {
    const s = page.inlineStimulus;
    return { id: s.id, pool: '', text: s.text, label: (s.label as StimulusInput['label']) ?? { source: 'human' }, length_words: 0 };
  }
  return page.stimulusId ? rt.stimuli.get(page.stimulusId) : undefined;
}

/** What answer checks may read about the page's stimulus (its true source, a RoFT boundary). */
export function readContextOf(rt: Runtime, page: PlannedPage): ReadContext {
  const stim = stimulusOf(rt, page);
  return stim ? { stimulus: { label: stim.label, boundary: stim.boundary } } : {};
}

function comprehensionFeedback(page: PlannedPage): string {
  const notes = page.questions.map((q) => (q as { feedback?: string }).feedback).filter((f): f is string => !!f);
  return notes.length ? notes.join(' ') : 'Not quite. Please read the instructions again and try once more.';
}

/**
 * Feedback on the training item just answered, shown on the page after it.
 * Read back from the stored response, so a reload or a server restart shows it too.
 */
async function trainingFeedback(p: ParticipantRecord, store: StoreTx): Promise<string | undefined> {
  const before = p.plan[p.pageIndex - 1];
  if (!before || before.kind !== 'training') return undefined;
  const last = await store.lastAnswerChecks(p.id, p.pageIndex - 1);
  if (!last.answered) return undefined;
  const verdict = last.correct.some((c) => c === false) ? 'Not quite.' : last.correct.some((c) => c === true) ? 'Correct.' : '';
  return [verdict, before.feedback ?? ''].filter(Boolean).join(' ') || undefined;
}
