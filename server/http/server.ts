// Starts the whole server on one port: express for HTTP, socket.io for
// participants, the engine with its deadlines, and the store (SQLite or PostgreSQL).
import { createServer } from 'node:http';
import { resolve, dirname, join } from 'node:path';
import { existsSync } from 'node:fs';
import { pathToFileURL, fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { Server as IoServer } from 'socket.io';
import { defaultDataDir, isPostgresUrl, openStore, prepareStorage, resolveDb } from '../store/open.ts';
import { Engine } from '../engine/engine.ts';
import { openStudies } from '../engine/open-studies.ts';
import { attachParticipantRealtime } from '../realtime/participants.ts';
import { adapterKind, useAdapter } from '../realtime/adapter.ts';
import { openPostgresLink, type PostgresLink } from '../realtime/postgres-link.ts';
import { countLimitsIn } from './shared-limiter.ts';
import { MAX_EVENT_BYTES } from '../../studies/vocabulary/participant-wire.ts';
import { createApp } from './app.ts';
import { rawSecurityHeaders } from './security-headers.ts';
import { addressKey, clientAddressOf, type TrustProxy } from './client-address.ts';
import type { AppContext } from './context.ts';

export interface StartOptions {
  /** 0 = a free port. Default 3000. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** A SQLite file or a postgres:// URL (`--db`, CREDENCE_DB). */
  db: string;
  /** Default: the shipped studies/ folder. */
  studiesDir?: string;
  /** Default: the database file's folder, or data/ for PostgreSQL (where `credence prepare --db` puts stimuli). */
  dataDir?: string;
  /** Which studies to open (ids or file paths); default all valid in studiesDir. */
  studies?: string[];
  /** Build the participant bundle when missing or stale (default true). */
  buildClient?: boolean;
  /** Whose X-Forwarded-For/-Proto to believe (`--trust-proxy`); default nobody's. */
  trustProxy?: TrustProxy;
  /** Addresses exempt from the per-address limit on new participants (`--join-limit-exempt`), e.g. 127.0.0.1 for local bots. */
  joinLimitExempt?: string[];
  /** Serve the detector demo at /api/detect (`--detect`); default off. */
  detect?: boolean;
  /** Where warnings go (default stderr). */
  log?: (message: string) => void;
  /**
   * One worker of `serve --workers N` (cluster.ts): the primary owns the port and
   * hands this process its connections; `port` is then the primary's, for the URL.
   */
  clusterWorker?: boolean;
}

export interface RunningServer {
  url: string;
  port: number;
  ctx: AppContext;
  close(): Promise<void>;
}

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Builds the participant bundle when missing or stale (`serve --workers`: once, in the primary). */
export async function ensureClientBundle(log: (m: string) => void): Promise<void> {
  const build = join(ROOT, 'client', 'build.ts');
  if (!existsSync(build)) return;
  try {
    const mod = (await import(pathToFileURL(build).href)) as { buildClient?: () => Promise<void> };
    await mod.buildClient?.();
  } catch (err) {
    log(`warning: could not build the participant app: ${(err as Error).message}`);
  }
}

export async function startServer(opts: StartOptions): Promise<RunningServer> {
  const log = opts.log ?? ((m: string) => process.stderr.write(m + '\n'));
  const db = resolveDb(opts.db);
  const studiesDir = resolve(opts.studiesDir ?? join(ROOT, 'studies'));
  const dataDir = resolve(opts.dataDir ?? defaultDataDir(db));
  if (opts.buildClient !== false) await ensureClientBundle(log);

  // A read-only, empty or damaged database is refused here, naming the file (or URL) and what to do.
  prepareStorage(db, log);
  const store = await openStore({ db, server: true });
  const engine = new Engine({ store });
  // The request listener exists before socket.io attaches, so engine.io wraps it and keeps
  // /socket.io/ requests away from express (two answers to one request crash the process).
  let app: ReturnType<typeof createApp> | undefined;
  const http = createServer((req, res) => {
    if (app) app(req, res);
    else res.writeHead(503).end();
  });
  // The socket.io limit is above MAX_EVENT_BYTES so an oversized submit gets a clear error reply instead of a dropped connection.
  const io = new IoServer(http, { maxHttpBufferSize: 4 * MAX_EVENT_BYTES, serveClient: false, pingInterval: 10_000, pingTimeout: 10_000 });
  // socket.io answers /socket.io/ itself, before express: the same security headers there too
  // (prepended after socket.io attached, so it runs before socket.io's own request listener).
  const socketHeaders = rawSecurityHeaders();
  http.prependListener('request', (req, res) => {
    if (req.url?.startsWith(`${io.path()}/`)) socketHeaders(req, res);
  });
  const clusterWorker = opts.clusterWorker === true;
  // On PostgreSQL, broadcasts and rate limits cross processes (and machines) through the database (adapter.ts).
  let link: PostgresLink | undefined;
  let uncountLimits = () => {};
  if (isPostgresUrl(db)) {
    try {
      link = await openPostgresLink(db, log);
    } catch (err) {
      await store.close();
      io.close();
      throw err;
    }
    uncountLimits = countLimitsIn(link.pool);
  }
  const adapter = adapterKind({ clusterWorker, postgres: !!link });
  useAdapter(io, adapter, { clusterWorker, link, log });
  const trustProxy = opts.trustProxy ?? false;
  const ctx: AppContext = { store, engine, io, db, dataDir, studiesDir, trustProxy, clientAddress: clientAddressOf(trustProxy), detect: opts.detect ?? false };
  try {
    await openStudies(engine, { studiesDir, dataDir, studies: opts.studies, warn: log });
  } catch (err) {
    await store.close();
    io.close();
    uncountLimits();
    await link?.close();
    throw err;
  }
  app = createApp(ctx, { clientDir: join(ROOT, 'client'), log });
  const exempt = new Set((opts.joinLimitExempt ?? []).map(addressKey));
  attachParticipantRealtime(io, {
    engine,
    crossProcess: adapter !== 'memory',
    isResearcher: () => ctx.isResearcher,
    onError: (e) => log(`error: ${(e as Error).stack ?? e}`),
    addressOf: (req) => {
      const address = ctx.clientAddress!(req);
      return exempt.has(addressKey(address)) ? undefined : address;
    },
  });
  engine.on('timer-error', (id: string, err: unknown) => log(`deadline of ${id} failed: ${(err as Error).message}`));
  await engine.start();

  const host = opts.host ?? '127.0.0.1';
  if (!clusterWorker) {
    await new Promise<void>((ok, fail) => {
      http.once('error', fail);
      http.listen(opts.port ?? 3000, host, () => ok());
    });
  }
  const port = clusterWorker ? opts.port ?? 3000 : (http.address() as AddressInfo).port;
  let closed = false;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    ctx,
    async close() {
      if (closed) return;
      closed = true;
      await engine.stop();
      io.disconnectSockets(true);
      // Stop accepting first, then drop every open connection: a browser's
      // keep-alive connection would otherwise hold the close open forever.
      await new Promise<void>((ok) => {
        // A cluster worker's server never listened: close() answers at once (with an error to ignore).
        http.close(() => ok());
        http.closeAllConnections?.();
      });
      // socket.io's own close also closes the HTTP server; it is already closed.
      await new Promise<void>((ok) => io.close(() => ok()));
      uncountLimits();
      await link?.close();
      await store.close();
    },
  };
}
