// The live monitor over socket.io: namespace `/admin`, open only to a handshake
// whose cookie is a live researcher session and whose Origin is this server.
// A researcher `watch`es one study; every 2 s the server pushes that study's
// monitor to everyone watching it, re-checking each socket's session so that a
// logout or expiry closes the feed.
import { z } from 'zod';
import type { Namespace, Socket } from 'socket.io';
import type { ResearcherStore as AuthDb } from '../../store/store.ts';
import { isSameOrigin } from '../../auth/origin.ts';
import { cookieValue, readSession, SESSION_COOKIE } from '../../auth/sessions.ts';
import type { AppContext } from '../context.ts';
import { monitorView } from './study-view.ts';

export const MONITOR_NAMESPACE = '/admin';
export const MONITOR_INTERVAL_MS = 2000;
/**
 * A push reads every participant of the watched studies on the event loop that
 * also acknowledges participants' answers. With thousands of participants that
 * read can take tens of ms, so the next push waits at least this many times as
 * long as the last one took: the monitor uses at most ~5% of the server.
 */
const MAX_LOAD_FACTOR = 20;

const WatchSchema = z.string().min(1).max(100);
type WatchAck = (r: { ok: true } | { ok: false; error: string; field?: string }) => void;

interface SocketData {
  sessionId: string;
  watching?: string;
}

async function sessionLive(db: AuthDb, socket: Socket): Promise<boolean> {
  const data = socket.data as SocketData;
  return (await readSession(db, data.sessionId)) !== undefined;
}

export function mountMonitorSocket(ctx: AppContext, db: AuthDb): Namespace {
  const nsp = ctx.io.of(MONITOR_NAMESPACE);

  nsp.use(async (socket, next) => {
    const headers = socket.handshake.headers;
    if (!isSameOrigin(headers)) return next(new Error('cross-origin connection refused'));
    const id = cookieValue(headers.cookie, SESSION_COOKIE);
    try {
      if (!id || !(await readSession(db, id))) return next(new Error('researcher login required'));
    } catch {
      return next(new Error('researcher login could not be checked; try again'));
    }
    (socket.data as SocketData) = { sessionId: id };
    next();
  });

  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let intervalMs = MONITOR_INTERVAL_MS;

  const push = async (only?: Socket) => {
    const now = Date.now();
    const sockets = only ? [only] : [...nsp.sockets.values()];
    const studies = new Set<string>();
    for (const s of sockets) {
      if (!(await sessionLive(db, s))) {
        s.emit('session-ended', { message: 'Your researcher session ended; log in again.' });
        s.disconnect(true);
        continue;
      }
      const w = (s.data as SocketData).watching;
      if (w) studies.add(w);
    }
    for (const studyId of studies) {
      const view = { ...monitorView(studyId, await ctx.store.liveParticipants(studyId, now), now), pushIntervalMs: intervalMs };
      for (const s of sockets) if (s.connected && (s.data as SocketData).watching === studyId) s.emit('monitor', view);
    }
  };

  const schedule = () => {
    timer = setTimeout(() => void tick(), intervalMs);
    timer.unref();
  };
  const tick = async () => {
    timer = undefined;
    if (nsp.sockets.size === 0) return;
    const t0 = performance.now();
    try {
      await push();
    } catch (err) {
      // A store closed during shutdown (the HTTP server closes first, which stops the ticks) ends them; anything else is logged and retried next tick.
      if (stopped) return;
      console.error('admin monitor:', err instanceof Error ? err.message : err);
    }
    intervalMs = Math.max(MONITOR_INTERVAL_MS, Math.ceil((performance.now() - t0) * MAX_LOAD_FACTOR));
    schedule();
  };
  const stop = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
  };

  nsp.on('connection', (socket) => {
    if (!timer) schedule();
    socket.on('watch', async (studyId: unknown, ack?: unknown) => {
      const reply: WatchAck = typeof ack === 'function' ? (ack as WatchAck) : () => {};
      const parsed = WatchSchema.safeParse(studyId);
      if (!parsed.success) return reply({ ok: false, error: 'watch: study id must be a non-empty string', field: 'studyId' });
      if (!(await ctx.store.studyIds()).includes(parsed.data)) return reply({ ok: false, error: `watch: unknown study '${parsed.data}'`, field: 'studyId' });
      (socket.data as SocketData).watching = parsed.data;
      reply({ ok: true });
      await push(socket).catch((err) => console.error('admin monitor:', err instanceof Error ? err.message : err));
    });
    socket.on('disconnect', () => {
      if (nsp.sockets.size === 0) stop();
    });
  });

  ctx.io.httpServer?.once('close', () => {
    stopped = true;
    stop();
  });
  return nsp;
}
