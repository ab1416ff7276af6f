// Placeholder surface of the study engine (filled in next commit).
import type { JoinAuth, PageView, SubmitAck, EndStatus } from '../realtime/events.ts';
export interface DoneView { status: EndStatus; code?: string; redirectUrl?: string; message: string }
export type Outcome = { page: PageView } | { done: DoneView };
export declare class Engine {
  join(auth: JoinAuth, opts: { researcher: boolean }): Promise<unknown>;
  submit(participantId: string, payload: unknown): Promise<{ ack: SubmitAck; next?: Outcome }>;
}
