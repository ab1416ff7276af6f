// The participant edge over socket.io. Every handshake and every inbound event
// is parsed with its schema (events.ts) before the engine sees it; whatever
// fails gets an error reply and changes nothing. A socket only ever reaches the
// participant its handshake resolved to (least privilege), and a second socket
// for the same participant takes over from the first. What the server pushes
// to a participant goes to their room (adapter.ts), so it reaches their socket
// on whichever process holds it.
import type { IncomingMessage } from 'node:http';
import type { Server as IoServer, Socket } from 'socket.io';
import { DraftSchema, JoinAuthSchema, MAX_EVENT_BYTES, SubmitSchema, type ClientToServer, type ServerToClient } from '../../studies/vocabulary/participant-wire.ts';
import type { Engine, Outcome } from '../engine/engine.ts';
import { firstIssue } from '../../studies/issues.ts';
import { participantRoom } from './adapter.ts';

type ParticipantSocket = Socket<ClientToServer, ServerToClient>;

const KNOWN_EVENTS = new Set(['submit', 'ping', 'draft']);

export interface RealtimeOptions {
  engine: Engine;
  isResearcher?: () => ((req: IncomingMessage) => Promise<boolean>) | undefined;
  /** Errors that are not the client's fault (logged by the caller). */
  onError?: (err: unknown) => void;
  /** The address new participants are counted by (per-address join limit); undefined: not limited. */
  addressOf?: (req: IncomingMessage) => string | undefined;
  /** Other server processes share this io (an adapter other than the in-memory one): tell them who is here now. */
  crossProcess?: boolean;
}

/**
 * Server-to-server: a participant (id) is on the sending process now; the others tell their earlier tabs
 * why and close them, and drop their timers for them.
 */
const PARTICIPANT_HERE = 'participant-here';

/** A socket, or a participant's room on every process (both emit the same events). */
type Target = { emit(event: 'page' | 'done', view: unknown): unknown };

function send(to: Target, outcome: Outcome): void {
  if ('page' in outcome) to.emit('page', outcome.page);
  else to.emit('done', outcome.done);
}

const TAKEOVER_MESSAGE = 'This study was opened in another tab or device; continue there.';

/**
 * Tells a participant's sockets on this process (but `exceptSocket`) why they are closed, then closes them.
 * Both steps are this process's own (`io.local`), so they happen in this order. Sent as two cluster-wide
 * operations instead (a broadcast, then disconnectSockets), socket.io's cluster adapters publish each one
 * and act locally only once its own publish resolves; on PostgreSQL the two publishes run on different pool
 * connections and the disconnect's often resolved first, so the first tab was closed before the message
 * reached it (issue 15). The other processes do the same on PARTICIPANT_HERE: one message, in order there too.
 */
function takeOverLocally(io: IoServer, participantId: string, exceptSocket?: string): void {
  const room = io.local.in(participantRoom(participantId));
  const earlier = exceptSocket ? room.except(exceptSocket) : room;
  earlier.emit('takeover', { message: TAKEOVER_MESSAGE });
  earlier.disconnectSockets(true);
}

export function attachParticipantRealtime(io: IoServer, opts: RealtimeOptions): void {
  const { engine } = opts;
  /** participant id → its one live socket on this process. */
  const sockets = new Map<string, ParticipantSocket>();

  // A deadline may pass on another process than the participant's socket's (deadlines.ts): the room reaches it.
  engine.on('outcome', (participantId, outcome) => send(io.to(participantRoom(participantId)) as Target, outcome));
  if (opts.crossProcess) {
    io.on(PARTICIPANT_HERE, (participantId: unknown) => {
      if (typeof participantId !== 'string') return;
      takeOverLocally(io, participantId);
      engine.release(participantId);
    });
  }

  io.on('connection', async (raw) => {
    const socket = raw as ParticipantSocket;
    const auth = JoinAuthSchema.safeParse(socket.handshake.auth ?? {});
    if (!auth.success) {
      const m = firstIssue(auth.error, { root: 'payload' });
      socket.emit('refused', { reason: 'bad-request', message: `handshake auth ${m.error}` });
      socket.disconnect(true);
      return;
    }
    let joined;
    try {
      joined = await engine.join(auth.data, { researcher: (await opts.isResearcher?.()?.(socket.request)) === true, address: opts.addressOf?.(socket.request) });
    } catch (err) {
      opts.onError?.(err);
      socket.emit('refused', { reason: 'bad-request', message: 'The server could not start this session.' });
      socket.disconnect(true);
      return;
    }
    if (joined.kind === 'refused') {
      socket.emit('refused', { reason: joined.reason, message: joined.message });
      socket.disconnect(true);
      return;
    }
    if (!socket.connected) return; // left while the record was being written; the next visit resumes it
    const participantId = joined.participantId;
    // Earlier tabs of this participant are told why and closed: here, and on the other processes by
    // PARTICIPANT_HERE, whose deadlines are this process's to claim now (engine/deadlines.ts).
    takeOverLocally(io, participantId, socket.id);
    socket.join(participantRoom(participantId));
    if (opts.crossProcess) io.serverSideEmit(PARTICIPANT_HERE, participantId);
    sockets.set(participantId, socket);
    engine.setConnected(participantId, true);
    socket.emit('joined', { token: joined.token, participantId, preview: joined.preview });
    send(socket, joined.outcome);

    socket.onAny((event: string, ...args: unknown[]) => {
      if (KNOWN_EVENTS.has(event)) return;
      const ack = args[args.length - 1];
      const message = `unknown event '${String(event).slice(0, 100)}'`;
      if (typeof ack === 'function') ack({ ok: false, error: message });
      socket.emit('error', { event: String(event).slice(0, 100), message });
    });

    socket.on('submit', (payload: unknown, ack?: unknown) => {
      const reply = (r: Parameters<Parameters<ClientToServer['submit']>[1]>[0]) => {
        if (typeof ack === 'function') ack(r);
        else if (!r.ok) socket.emit('error', { event: 'submit', message: r.error });
      };
      if (sockets.get(participantId) !== socket) return reply({ ok: false, error: 'this tab was taken over by another' });
      let size: number;
      try {
        size = Buffer.byteLength(JSON.stringify(payload) ?? '');
      } catch {
        return reply({ ok: false, error: 'submit: payload is not JSON' });
      }
      if (size > MAX_EVENT_BYTES) return reply({ ok: false, error: `submit: payload of ${size} bytes exceeds ${MAX_EVENT_BYTES}` });
      const parsed = SubmitSchema.safeParse(payload);
      if (!parsed.success) {
        const m = firstIssue(parsed.error, { root: 'payload' });
        return reply({ ok: false, error: `submit ${m.error}`, ...(m.field ? { field: m.field } : {}) });
      }
      engine.submit(participantId, parsed.data).then(
        (r) => {
          reply(r.ack);
          if (r.refuse) {
            // No place for them after all (the record holds none and is swept once they leave).
            socket.emit('refused', r.refuse);
            socket.disconnect(true);
            return;
          }
          if (r.next && socket.connected) send(socket, r.next);
        },
        (err) => {
          opts.onError?.(err);
          reply({ ok: false, error: 'the server could not store this answer; please retry' });
        },
      );
    });

    // Drafts are best effort (no ack): a bad or oversized one is dropped.
    socket.on('draft', (payload: unknown) => {
      if (sockets.get(participantId) !== socket) return;
      let size: number;
      try {
        size = Buffer.byteLength(JSON.stringify(payload) ?? '');
      } catch {
        return;
      }
      if (size > MAX_EVENT_BYTES) return;
      const parsed = DraftSchema.safeParse(payload);
      if (!parsed.success) return;
      engine.draft(participantId, parsed.data).catch((err: unknown) => opts.onError?.(err));
    });

    socket.on('ping', (ack?: unknown) => {
      if (typeof ack === 'function') ack(Date.now());
    });

    socket.on('disconnect', () => {
      if (sockets.get(participantId) === socket) sockets.delete(participantId);
      try {
        engine.setConnected(participantId, false);
      } catch (err) {
        opts.onError?.(err);
      }
    });
  });
}
