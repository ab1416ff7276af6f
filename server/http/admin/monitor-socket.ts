// The live monitor over socket.io: namespace `/admin`, open only to a handshake
// whose cookie is a live researcher session and whose Origin is this server.
// A researcher `watch`es one study; every 2 s the server pushes that study's
// monitor and the study list to everyone watching it, re-checking each socket's
// session so that a logout or expiry closes the feed.
import { z } from 'zod';
import type { Namespace, Socket } from 'socket.io';
import type { AuthDb } from '../../auth/auth-db.ts';
import { isSameOrigin } from '../../auth/origin.ts';
import { cookieValue, readSession, SESSION_COOKIE } from '../../auth/sessions.ts';
import type { AppContext } from '../context.ts';
import { monitorView, studyView } from './study-view.ts';

export const MONITOR_NAMESPACE = '/admin';
export const MONITOR_INTERVAL_MS = 2000;

const WatchSchema = z.string().min(1).max(100);
type WatchAck = (r: { ok: true } | { ok: false; error: string; field?: string }) => void;

interface SocketData {
  sessionId: string;
  watching?: string;
}

function sessionLive(db: AuthDb, socket: Socket): boolean {
  const data = socket.data as SocketData;
  return db.open && readSession(db, data.sessionId) !== undefined;
}

export function mountMonitorSocket(ctx: AppContext, db: AuthDb): Namespace {
  const nsp = ctx.io.of(MONITOR_NAMESPACE);

  nsp.use((socket, next) => {
    const headers = socket.handshake.headers;
    if (!isSameOrigin(headers)) return next(new Error('cross-origin connection refused'));
    const id = cookieValue(headers.cookie, SESSION_COOKIE);
    if (!id || !readSession(db, id)) return next(new Error('researcher login required'));
    (socket.data as SocketData) = { sessionId: id };
    next();
  });

  let timer: NodeJS.Timeout | undefined;

  const push = (only?: Socket) => {
    const now = Date.now();
    const sockets = only ? [only] : [...nsp.sockets.values()];
    const studies = new Set<string>();
    for (const s of sockets) {
      if (!sessionLive(db, s)) {
        s.emit('session-ended', { message: 'Your researcher session ended; log in again.' });
        s.disconnect(true);
        continue;
      }
      const w = (s.data as SocketData).watching;
      if (w) studies.add(w);
    }
    if (sockets.every((s) => !s.connected)) return;
    const list = ctx.store.studySummaries(now).map(studyView);
    for (const s of sockets) if (s.connected) s.emit('studies', { now, studies: list });
    for (const studyId of studies) {
      const view = monitorView(studyId, ctx.store.liveParticipants(studyId, now), now);
      for (const s of sockets) if (s.connected && (s.data as SocketData).watching === studyId) s.emit('monitor', view);
    }
  };

  const tick = () => {
    try {
      push();
    } catch (err) {
      // A closed store during shutdown ends the ticks; anything else is logged and retried next tick.
      if (!db.open) stop();
      else console.error('admin monitor:', err instanceof Error ? err.message : err);
    }
  };
  const stop = () => {
    if (timer) clearInterval(timer);
    timer = undefined;
  };

  nsp.on('connection', (socket) => {
    if (!timer) {
      timer = setInterval(tick, MONITOR_INTERVAL_MS);
      timer.unref();
    }
    socket.on('watch', (studyId: unknown, ack?: unknown) => {
      const reply: WatchAck = typeof ack === 'function' ? (ack as WatchAck) : () => {};
      const parsed = WatchSchema.safeParse(studyId);
      if (!parsed.success) return reply({ ok: false, error: 'watch: study id must be a non-empty string', field: 'studyId' });
      if (!ctx.store.studyIds().includes(parsed.data)) return reply({ ok: false, error: `watch: unknown study '${parsed.data}'`, field: 'studyId' });
      (socket.data as SocketData).watching = parsed.data;
      reply({ ok: true });
      push(socket);
    });
    socket.on('disconnect', () => {
      if (nsp.sockets.size === 0) stop();
    });
  });

  ctx.io.httpServer?.once('close', stop);
  return nsp;
}
