// The participant's socket: joins with the resume token, reconnects forever
// with backoff, keeps the clock in step with the server, and delivers every
// submission at least once (same client id on every retry) until it is acked.
// It runs in Node too (give a url): the bots drive this same code, so load tests
// exercise the browser's protocol.
import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client';
import type { ClientToServer, JoinAuth, PageView, ServerToClient, Submit, SubmitAck } from '../../studies/vocabulary/participant-wire.ts';
import type { Outbox } from './outbox.ts';
import { ServerClock } from './server-clock.ts';

type DoneInfo = Parameters<ServerToClient['done']>[0];
type RefusedInfo = Parameters<ServerToClient['refused']>[0];

export interface ConnectionHandlers {
  onPage(view: PageView): void;
  onDone(info: DoneInfo): void;
  onTakeover(message: string): void;
  onRefused(info: RefusedInfo): void;
  onJoined(token: string, preview: boolean, participantId: string): void;
  onStatus(status: 'connecting' | 'online' | 'reconnecting'): void;
  /** A submission was refused for a reason the participant can fix (or it was stale). */
  onRejected(submit: Submit, ack: Extract<SubmitAck, { ok: false }>): void;
  onAcked(submit: Submit): void;
  /** The connection dropped (socket.io's reason); it reconnects by itself unless stopped. */
  onDisconnect?(reason: string): void;
  /** A (re)connection attempt failed. */
  onConnectError?(message: string): void;
  /** A submission got no ack in time and will be sent again with the same id. */
  onRetry?(submit: Submit): void;
}

export interface ConnectionOptions {
  /** The server; absent in the browser (the page's own origin). */
  url?: string;
  /** socket.io settings over the browser's defaults (bots use websocket only and shorter delays). */
  socket?: Partial<ManagerOptions & SocketOptions>;
}

const ACK_TIMEOUT_MS = 8000;
/** The wait before resending an unacked submission: doubling from the first to the last, each ±50% at random. */
const RETRY_FIRST_MS = 500;
const RETRY_LAST_MS = 15000;

/**
 * Backoff with jitter for the k-th resend (k from 0): a server slow to ack is
 * busy, and thousands of clients resending at once, in step, would only add to it.
 */
export function retryDelayMs(k: number, random: () => number = Math.random): number {
  return Math.min(RETRY_LAST_MS, RETRY_FIRST_MS * 2 ** k) * (0.5 + random());
}
const PING_EVERY_MS = 15000;

export class ParticipantConnection {
  readonly clock = new ServerClock();
  private socket: Socket<ServerToClient, ClientToServer>;
  /** clientId → the attempt now waiting for its ack; a late callback of an older attempt changes nothing. */
  private inFlight = new Map<string, number>();
  private attempts = 0;
  /** clientId → resends so far (for the backoff). */
  private resends = new Map<string, number>();
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private stopped = false;

  constructor(
    private auth: JoinAuth,
    private outbox: Outbox,
    private handlers: ConnectionHandlers,
    opts: ConnectionOptions = {},
  ) {
    const options: Partial<ManagerOptions & SocketOptions> = {
      // A function, so every reconnect sends the newest token.
      auth: (cb) => cb({ ...this.auth }),
      // WebSocket first; where a proxy blocks it, long polling.
      transports: ['websocket', 'polling'],
      tryAllTransports: true,
      reconnection: true,
      reconnectionAttempts: Infinity,
      reconnectionDelay: 500,
      reconnectionDelayMax: 8000,
      randomizationFactor: 0.5,
      timeout: 10000,
      ...opts.socket,
    };
    this.socket = opts.url ? io(opts.url, options) : io(options);
    const s = this.socket;
    handlers.onStatus('connecting');
    s.on('connect', () => {
      handlers.onStatus('online');
      this.syncClock(3);
      this.flush();
    });
    s.on('disconnect', (reason) => {
      this.inFlight.clear();
      if (this.stopped) return;
      handlers.onDisconnect?.(reason);
      handlers.onStatus('reconnecting');
      // The server closed us on purpose (e.g. restart): socket.io does not retry that by itself.
      if (reason === 'io server disconnect') setTimeout(() => !this.stopped && s.connect(), 1000);
    });
    s.on('connect_error', (err) => {
      if (this.stopped) return;
      handlers.onConnectError?.(err.message);
      handlers.onStatus('reconnecting');
    });
    s.on('joined', (info) => {
      if (info && typeof info.token === 'string') {
        this.auth = { ...this.auth, token: info.token };
        handlers.onJoined(info.token, info.preview === true, info.participantId);
      }
    });
    s.on('page', (view) => {
      this.clock.observe(view.serverNow);
      handlers.onPage(view);
    });
    s.on('done', (info) => {
      this.stop();
      handlers.onDone(info);
    });
    s.on('takeover', (info) => {
      this.stop();
      handlers.onTakeover(info?.message ?? '');
    });
    s.on('refused', (info) => {
      this.stop();
      handlers.onRefused(info);
    });
    this.pingTimer = setInterval(() => this.syncClock(1), PING_EVERY_MS);
  }

  /** Queue an answer and send it; it stays in the outbox until acked. */
  submit(s: Submit): void {
    this.outbox.add(s);
    this.flush();
  }

  /** The answers given so far on a page, for the server to store if the page times out (best effort, no ack). */
  draft(pageIndex: number, answers: Record<string, unknown>): void {
    if (this.socket.connected && !this.stopped) this.socket.emit('draft', { pageIndex, answers });
  }

  /** (Re)send everything not yet acked. Safe to call any time: ids make it idempotent. */
  flush(): void {
    if (!this.socket.connected || this.stopped) return;
    for (const item of this.outbox.pending()) this.send(item);
  }

  private send(item: Submit): void {
    if (this.inFlight.has(item.clientId)) return;
    const attempt = ++this.attempts;
    this.inFlight.set(item.clientId, attempt);
    this.socket.timeout(ACK_TIMEOUT_MS).emit('submit', item, (err: Error | null, ack: SubmitAck) => {
      const current = this.inFlight.get(item.clientId) === attempt;
      if (current) this.inFlight.delete(item.clientId);
      if (err || !ack || typeof ack !== 'object') {
        if (!current) return;
        // No answer in time: try again with the same id (the server dedupes).
        this.handlers.onRetry?.(item);
        const k = this.resends.get(item.clientId) ?? 0;
        this.resends.set(item.clientId, k + 1);
        setTimeout(() => this.flush(), retryDelayMs(k));
        return;
      }
      this.resends.delete(item.clientId);
      if (!this.outbox.pending().some((x) => x.clientId === item.clientId)) return; // already settled by another attempt
      this.outbox.remove(item.clientId);
      if (ack.ok) this.handlers.onAcked(item);
      else this.handlers.onRejected(item, ack);
    });
  }

  private syncClock(rounds: number): void {
    const once = (left: number): void => {
      if (!this.socket.connected || left <= 0) return;
      const sentAt = Date.now();
      this.socket.timeout(5000).emit('ping', (err: Error | null, serverNow: number) => {
        if (!err && typeof serverNow === 'number') this.clock.observeRoundTrip(sentAt, serverNow, Date.now());
        once(left - 1);
      });
    };
    once(rounds);
  }

  /** Stop for good (done, takeover, refused): reconnecting would take the session back. */
  stop(): void {
    this.stopped = true;
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.socket.disconnect();
  }
}
