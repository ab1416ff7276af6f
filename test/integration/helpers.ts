// Socket helpers for integration tests: connect as a participant and wait for
// what the server says.
import { io, type Socket } from 'socket.io-client';
import type { ClientToServer, PageView, ServerToClient, SubmitAck } from '../../studies/vocabulary/participant-wire.ts';

export type Client = Socket<ServerToClient, ClientToServer>;

export interface Joined {
  socket: Client;
  token: string;
  participantId: string;
  page: PageView;
}

export function connect(url: string, auth: Record<string, unknown>): Client {
  return io(url, { transports: ['websocket'], reconnection: false, forceNew: true, auth });
}

export function once<T>(socket: Client, event: string, ms = 5000): Promise<T> {
  return new Promise((ok, fail) => {
    const t = setTimeout(() => fail(new Error(`no '${event}' within ${ms} ms`)), ms);
    (socket as any).once(event, (v: T) => {
      clearTimeout(t);
      ok(v);
    });
  });
}

/** Joins as a recruited participant; `ms` bounds the wait for the joined message and the first page. */
export async function joinAs(url: string, study: string, pid: string, ms = 5000): Promise<Joined> {
  const socket = connect(url, { study, prolific: { PROLIFIC_PID: pid } });
  const joined = once<{ token: string; participantId: string }>(socket, 'joined', ms);
  const page = once<PageView>(socket, 'page', ms);
  const j = await joined;
  return { socket, token: j.token, participantId: j.participantId, page: await page };
}

export function emitAck(socket: Client, event: string, ...args: unknown[]): Promise<SubmitAck> {
  return new Promise((ok, fail) => {
    (socket as any).timeout(5000).emit(event, ...args, (err: Error | null, r: SubmitAck) => (err ? fail(err) : ok(r)));
  });
}
