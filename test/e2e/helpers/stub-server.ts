// A stand-in for the engine speaking the participant wire contract
// (studies/vocabulary/participant-wire.ts) with a scripted page list. It shows the client
// pages the real server only makes from prepared model output (RoFT passages
// with their sentence split, GLTR token ranks) and records every submit as sent.
import express from 'express';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Server } from 'socket.io';
import type { PageView } from '../../../studies/vocabulary/participant-wire.ts';
import { buildClient } from '../../../client/build.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export type StubPage = Omit<PageView, 'index' | 'total' | 'serverNow' | 'deadlineAt'> & { timeLimitMs?: number };

export interface StubServer {
  url: string;
  /** Every submit received, in order, including duplicates. */
  submits: { participant: string; payload: any }[];
  /** Per participant: page index and its deadline. */
  state: Map<string, { index: number; deadlineAt?: number }>;
  close(): Promise<void>;
}

export async function startStubServer(pages: StubPage[], opts: { redirect?: string; code?: string } = {}): Promise<StubServer> {
  await buildClient();
  const app = express();
  app.get('/s/:study', (_req, res) => res.sendFile(join(root, 'client', 'participant.html')));
  app.use('/static', express.static(join(root, 'client', 'dist')));
  const http = createServer(app);
  const io = new Server(http);
  const submits: StubServer['submits'] = [];
  const state: StubServer['state'] = new Map();
  const seen = new Set<string>();
  const byPid = new Map<string, string>();
  let counter = 0;

  const view = (p: string): PageView => {
    const s = state.get(p)!;
    const page = pages[s.index];
    const { timeLimitMs, ...rest } = page;
    if (timeLimitMs && !s.deadlineAt) s.deadlineAt = Date.now() + timeLimitMs;
    return { ...rest, index: s.index, total: pages.length, serverNow: Date.now(), ...(s.deadlineAt ? { deadlineAt: s.deadlineAt } : {}) };
  };

  io.on('connection', (socket) => {
    const auth = socket.handshake.auth as any;
    let p: string | undefined = auth.token && state.has(auth.token) ? auth.token : undefined;
    const pid = auth.prolific?.PROLIFIC_PID;
    if (!p && pid && byPid.has(pid)) p = byPid.get(pid);
    if (!p) {
      p = `tok-${++counter}`;
      state.set(p, { index: 0 });
      if (pid) byPid.set(pid, p);
    }
    const me = p;
    socket.emit('joined', { token: me, participantId: me, preview: false });
    const advance = () => {
      const s = state.get(me)!;
      s.index++;
      s.deadlineAt = undefined;
      if (s.index >= pages.length) {
        const code = opts.code ?? 'STUBCODE';
        socket.emit('done', { status: 'completed', code, redirectUrl: opts.redirect?.replace('{code}', code), message: 'Thanks.' });
      } else socket.emit('page', view(me));
    };
    if (state.get(me)!.index >= pages.length) socket.emit('done', { status: 'completed', code: opts.code ?? 'STUBCODE', message: 'Thanks.' });
    else socket.emit('page', view(me));
    socket.on('ping', (ack: (n: number) => void) => typeof ack === 'function' && ack(Date.now()));
    socket.on('submit', (payload: any, ack: (r: unknown) => void) => {
      submits.push({ participant: me, payload });
      const dup = seen.has(payload.clientId);
      if (!dup) {
        if (payload.pageIndex !== state.get(me)!.index) return ack({ ok: false, error: 'stale page' });
        seen.add(payload.clientId);
      }
      ack({ ok: true, ...(dup ? { duplicate: true } : {}) });
      if (!dup) advance();
    });
  });

  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const { port } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    submits,
    state,
    close: () =>
      new Promise<void>((r) => {
        io.close(() => r());
        http.closeAllConnections();
      }),
  };
}
