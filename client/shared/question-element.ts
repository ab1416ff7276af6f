// The base of every question element. It reads the question's parameters
// through the type's descriptor (studies/questions, the same zod schemas the
// server validates with, so defaults and option forms match), and announces
// each answer with a `change` event whose detail is the answer in exactly the
// shape the descriptor's response schema expects (undefined = no answer yet).
import { LitElement, type PropertyValues } from 'lit';
import type { Question } from '../../studies/protocol.ts';
import { questionParams, type QuestionType } from '../../studies/question-type.ts';
import { questionTypes } from '../../studies/questions/index.ts';
import { issuesText } from '../../studies/issues.ts';

export abstract class QuestionElement<P = Record<string, unknown>, V = unknown> extends LitElement {
  static override properties = {
    question: { attribute: false },
    disabled: { type: Boolean, reflect: true },
    value: { attribute: false },
  };

  question!: Question;
  disabled = false;
  /** The current answer, or undefined while none is given. */
  value: V | undefined = undefined;
  /** The question's parameters with the descriptor's defaults applied. */
  protected params!: P;
  /** Why the parameters did not parse (a protocol the server should have refused); shown instead of the item. */
  protected paramsError = '';
  private descriptor: QuestionType<P, V> | undefined;

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('question') && this.question) {
      const type = this.question.type;
      this.descriptor = Object.hasOwn(questionTypes, type) ? (questionTypes[type] as QuestionType<P, V>) : undefined;
      const raw = questionParams(this.question as Record<string, unknown>);
      const parsed = this.descriptor ? this.parseParams(this.descriptor, raw) : undefined;
      if (parsed?.success) {
        this.params = parsed.data;
        this.paramsError = '';
      } else {
        this.params = raw as P;
        this.paramsError = parsed && !parsed.success ? parsed.error : `unknown question type ${type}`;
      }
    }
  }

  /**
   * The descriptor's parameter schema, by default. Types whose page view lacks
   * server-only parameters (the expected answer of checks) parse what is shown.
   */
  protected parseParams(d: QuestionType<P, V>, raw: Record<string, unknown>): { success: true; data: P } | { success: false; error: string } {
    const r = d.params.safeParse(raw);
    return r.success ? { success: true, data: r.data } : { success: false, error: issuesText(r.error, { root: 'question' }) };
  }

  /** True when the current answer is one the server will accept. */
  get complete(): boolean {
    if (this.value === undefined) return false;
    if (!this.descriptor || this.paramsError) return false;
    return this.descriptor.response(this.params).safeParse(this.value).success;
  }

  protected get qid(): string {
    return `q-${this.question?.id ?? 'x'}`;
  }

  /** The visible question text; a question without one still gets a label for screen readers. */
  protected get prompt(): string {
    return this.question?.prompt ?? '';
  }

  protected answer(value: V | undefined): void {
    this.value = value;
    this.dispatchEvent(new CustomEvent<V | undefined>('change', { detail: value, bubbles: true, composed: true }));
  }
}
