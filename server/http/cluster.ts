// `serve --workers N`: N server processes on one machine behind one port.
// The primary owns the port and hands each connection to a worker with sticky
// sessions (@socket.io/sticky: socket.io's polling transport sends every request
// of a session to the process that holds it), and relays broadcasts between
// the workers (@socket.io/cluster-adapter, realtime/adapter.ts) and counts the
// rate limits they share (shared-limiter.ts). On PostgreSQL the workers do both
// through the database instead, as separate machines do, and the primary only
// hands out connections. The workers are
// whole servers (server.ts) on the one database; what must hold across them
// (deadlines, assignment) is owned by the database. A worker that dies is
// replaced; its participants reconnect to the others meanwhile.
import cluster, { type Worker } from 'node:cluster';
import { createServer } from 'node:http';
import { Socket, type AddressInfo } from 'node:net';
import { setupMaster as setupStickyPrimary } from '@socket.io/sticky';
import { setupPrimary as setupAdapterPrimary } from '@socket.io/cluster-adapter';
import { RateLimiterClusterMaster } from 'rate-limiter-flexible';

/** What a worker tells the primary once it serves, or why it could not start. */
export type WorkerMessage =
  | { type: 'credence:ready'; studies: { studyId: string; version: string }[] }
  | { type: 'credence:failed'; message: string };

/** How long a worker may take to open the database and its studies. */
const WORKER_START_MS = 120_000;

export interface PrimaryOptions {
  workers: number;
  port: number;
  host: string;
  /** The workers' store is PostgreSQL: broadcasts and rate limits go through the database, not through here. */
  postgres: boolean;
  log: (message: string) => void;
}

export interface RunningPrimary {
  url: string;
  port: number;
  /** The studies the workers serve (as the first worker reported them). */
  studies: { studyId: string; version: string }[];
  /** The live workers' process ids (a test kills one). */
  pids(): number[];
  close(): Promise<void>;
}

export const isClusterWorker = (): boolean => cluster.isWorker;

/** Inside a worker: tells the primary how the start went. */
export function tellPrimary(message: WorkerMessage): void {
  process.send?.(message);
}

/** Forks the workers (each re-runs this command and starts a server: see serve.ts), then listens for them. */
export async function startPrimary(opts: PrimaryOptions): Promise<RunningPrimary> {
  // Sticky hands raw request bytes (Buffers) to the workers: the channel needs advanced serialization.
  cluster.setupPrimary({ serialization: 'advanced' });
  if (!opts.postgres) {
    setupAdapterPrimary();
    // Rate limits (per-address joins, logins, /api/detect) are counted here for every worker (shared-limiter.ts).
    new RateLimiterClusterMaster();
  }
  let stopping = false;
  const studies = await Promise.all(Array.from({ length: opts.workers }, () => forkReady())).catch(async (err) => {
    stopping = true;
    await stopWorkers();
    throw err;
  });

  cluster.on('exit', (worker, code, signal) => {
    if (stopping || code === 0) return;
    opts.log(`worker ${worker.process.pid} ended (${signal ?? `exit ${code}`}); starting another`);
    forkReady().catch((err) => opts.log(`a replacement worker did not start: ${(err as Error).message}`));
  });

  const http = createServer();
  setupStickyPrimary(http, { loadBalancingMethod: 'least-connection' });
  await new Promise<void>((ok, fail) => {
    http.once('error', fail);
    http.listen(opts.port, opts.host, () => ok());
  }).catch(async (err) => {
    stopping = true;
    await stopWorkers();
    throw err;
  });
  const port = (http.address() as AddressInfo).port;
  return {
    url: `http://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${port}`,
    port,
    studies: studies[0],
    pids: () => Object.values(cluster.workers ?? {}).flatMap((w) => (w?.process.pid ? [w.process.pid] : [])),
    async close() {
      stopping = true;
      // Stop accepting first. The connections handed to workers count as open until the workers close
      // them (node asks them), so the close completes only once the workers have stopped.
      const closed = new Promise<void>((ok) => http.close(() => ok()));
      http.closeAllConnections();
      await stopWorkers();
      await closed;
    },
  };

  /** One worker, resolved with what it serves once it is ready; rejected when it fails or dies first. */
  function forkReady(): Promise<{ studyId: string; version: string }[]> {
    const worker = cluster.fork();
    stopReadingHandedOverSockets(worker);
    return new Promise((ok, fail) => {
      const timer = setTimeout(() => {
        worker.process.kill('SIGKILL');
        fail(new Error(`a worker did not start within ${WORKER_START_MS / 1000} s`));
      }, WORKER_START_MS);
      const onMessage = (m: WorkerMessage) => {
        if (m?.type === 'credence:ready') done(() => ok(m.studies));
        else if (m?.type === 'credence:failed') done(() => fail(new Error(m.message)));
      };
      const onExit = (code: number | null, signal: string | null) => done(() => fail(new Error(`a worker ended before it served (${signal ?? `exit ${code}`})`)));
      const done = (settle: () => void) => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('exit', onExit);
        settle();
      };
      worker.on('message', onMessage);
      worker.on('exit', onExit);
    });
  }
}

/**
 * The sticky primary reads a connection's first request to choose its worker,
 * then sends the socket to that worker. Node closes the primary's copy of the
 * socket only once the worker acknowledges the handle, and until then the
 * primary's copy keeps reading (into a no-op): bytes the client sends in that
 * window, such as socket.io's CONNECT right after the worker's reply, reach
 * whichever process reads first and are lost if it is the primary. The client
 * then waits forever for an answer (measured: 10–16 of 300 websocket joins in a
 * row through `serve --workers 3`, none after this). Node's documentation for
 * passing sockets asks for sockets that are not being read (`pauseOnConnect`);
 * @socket.io/sticky has already read the first chunk, so reading stops here,
 * just before the handle leaves.
 */
function stopReadingHandedOverSockets(worker: Worker): void {
  const send = worker.send.bind(worker) as (...args: unknown[]) => boolean;
  (worker as { send: (...args: unknown[]) => boolean }).send = (message: unknown, handle?: unknown, ...rest: unknown[]) => {
    if (handle instanceof Socket) {
      const native = (handle as Socket & { _handle?: { reading?: boolean; readStop?: () => number } })._handle;
      if (native?.readStop) {
        native.reading = false;
        native.readStop();
      }
    }
    return send(message, handle, ...rest);
  };
}

/** Asks every worker to stop (each closes its server and commits what waits) and waits for them. */
async function stopWorkers(): Promise<void> {
  const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w && !w.isDead());
  await Promise.all(
    workers.map(
      (w) =>
        new Promise<void>((ok) => {
          w.once('exit', () => ok());
          w.process.kill('SIGTERM');
        }),
    ),
  );
}
